"""Run from cron with nobody watching: overlapping runs, killed runs, full disks, broken links, refusing
servers. Real processes, a real SMTP server (aiosmtpd with STARTTLS and AUTH), a real small tmpfs."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import REPO, run_cli, snapshot, write_day
from site_gen.locks import state_lock
from smtp_server import SmtpServer, free_port

DAY = "2025-03-10"


def start_cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "site_gen", *args], cwd=cwd, env=environment, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finished(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def papers_of(day: str, count: int, prefix: str) -> list[dict]:
    return [{"id": f"{prefix}.{i:05d}", "title": f"Paper {prefix} {i} on diffusion", "date": day,
             "authors": [f"Author {prefix}{i}", "Shared Author"], "categories": ["cs.LG"],
             "abstract": f"Abstract {i}."} for i in range(count)]


# --- one writer at a time -------------------------------------------------------------------------

def test_two_builds_at_once_both_finish_and_publish_the_whole_site(site, tmp_path):
    site.day("2025-03-09", papers_of("2025-03-09", 40, "2503"))
    assert site.build().returncode == 0
    site.day(DAY, papers_of(DAY, 40, "2504"))
    builds = [start_cli("build", "--content", str(site.content), "--output", str(site.output), "--jobs", "2",
                        cwd=site.root) for _ in range(2)]
    for build in builds:
        code, out, err = finished(build)
        assert code == 0 and "Traceback" not in err, err
    clean = tmp_path / "clean"
    assert run_cli("build", "--content", str(site.content), "--output", str(clean),
                   "--state", str(tmp_path / "clean-state"), cwd=site.root).returncode == 0
    assert snapshot(site.output).keys() == snapshot(clean).keys()
    assert "Paper 2504 39 on diffusion" in site.read(f"days/{DAY}/index.html")


def test_a_command_that_waits_too_long_names_the_holder(site):
    site.day(DAY, papers_of(DAY, 2, "2503"))
    with state_lock(site.root / ".site-gen", "build", 0):
        result = site.build("--wait", "0.5")
    assert result.returncode == 1
    assert f"site-gen build (pid {os.getpid()}, since " in result.stderr
    assert "--wait" in result.stderr and "Traceback" not in result.stderr
    assert site.build().returncode == 0       # the lock went with its holder


def test_a_killed_build_never_blocks_the_next_one(site):
    site.day(DAY, papers_of(DAY, 300, "2503"))
    build = start_cli("build", "--content", str(site.content), "--output", str(site.output), cwd=site.root)
    time.sleep(1.5)
    build.send_signal(signal.SIGKILL)
    build.wait()
    result = site.build("--wait", "5")
    assert result.returncode == 0, result.stderr
    assert not list((site.root / ".site-gen").rglob("*.site-gen-tmp"))


def _children(pid: int) -> set[int]:
    try:
        return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def test_a_build_stopped_with_sigterm_says_so_stops_its_processes_and_leaves_the_site(site):
    """What `timeout`, systemd or a CI runner sends: the build stops as it does on Ctrl-C."""
    site.day(DAY, papers_of(DAY, 50, "2503"))
    assert site.build().returncode == 0
    before = snapshot(site.output)
    site.day("2025-03-11", papers_of("2025-03-11", 600, "2504"))
    build = start_cli("build", "--content", str(site.content), "--output", str(site.output), cwd=site.root)
    deadline = time.monotonic() + 60
    while not _children(build.pid) and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)   # until it has processes of its own at work
    children = _children(build.pid)
    assert children, "the build finished, or never started a process, before it could be stopped"
    build.send_signal(signal.SIGTERM)
    code, _, stderr = finished(build, timeout=120)
    assert code == 130 and "site-gen build: interrupted; nothing was changed" in stderr, stderr
    assert "Traceback" not in stderr
    assert all(not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text()
               for child in children)   # none left at work
    assert snapshot(site.output) == before
    result = site.build("--wait", "5")
    assert result.returncode == 0, result.stderr
    assert "Paper 2504 599 on diffusion" in (site.output / "papers" / "2504.00599" / "index.html").read_text()


def test_a_build_stopped_while_it_indexes_search_stops_pagefind_and_indexes_no_more_shards(site):
    """SIGTERM reaches site-gen alone, not the Pagefind runs it waits for: it stops them, and those it
    had yet to start, instead of indexing every shard before it ends."""
    site.configure("search_shard_papers: 100\nrelated: 0\n")   # a shard a day: one Pagefind run each
    days = [(dt.date(2025, 3, 1) + dt.timedelta(days=n)).isoformat() for n in range(16)]
    site.day(days[0], papers_of(days[0], 100, "2500"))
    assert site.build().returncode == 0
    before = snapshot(site.output)
    for n, day in enumerate(days[1:], start=1):
        site.day(day, papers_of(day, 100, f"25{n:02d}"))
    build = start_cli("build", "--content", str(site.content), "--output", str(site.output), "--jobs", "2",
                      cwd=site.root)
    deadline = time.monotonic() + 120
    while not (indexing := _running_pagefind(site.root)) and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert indexing, "the build finished, or never ran Pagefind, before it could be stopped"
    build.send_signal(signal.SIGTERM)
    code, _, stderr = finished(build, timeout=120)
    assert code == 130 and "site-gen build: interrupted; nothing was changed" in stderr, stderr
    left = [pid for pid in indexing if not _gone(pid)] + _running_pagefind(site.root)
    assert not left, f"Pagefind processes {left} still at work after the build ended"
    half = next(tree for tree in site.root.glob(".output.site-gen-*") if tree != site.output.resolve())
    indexed = list(half.glob("pagefind/*/pagefind.js"))
    assert len(indexed) < 8, f"{len(indexed)} of 16 shards indexed after the build was stopped"
    assert snapshot(site.output) == before
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert len(list(site.output.glob("pagefind/*/pagefind.js"))) == 16


def _running_pagefind(root: Path) -> list[int]:
    """The Pagefind processes indexing pages of a folder (run from any of a build's threads)."""
    found = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            command = (process / "cmdline").read_bytes()
        except OSError:
            continue
        if b"pagefind" in command and str(root).encode() in command:
            found.append(int(process.name))
    return found


def _gone(pid: int) -> bool:
    try:
        return "zombie" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True


def _descendants(pid: int) -> list[int]:
    children = _children(pid)
    return [*children, *(grandchild for child in children for grandchild in _descendants(child))]


def test_a_build_killed_while_it_renders_is_taken_up_where_it_stopped(site, tmp_path):
    """Killed with all its processes (the OOM killer, `systemctl kill`) while it writes the new day's
    pages: the next build makes again only what the killed one had begun to change — files it left
    untouched keep their inodes' change times — and removes what it wrote that the site lost since."""
    site.configure("base_url: https://example.org/\nsearch: false\n")
    for day, prefix in (("2025-03-08", "2503"), ("2025-03-09", "2504")):
        site.day(day, papers_of(day, 200, prefix))
        assert site.build().returncode == 0       # both trees built: the next build writes into the older
    site.day(DAY, papers_of(DAY, 600, "2505"))
    half = [tree for tree in site.root.glob(".output.site-gen-*") if tree != site.output.resolve()][0]
    untouched = half / "papers" / "2503.00000" / "index.html"
    changed_at = untouched.stat().st_ctime_ns
    build = start_cli("build", "--config", str(site.config), "--content", str(site.content),
                      "--output", str(site.output), "--jobs", "2", cwd=site.root)
    deadline = time.monotonic() + 60
    while not any((half / "papers").glob("2505.*")) and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    for pid in [build.pid, *_descendants(build.pid)]:
        os.kill(pid, signal.SIGKILL)
    assert finished(build)[0] == -signal.SIGKILL, "the build finished before it could be killed"
    written = {path.name for path in (half / "papers").glob("2505.*")}
    assert written and len(written) < 600
    site.day(DAY, [paper for paper in papers_of(DAY, 600, "2505") if paper["id"] not in written])

    result = site.build()
    assert result.returncode == 0, result.stderr
    assert "took up a build stopped half-way" in result.stdout, result.stdout
    assert site.output.resolve() == half
    assert untouched.stat().st_ctime_ns == changed_at      # not linked again: the tree was not started afresh
    assert not any((site.output / "papers" / paper_id).exists() for paper_id in written)
    clean = tmp_path / "clean"
    assert run_cli("build", "--config", str(site.config), "--content", str(site.content), "--output", str(clean),
                   "--state", str(tmp_path / "clean-state"), cwd=site.root).returncode == 0
    assert snapshot(site.output) == snapshot(clean)


def test_a_change_log_without_the_manifest_it_goes_with_starts_the_tree_afresh(site):
    """A tree's manifest unreadable (another version of site-gen wrote it) beside a change log: the log
    tells of the last build only, so the tree is started afresh and none of its other files is kept."""
    site.configure("base_url: https://example.org/\nsearch: false\n")
    for day, prefix in (("2025-03-08", "2503"), ("2025-03-09", "2504")):
        site.day(day, papers_of(day, 3, prefix))
        assert site.build().returncode == 0
    half = [tree for tree in site.root.glob(".output.site-gen-*") if tree != site.output.resolve()][0]
    stray = half / "papers" / "gone" / "index.html"
    stray.parent.mkdir()
    stray.write_text("a page of a paper deleted long ago")
    state = site.root / ".site-gen"
    [manifest] = state.glob(f"manifests/{half.name.lstrip('.')}-*.pickle")
    manifest.write_bytes(b"written by another version")
    (state / f"changing-{manifest.name.removesuffix('.pickle')}").write_bytes(b"papers/2504.00000/\0")
    site.day(DAY, papers_of(DAY, 3, "2505"))
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert site.output.resolve() == half and "stopped half-way" not in result.stdout
    assert not (site.output / "papers" / "gone").exists()
    assert (site.output / "papers" / "2505.00002" / "index.html").is_file()


def test_a_build_stopped_by_the_machine_restarting_starts_the_tree_afresh(site, tmp_path):
    """The machine lost its power while a build wrote a tree: the tree holds a file the build had
    begun to write, and the log's last entries, still in the file system's cache, were lost. The log
    names the boot it was written in, so the next build knows it cannot trust the log."""
    site.configure("base_url: https://example.org/\nsearch: false\n")
    old = papers_of("2025-03-08", 3, "2503")
    for day, papers in (("2025-03-08", old), ("2025-03-09", papers_of("2025-03-09", 3, "2504"))):
        site.day(day, papers)
        assert site.build().returncode == 0
    half = [tree for tree in site.root.glob(".output.site-gen-*") if tree != site.output.resolve()][0]
    page = half / "papers" / "2503.00001" / "index.html"
    page.unlink()                                           # as a build writes: a new file, the old one kept live
    page.write_text("<p>half writ")
    state = site.root / ".site-gen"
    [manifest] = state.glob(f"manifests/{half.name.lstrip('.')}-*.pickle")
    (state / f"changing-{manifest.name.removesuffix('.pickle')}").write_bytes(b"\x01boot an-earlier-boot\0")
    old[2]["upvotes"] = 7                                   # shown on its own page and its day's, not on 2503.00001's
    site.day("2025-03-08", old)
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert site.output.resolve() == half and "stopped half-way" not in result.stdout
    clean = tmp_path / "clean"
    assert run_cli("build", "--config", str(site.config), "--content", str(site.content), "--output", str(clean),
                   "--state", str(tmp_path / "clean-state"), cwd=site.root).returncode == 0
    assert snapshot(site.output) == snapshot(clean)


def test_serve_rebuilding_while_production_builds_never_reaches_output(site):
    site.day("2025-03-09", papers_of("2025-03-09", 30, "2503"))
    port = free_port()
    serve = start_cli("serve", "--content", str(site.content), "--port", str(port), cwd=site.root)
    try:
        deadline = time.monotonic() + 120
        while not (site.root / ".site-gen" / "serve").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        for round_ in range(2):
            site.day(f"2025-03-1{round_}", papers_of(f"2025-03-1{round_}", 30, f"26{round_}"))   # serve rebuilds
            assert site.build().returncode == 0
        time.sleep(2)
    finally:
        serve.send_signal(signal.SIGINT)
        serve.communicate(timeout=60)
    assert site.build().returncode == 0
    text = b"".join(snapshot(site.output).values())
    assert b"127.0.0.1" not in text
    assert (site.root / ".site-gen" / "serve-state").is_dir()


def daily_json(papers: list[dict]) -> str:
    return json.dumps([{"paper": {"id": p["id"], "title": p["title"], "summary": p["abstract"],
                                  "authors": [{"name": a} for a in p["authors"]], "upvotes": 1,
                                  "publishedAt": f"{p['date']}T00:00:00.000Z",
                                  "submittedOnDailyAt": f"{p['date']}T08:00:00.000Z"},
                        "title": p["title"], "numComments": 0} for p in papers])


def all_ids(content: Path) -> list[str]:
    return sorted(r["id"] for f in (content / "papers").glob("*/*.yaml") for r in yaml.safe_load(f.read_text()))


def test_two_imports_at_once_lose_no_paper(tmp_path):
    days = ["2025-03-10", "2025-03-11", "2025-03-12"]
    captures = []
    for n in range(2):
        papers = [p for d, day in enumerate(days) for p in papers_of(day, 100, f"25{n}{d}")]
        capture = tmp_path / f"capture-{n}.json"
        capture.write_text(daily_json(papers))
        captures.append(capture)
    imports = [start_cli("import", "--content", "content", str(c), cwd=tmp_path) for c in captures]
    for process in imports:
        code, out, err = finished(process)
        assert code == 0, err
    assert len(all_ids(tmp_path / "content")) == 600


def import_killed(root: Path, capture: Path, trap: str) -> None:
    """`site-gen import` in a real process that `trap` (code run in it first, with os, signal and the
    journal module at hand) kills with SIGKILL at a chosen point."""
    script = ("import os, signal, sys\nimport site_gen.importers.journal as journal\n" + trap
              + "from site_gen.cli import main\nmain(sys.argv[1:])\n")
    killed = subprocess.run([sys.executable, "-c", script, "import", "--content", "content", str(capture)],
                            cwd=root, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr


def test_an_import_killed_between_its_renames_is_finished_by_the_next_command(tmp_path):
    """The import is a real process, killed by SIGKILL right after its first day file is renamed."""
    days = ["2025-03-10", "2025-03-11", "2025-03-12"]
    for d, day in enumerate(days):
        write_day(tmp_path / "content", day, papers_of(day, 3, f"240{d}"))
    capture = tmp_path / "new.json"
    capture.write_text(daily_json([p for d, day in enumerate(days) for p in papers_of(day, 5, f"250{d}")]))
    import_killed(tmp_path, capture, "real = os.replace\n"
                                     "def replace_then_die(a, b):\n"
                                     "    real(a, b)\n"
                                     "    if str(b).endswith('.yaml'):\n"
                                     "        os.kill(os.getpid(), signal.SIGKILL)\n"
                                     "journal.os.replace = replace_then_die\n")
    half = [len([r for r in yaml.safe_load(f.read_text()) if r["id"].startswith("25")])
            for f in sorted((tmp_path / "content" / "papers").glob("*/*.yaml"))]
    assert sorted(half) == [0, 0, 5]            # killed half-way: one day new, two old
    result = run_cli("check", "--content", "content", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "finished an interrupted import (2 day files)" in result.stderr
    assert len(all_ids(tmp_path / "content")) == 3 * 3 + 3 * 5
    assert not [p for p in (tmp_path / "content").rglob(".*") if p.is_file()]   # no journal, no temporary file


def test_an_import_killed_before_its_journal_leaves_the_old_content(tmp_path):
    write_day(tmp_path / "content", DAY, papers_of(DAY, 3, "2401"))
    before = snapshot(tmp_path / "content" / "papers")
    capture = tmp_path / "new.json"
    capture.write_text(daily_json(papers_of(DAY, 5, "2501") + papers_of("2025-03-11", 5, "2502")))
    import_killed(tmp_path, capture, "def die(*args, **kwargs):\n"
                                     "    os.kill(os.getpid(), signal.SIGKILL)\n"
                                     "journal.write_atomically = die\n")
    assert list((tmp_path / "content" / "papers").glob("*/.*importing*"))    # its temporary files
    assert run_cli("import", "--content", "content", "--dry-run", str(capture), cwd=tmp_path).returncode == 0
    assert run_cli("build", "--content", "content", cwd=tmp_path).returncode == 0
    assert snapshot(tmp_path / "content" / "papers") == before
    assert not list((tmp_path / "content" / "papers").glob("*/.*importing*"))


# --- email ----------------------------------------------------------------------------------------

SUBSCRIBERS = "".join(f"- email: reader{i}@example.org\n" for i in range(20))


def mail_site(tmp_path: Path, email: str = "") -> Path:
    (tmp_path / "site.yaml").write_text(
        "title: T\nemail:\n  from: T <papers@example.org>\n  unsubscribe_url: https://example.org/u?token={token}\n"
        + email)
    (tmp_path / "subscribers.yaml").write_text(SUBSCRIBERS)
    write_day(tmp_path / "content", DAY, papers_of(DAY, 3, "2503"))
    return tmp_path


def send(site: Path, server: SmtpServer, *extra: str, password: str | None = None) -> subprocess.Popen:
    env = {"SITE_GEN_UNSUBSCRIBE_SECRET": "s"}
    if password is not None:
        env["SITE_GEN_SMTP_PASSWORD"] = password
    return start_cli("digest", "--day", DAY, "--send", "--smtp-host", "127.0.0.1", "--smtp-port", str(server.port),
                     *extra, cwd=site, env=env)


def test_two_sends_at_once_mail_each_subscriber_once(tmp_path):
    site = mail_site(tmp_path)
    with SmtpServer() as server:
        runs = [send(site, server) for _ in range(2)]
        results = [finished(run) for run in runs]
    assert all(code == 0 for code, _, _ in results), results
    for i in range(20):
        assert len(server.handler.delivered_to(f"reader{i}@example.org")) == 1
    assert sorted(out.split("sent ")[1].split(",")[0] for _, out, _ in results) == ["0", "20"]


def test_a_wrong_password_marks_nobody_and_the_right_one_then_delivers_to_all(tmp_path):
    authority = CertificateAuthority(tmp_path)
    site = mail_site(tmp_path, f"  username: papers\n  security: starttls\n  tls_ca_file: {authority.ca_file}\n")
    with SmtpServer(tls=authority.server_context(), credentials=("papers", "right")) as server:
        code, out, err = finished(send(site, server, password="wrong"))
        assert code == 1
        assert "refused the login of 'papers' (535" in out and "SITE_GEN_SMTP_PASSWORD" in out
        assert "refused (permanent" not in out and server.handler.messages == []
        code, out, err = finished(send(site, server, password="right"))
    assert code == 0, out + err
    assert "sent 20," in out
    assert len(server.handler.messages) == 20


def test_no_starttls_against_a_server_that_requires_it_marks_nobody(tmp_path):
    site = mail_site(tmp_path)
    authority = CertificateAuthority(tmp_path)
    with SmtpServer(tls=authority.server_context()) as server:
        code, out, err = finished(send(site, server))
        assert code == 1 and "refused the sender" in out and "530" in out
        (site / "site.yaml").write_text((site / "site.yaml").read_text()
                                        + f"  security: starttls\n  tls_ca_file: {authority.ca_file}\n")
        code, out, err = finished(send(site, server))
    assert code == 0, out + err
    assert len(server.handler.messages) == 20


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_an_untrusted_certificate_stops_the_run_at_once_and_a_private_ca_fixes_it(tmp_path, security):
    site = mail_site(tmp_path, f"  security: {security}\n")
    authority = CertificateAuthority(tmp_path)
    tls = {"tls": authority.server_context()} if security == "starttls" else \
        {"implicit_tls": authority.server_context()}
    with SmtpServer(**tls) as server:
        code, out, err = finished(send(site, server))
        assert code == 1, out
        assert "TLS certificate is not trusted" in out and "email.tls_ca_file" in out
        assert out.count("not trusted") == 1                   # one error, not one per subscriber
        assert server.handler.connections <= 1 and "deferred" not in out.split("\n", 1)[1]
        (site / "site.yaml").write_text((site / "site.yaml").read_text() + f"  tls_ca_file: {authority.ca_file}\n")
        code, out, err = finished(send(site, server))
    assert code == 0, out + err
    assert len(server.handler.messages) == 20


class CertificateAuthority:
    """A private CA and a certificate it signed for 127.0.0.1."""

    def __init__(self, folder: Path):
        now = dt.datetime.now(dt.timezone.utc)
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "site-gen test CA")])
        self.ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
                   .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(self.key, hashes.SHA256()))
        self.server_key = ec.generate_private_key(ec.SECP256R1())
        import ipaddress
        server = (x509.CertificateBuilder()
                  .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
                  .issuer_name(name).public_key(self.server_key.public_key()).serial_number(2)
                  .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
                  .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                 critical=False)
                  .sign(self.key, hashes.SHA256()))
        self.ca_file = folder / "private-ca.pem"
        self.ca_file.write_bytes(self.ca.public_bytes(serialization.Encoding.PEM))
        self.chain = folder / "server.pem"
        self.chain.write_bytes(server.public_bytes(serialization.Encoding.PEM) + self.server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.chain)
        return context


# --- bounded output -------------------------------------------------------------------------------

@pytest.mark.parametrize("authors", [1_000, 10_000])
def test_output_grows_by_a_bounded_amount_per_author(site, authors):
    names = [f"Collaborator Number{i} Physicist" for i in range(authors)]
    site.day(DAY, [{"id": "2503.00001", "title": "A large collaboration", "authors": names,
                    "abstract": "We measured something. " * 60, "categories": ["hep-ex"]}])
    site.configure("title: T\nsearch: false\nrelated: 0\n")
    assert site.build().returncode == 0
    size = sum(len(data) for data in snapshot(site.output).values())
    assert size / authors <= 30_000, size / authors
    feed = site.read("authors/collaborator-number7-physicist/rss.xml")
    assert "Collaborator Number9 Physicist" in feed and "Collaborator Number10 Physicist" not in feed
    assert "et al." in feed
    page = site.read("papers/2503.00001/index.html")
    assert f"Collaborator Number{authors - 1} Physicist" in page     # the paper's page names them all


# --- clear errors ---------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A real 3 MiB tmpfs: writing past it fails with ENOSPC, as a full disk does."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_during_build_names_the_path_and_keeps_the_live_site(small_disk):
    site_root = small_disk
    write_day(site_root / "content", "2025-03-09", papers_of("2025-03-09", 3, "2503"))
    assert run_cli("build", "--content", "content", cwd=site_root).returncode == 0
    live = snapshot(site_root / "output")
    write_day(site_root / "content", DAY, [dict(p, abstract="Long words. " * 2000) for p in papers_of(DAY, 80, "2504")])
    result = run_cli("build", "--content", "content", "--jobs", "1", cwd=site_root)
    assert result.returncode == 1
    named = re.search(r"error: (\S+): No space left on device; the published site is unchanged", result.stderr)
    assert named and (site_root / named.group(1)).resolve().is_relative_to(site_root), result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(site_root / "output") == live
    assert not list(site_root.rglob("*.site-gen-tmp"))


def test_a_full_disk_during_import_leaves_content_as_it_was(small_disk, tmp_path):
    write_day(small_disk / "content", DAY, papers_of(DAY, 3, "2401"))
    before = snapshot(small_disk / "content")
    capture = tmp_path / "big.json"
    capture.write_text(daily_json([dict(p, abstract="Long words. " * 3000) for p in papers_of(DAY, 200, "2501")]))
    result = run_cli("import", "--content", "content", str(capture), cwd=small_disk)
    assert result.returncode == 1
    assert re.search(r"error: \S*content\S*: No space left on device; content/ is unchanged", result.stderr), \
        result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(small_disk / "content") == before


def test_template_errors_name_the_template_file_and_line(site):
    site.day(DAY, papers_of(DAY, 2, "2503"))
    overrides = site.root / "overrides"
    overrides.mkdir()
    site.configure("title: T\ntemplates: overrides\n")
    (overrides / "paper.html").write_text('{% extends "base.html" %}\n{% block main %}\n<p>{{ paper.no_such }}</p>\n'
                                         '{% endblock %}\n')
    result = site.build()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{overrides / 'paper.html'}:3: template error in paper.html: " in result.stderr
    (overrides / "paper.html").write_text('{% extends "base.html" %}\n{% block main %}\n{{ paper.title }\n')
    result = site.build()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{overrides / 'paper.html'}:3: template syntax: " in result.stderr


def test_broken_links_loops_and_folders_among_day_files_are_named(site):
    site.day(DAY, papers_of(DAY, 2, "2503"))
    year = site.content / "papers" / "2025"
    (year / "2025-03-11.yaml").symlink_to(year / "gone.yaml")
    (year / "2025-03-12.yaml").symlink_to(year / "2025-03-12.yaml")
    (year / "2025-03-13.yaml").mkdir()
    for command in (site.build, lambda: run_cli("check", "--content", str(site.content), cwd=site.root)):
        result = command()
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert f"{year / '2025-03-11.yaml'}: a broken symbolic link" in result.stderr
        assert f"{year / '2025-03-12.yaml'}: a symbolic link loop" in result.stderr
        assert f"{year / '2025-03-13.yaml'}: a folder, not a day file" in result.stderr


def test_serve_on_a_busy_port_says_so_before_building(site):
    site.day(DAY, papers_of(DAY, 2, "2503"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--content", str(site.content), "--port", str(port), cwd=site.root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert not (site.root / ".site-gen" / "serve" / "index.html").exists()


def test_serve_keeps_serving_the_last_good_site_through_a_template_error(site):
    site.day(DAY, papers_of(DAY, 2, "2503"))
    overrides = site.root / "overrides"
    overrides.mkdir()
    site.configure("title: T\ntemplates: overrides\n")
    port = free_port()
    serve = start_cli("serve", "--content", str(site.content), "--port", str(port), cwd=site.root)
    import urllib.request
    try:
        deadline = time.monotonic() + 120
        page = None
        while page is None and time.monotonic() < deadline:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/papers/2503.00001/", timeout=5).read()
            except OSError:
                time.sleep(0.3)
        assert page and b"Paper 2503 1 on diffusion" in page
        (overrides / "paper.html").write_text('{% extends "base.html" %}\n{% block main %}\n{{ paper.title }\n')
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page = urllib.request.urlopen(f"http://127.0.0.1:{port}/papers/2503.00001/", timeout=5).read()
            if b"build failed" in page:
                break
            time.sleep(0.3)
        assert b"site-gen build failed" in page and b"paper.html:3: template syntax" in page
        assert b"Paper 2503 1 on diffusion" in page        # the last good page, still served
        assert serve.poll() is None
    finally:
        serve.send_signal(signal.SIGINT)
        out, err = serve.communicate(timeout=60)
    assert "Traceback" not in err


def test_a_live_tree_missing_files_is_repaired_not_reported_unchanged(site):
    site.day(DAY, papers_of(DAY, 5, "2503"))
    assert site.build().returncode == 0
    whole = snapshot(site.output)
    for location in ("papers/2503.00001/index.html", "authors/shared-author/rss.xml"):
        (site.output / location).unlink()
    result = site.build()
    assert result.returncode == 0 and "nothing changed" not in result.stdout
    assert snapshot(site.output) == whole
    assert "nothing changed" in site.build().stdout
