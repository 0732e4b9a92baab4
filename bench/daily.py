"""The time of `site-gen daily` for one day of 500 papers, on the sample site and on a larger one.

    python bench/daily.py [--sizes sample,10k] [--subscribers 100] [--work DIR]

For each site: it is built once (the baseline, a clean build of the site as it was), then a day of
500 papers in the Daily Papers API's format is served from 127.0.0.1 and `site-gen daily` fetches,
builds, deploys (a `cp -al` of the output, as a stand-in for rsync) and mails it to the
subscribers through an aiosmtpd server on 127.0.0.1. A second `daily` of the same day, which must
do nothing, is timed too. Prints wall seconds, and daily as a ratio of the clean build.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402
from run import bench_site, measure, size_of  # noqa: E402


def daily_papers_json(day: dt.date) -> bytes:
    """500 papers of the bench corpus, as the Daily Papers API lists them for `day`."""
    index = (day - corpus.START).days
    papers = corpus.day_papers(index, corpus.author_pool())
    stamp = f"{day.isoformat()}T08:00:00.000Z"
    return json.dumps([{
        "paper": {"id": p.id, "title": p.title, "summary": p.abstract, "upvotes": p.upvotes,
                  "authors": [{"name": name, "hidden": False} for name in p.authors],
                  "publishedAt": stamp, "submittedOnDailyAt": stamp},
        "title": p.title, "numComments": 0} for p in papers]).encode()


def serve(body: bytes) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def sample_site(work: Path) -> Path:
    site = work / "site-sample"
    shutil.rmtree(site, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "site_gen", "init", str(site), "--sample"], check=True,
                   capture_output=True, env={"PYTHONPATH": str(BENCH.parent), "PATH": "/usr/bin:/bin"})
    return site


def configure(site: Path, endpoint: str, smtp_port: int, subscribers: int) -> None:
    text = (site / "site.yaml").read_text()
    if "\nsources:" in text:    # a site of `init`: point its source here
        text = text.replace("endpoint: https://huggingface.co", f"endpoint: {endpoint}")
        text = text.replace("  delay: 3 ", "  delay: 0 ")
    else:
        text += f"sources:\n  daily_papers:\n    endpoint: {endpoint}\nfetch: {{delay: 0}}\n"
    text += "deploy: rm -rf deployed && cp -al \"$SITE_GEN_OUTPUT/\" deployed\n"
    text = text.replace("host: 127.0.0.1\n  port: 25\n", f"host: 127.0.0.1\n  port: {smtp_port}\n") \
        if "email:" in text else text + f"email:\n  host: 127.0.0.1\n  port: {smtp_port}\n"
    (site / "site.yaml").write_text(text)
    (site / "subscribers.yaml").write_text("".join(f"- email: reader{i}@example.org\n" for i in range(subscribers)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="sample,10k", help="comma-separated: sample and/or sizes such as 10k")
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "site-gen-bench-daily")
    args = parser.parse_args()
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    with socket.socket() as probe:       # a free port for the SMTP sink
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    env = {"PYTHONPATH": str(BENCH.parent), "SITE_GEN_UNSUBSCRIBE_SECRET": "bench"}
    print(f"{'site':<8} {'papers':>7} {'clean build s':>14} {'daily s':>9} {'daily/clean':>12} {'again s':>9}")
    for size in args.sizes.split(","):
        site = sample_site(args.work) if size == "sample" else bench_site(size_of(size), args.work, search=True)
        base = [sys.executable, "-m", "site_gen"]
        clean = measure(base + ["build"], site, env)
        papers = int(re.search(r"built (\d+) papers", clean.output).group(1))
        newest = max(dt.date.fromisoformat(p.stem) for p in (site / "content" / "papers").glob("*/*.yaml"))
        day = newest + dt.timedelta(days=1)
        http = serve(daily_papers_json(day))
        configure(site, f"http://127.0.0.1:{http.server_address[1]}", port, args.subscribers)
        daily = measure(base + ["daily", "--day", day.isoformat()], site, env)
        again = measure(base + ["daily", "--day", day.isoformat()], site, env)
        http.shutdown()
        assert "sent 0," in again.output and "nothing changed" in again.output, again.output
        print(f"{size:<8} {papers:>7} {clean.wall:>14.2f} {daily.wall:>9.2f} {daily.wall / clean.wall:>12.3f} "
              f"{again.wall:>9.2f}")
        print("  " + daily.output.strip().replace("\n", "\n  "))
    smtp.stop()


if __name__ == "__main__":
    main()
