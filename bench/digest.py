"""Time to render and write (or send) the daily digest for N subscribers.

    python bench/digest.py [--subscribers 1000] [--papers 500] [--send] [--libraries 200]

Prints wall seconds and messages/s, and the ratio to a baseline measured in the same run:
writing the same number of minimal plain-text messages (no templates, no CSS inlining).
With --send it also delivers to an aiosmtpd server on 127.0.0.1. With --libraries N, a third of
the subscribers then get a BibTeX library of N entries (papers of other days of the bench corpus,
with abstracts) and the digest is timed again: the For-you ranking against the digest without it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from site_gen.config import load_config  # noqa: E402
from site_gen.digest import DigestOptions, run_digest  # noqa: E402
from site_gen.records import Paper, day_file_path, dump_day  # noqa: E402

DAY = dt.date(2025, 3, 10)
CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "eess.AS", "cs.IR", "cs.RO"]


def abstract(i: int) -> str:
    """About 1,600 characters of the bench corpus's vocabulary, different for each paper."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import corpus
    import random
    return corpus.abstract(random.Random(f"digest-{i}"), random.Random(i).sample(corpus.TOPICS, 2))


def make_site(root: Path, papers: int, subscribers: int) -> None:
    (root / "site.yaml").write_text("title: Bench Papers\nbase_url: https://example.org/\n"
                                    "topics:\n  - name: Diffusion\n    keywords: [diffusion]\n")
    records = [Paper(id=f"2503.{i:05d}", title=f"Paper {i} on diffusion and transformers", date=DAY,
                     authors=tuple(f"Author {i}-{j}" for j in range(5)), categories=(CATEGORIES[i % 8],),
                     upvotes=i % 300, abstract=abstract(i)) for i in range(papers)]
    path = day_file_path(root / "content", DAY)
    path.parent.mkdir(parents=True)
    path.write_text(dump_day(records))
    lines = []
    for i in range(subscribers):
        lines.append(f"- email: reader{i}@example.org\n  name: Reader {i}\n")
        if i % 3 == 1:
            lines.append(f"  categories: [{CATEGORIES[i % 8]}]\n")
        elif i % 3 == 2:
            lines.append("  topics: [diffusion]\n")
    (root / "subscribers.yaml").write_text("".join(lines))


def add_libraries(root: Path, entries: int) -> None:
    """Give every third subscriber a BibTeX library of `entries` papers of the bench corpus (their own
    days, so each library differs), as Zotero exports them: title, authors, eprint, abstract."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import corpus
    authors = corpus.author_pool()
    text = (root / "subscribers.yaml").read_text().split("- email: ")[1:]
    lines = []
    for i, entry in enumerate(text):
        lines.append("- email: " + entry)
        if i % 3 == 0:
            papers = corpus.day_papers(100 + i, authors)[:entries]
            (root / f"library-{i}.bib").write_text("".join(
                f"@article{{k{n},\n  title = {{{p.title}}},\n  author = {{{' and '.join(p.authors)}}},\n"
                f"  eprint = {{{p.id}}},\n  archivePrefix = {{arXiv}},\n  abstract = {{{p.abstract}}}\n}}\n\n"
                for n, p in enumerate(papers)))
            lines.append(f"  library: library-{i}.bib\n")
    (root / "subscribers.yaml").write_text("".join(lines))


def timed_digest(config, root: Path, out: str):
    options = DigestOptions(day=DAY, subscribers=root / "subscribers.yaml", send=False, out=root / out,
                            state=root / "state")
    started = time.perf_counter()
    report = run_digest(config, root / "content", options)
    return report, time.perf_counter() - started


def baseline(root: Path, count: int) -> float:
    out = root / "baseline"
    out.mkdir()
    started = time.perf_counter()
    for i in range(count):
        message = EmailMessage()
        message["Subject"] = "Bench"
        message["To"] = f"reader{i}@example.org"
        message.set_content("x" * 2000)
        (out / f"{i}.eml").write_bytes(bytes(message))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--papers", type=int, default=500)
    parser.add_argument("--send", action="store_true")
    parser.add_argument("--libraries", type=int, default=0, metavar="N",
                        help="then give a third of the subscribers N-entry libraries and time it again")
    args = parser.parse_args()
    os.environ.setdefault("SITE_GEN_UNSUBSCRIBE_SECRET", "bench")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_site(root, args.papers, args.subscribers)
        config = load_config(root / "site.yaml")
        base = baseline(root, args.subscribers)
        report, wall = timed_digest(config, root, "eml")
        print(f"subscribers {args.subscribers}, papers that day {args.papers}")
        print(f"baseline (minimal messages): {base:.2f}s")
        print(f"digest .eml: {len(report.written)} messages in {wall:.2f}s "
              f"({len(report.written) / wall:.0f}/s), {wall / base:.1f}x baseline")
        if args.libraries:
            add_libraries(root, args.libraries)
            for run in ("first run (libraries parsed)", "next runs (libraries unchanged, parsed ones cached)"):
                personal, personal_wall = timed_digest(config, root, "eml-personal")
                print(f"digest .eml, a third with {args.libraries}-entry libraries, {run}: {len(personal.written)} "
                      f"messages in {personal_wall:.2f}s, {personal_wall / wall:.2f}x the digest without libraries")
        if args.send:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
            from smtp_server import SmtpServer
            with SmtpServer() as server:
                options = DigestOptions(day=DAY, subscribers=root / "subscribers.yaml", send=True, out=root / "eml",
                                        state=root / "state", smtp_host="127.0.0.1", smtp_port=server.port)
                started = time.perf_counter()
                report = run_digest(config, root / "content", options)
                wall = time.perf_counter() - started
            print(f"digest SMTP: {len(report.sent)} sent in {wall:.2f}s ({len(report.sent) / wall:.0f}/s), "
                  f"{wall / base:.1f}x baseline, {server.handler.connections} connection(s)")


if __name__ == "__main__":
    main()
