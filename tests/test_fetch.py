"""`site-gen fetch` and `site-gen daily` against real HTTP servers on 127.0.0.1 replaying the sources'
real formats (Daily Papers JSON, arXiv RSS, arXiv API Atom) and their faults."""
from __future__ import annotations

import datetime as dt
import re
import xml.sax.saxutils as sax
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import FIXTURES, run_cli, snapshot, write_day
from http_replay import Reply, ReplayServer
from site_gen import __version__
from site_gen.config import load_config
from site_gen.fetch import run_fetch
from smtp_server import SmtpServer

DAILY = (FIXTURES / "daily-2025-01-15.json").read_bytes()
RSS = (FIXTURES / "arxiv-cs.LG-2025-01-16.rss.xml").read_bytes()
FAST = "fetch: {timeout: 2, retries: 2, backoff: 0.05, delay: 0}\n"


def configure(root: Path, server: ReplayServer, *sources: str, extra: str = FAST) -> None:
    blocks = {
        "daily_papers": f"  daily_papers:\n    endpoint: {server.url}\n",
        "arxiv_rss": f"  arxiv_rss:\n    endpoint: {server.url}\n    categories: [cs.LG]\n",
        "arxiv_api": f"  arxiv_api:\n    endpoint: {server.url}\n    categories: [cs.CL, cs.LG]\n    page_size: 2\n",
    }
    (root / "site.yaml").write_text("title: T\nbase_url: https://papers.example.org/\nsources:\n"
                                    + "".join(blocks[s] for s in sources) + extra)


def fetch(root: Path, *args: str):
    return run_cli("fetch", *args, cwd=root)


def ids(root: Path) -> list[str]:
    return sorted(r["id"] for f in (root / "content" / "papers").glob("*/*.yaml") for r in yaml.safe_load(f.read_text()))


def records(root: Path) -> dict[str, dict]:
    return {r["id"]: r for f in (root / "content" / "papers").glob("*/*.yaml") for r in yaml.safe_load(f.read_text())}


# --- the sources' formats -------------------------------------------------------------------------

def test_daily_papers_are_fetched_saved_unchanged_and_imported(tmp_path):
    with ReplayServer() as server:
        server.script("/api/daily_papers", Reply(body=DAILY, headers={"Content-Type": "application/json"}))
        configure(tmp_path, server, "daily_papers")
        result = fetch(tmp_path, "--day", "2025-01-15")
    assert result.returncode == 0, result.stderr
    assert "2025-01-15 daily_papers: imported: 2 new" in result.stdout
    assert (tmp_path / "captures" / "2025-01-15" / "daily_papers.json").read_bytes() == DAILY
    paper = records(tmp_path)["2501.08313"]
    assert paper["authors"] == ["Ada Lovelace", "Grace Hopper"]          # the hidden author is left out
    assert paper["organization"] == "MiniMax" and paper["upvotes"] == 284
    asked = server.asked[0]
    assert parse_qs(urlsplit(asked.path).query) == {"date": ["2025-01-15"]}
    assert asked.headers["User-Agent"] == f"site-gen/{__version__} (+https://papers.example.org/)"


def test_fetching_a_day_again_costs_a_304_and_adds_nothing_twice(tmp_path):
    with ReplayServer() as server:
        server.script("/api/daily_papers", Reply(body=DAILY, headers={"ETag": '"v1"'}))
        configure(tmp_path, server, "daily_papers")
        assert fetch(tmp_path, "--day", "2025-01-15").returncode == 0
        before = snapshot(tmp_path / "content")
        again = fetch(tmp_path, "--day", "2025-01-15")
        assert again.returncode == 0 and "unchanged: the same as last fetched (HTTP 304)" in again.stdout
        assert server.asked[-1].headers.get("If-None-Match") == '"v1"'
        assert snapshot(tmp_path / "content") == before
        more_votes = DAILY.replace(b'"upvotes": 284', b'"upvotes": 300').replace(b'"numComments": 7', b'"numComments": 9')
        server.script("/api/daily_papers", Reply(body=more_votes, headers={"ETag": '"v2"'}))
        refreshed = fetch(tmp_path, "--day", "2025-01-15")
    assert "imported: 1 updated, 1 unchanged" in refreshed.stdout
    assert ids(tmp_path) == ["2501.08313", "2501.09999"]
    assert records(tmp_path)["2501.08313"]["upvotes"] == 300 and records(tmp_path)["2501.08313"]["comments"] == 9


def test_a_paper_listed_on_an_earlier_day_stays_there(tmp_path):
    write_day(tmp_path / "content", "2025-01-10", [{"id": "2501.08313", "title": "MiniMax-01", "upvotes": 1}])
    with ReplayServer() as server:
        server.script("/api/daily_papers", Reply(body=DAILY))
        configure(tmp_path, server, "daily_papers")
        assert fetch(tmp_path, "--day", "2025-01-15").returncode == 0
    assert records(tmp_path)["2501.08313"]["date"] == dt.date(2025, 1, 10)
    assert records(tmp_path)["2501.08313"]["upvotes"] == 284
    assert ids(tmp_path).count("2501.08313") == 1


def test_the_rss_feed_brings_new_and_cross_listed_papers_of_its_day(tmp_path):
    write_day(tmp_path / "content", "2025-01-14", [{"id": "2501.08313", "title": "Old title"}])
    with ReplayServer() as server:
        server.script("/rss/cs.LG", Reply(body=RSS, headers={"Content-Type": "application/rss+xml"}))
        configure(tmp_path, server, "arxiv_rss")
        result = fetch(tmp_path, "--day", "2025-01-16")
    assert result.returncode == 0, result.stderr
    papers = records(tmp_path)
    assert papers["2501.09001"]["authors"] == ["Jean-Luc Picard", "Beverly Crusher", "Data Soong"]
    assert papers["2501.09002"]["date"] == dt.date(2025, 1, 16)            # cross-listed: a new paper too
    assert papers["2501.08313"]["date"] == dt.date(2025, 1, 14)            # a replacement updates in place
    assert (tmp_path / "captures" / "2025-01-16" / "arxiv_rss-cs.LG.xml").read_bytes() == RSS


def weekend_feed(day: dt.date) -> bytes:
    text = RSS.decode()
    text = re.sub(r"<item>.*?</item>\s*", "", text, flags=re.DOTALL)
    stamp = f"{day:%a, %d %b %Y} 00:00:00 -0500"
    text = re.sub(r"<pubDate>[^<]*</pubDate>", f"<pubDate>{stamp}</pubDate>", text)
    return text.encode()


def test_a_weekend_is_a_quiet_day_not_a_failure(tmp_path):
    saturday = dt.date(2025, 1, 18)
    with ReplayServer() as server:
        server.script("/rss/cs.LG", Reply(body=weekend_feed(saturday)))
        server.script("/api/daily_papers", Reply(body=b"[]"))
        configure(tmp_path, server, "arxiv_rss", "daily_papers")
        result = fetch(tmp_path, "--day", saturday.isoformat())
    assert result.returncode == 0, result.stderr
    assert "2025-01-18 arxiv_rss: no papers announced: arXiv announces nothing on Saturdays" in result.stdout
    assert "2025-01-18 daily_papers: no papers announced" in result.stdout
    assert not (tmp_path / "content" / "papers").exists() or ids(tmp_path) == []


def test_a_stale_feed_fails_by_name_and_the_other_sources_still_import(tmp_path):
    with ReplayServer() as server:
        server.script("/rss/cs.LG", Reply(body=RSS))                       # still 2025-01-16's announcement
        server.script("/api/daily_papers", Reply(body=DAILY.replace(b"2025-01-15T0", b"2025-01-17T0")))
        configure(tmp_path, server, "arxiv_rss", "daily_papers")
        result = fetch(tmp_path, "--day", "2025-01-17")
    assert result.returncode == 1
    assert "2025-01-17 arxiv_rss: FAILED: stale: the feed still serves 2025-01-16's announcement" in result.stderr
    assert "2025-01-17 daily_papers: imported: 2 new" in result.stdout
    assert ids(tmp_path) == ["2501.08313", "2501.09999"]
    assert (tmp_path / "captures" / "2025-01-17" / "arxiv_rss-cs.LG.xml.rejected").is_file()


def api_page(papers: list[tuple[str, str]], total: int, start: int) -> bytes:
    entries = "".join(f"""
  <entry>
    <id>http://arxiv.org/abs/{pid}v1</id>
    <updated>{day}T18:00:00Z</updated>
    <published>{day}T18:00:00Z</published>
    <title>Paper {pid} about
  transformers</title>
    <summary>  We study {sax.escape(pid)} &amp; more.
</summary>
    <author><name>Ann Author</name></author>
    <author><name>Ben Author</name></author>
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">9 pages</arxiv:comment>
    <link href="http://arxiv.org/abs/{pid}v1" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/{pid}v1" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>""" for pid, day in papers)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query</title>
  <id>http://arxiv.org/api/q</id>
  <updated>2025-01-16T00:00:00-05:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{total}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{start}</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">2</opensearch:itemsPerPage>{entries}
</feed>
""".encode()


def test_a_backfill_pages_through_the_arxiv_api_day_by_day(tmp_path):
    day13 = [("2501.07001", "2025-01-13"), ("2501.07002", "2025-01-13"), ("2501.07003", "2025-01-13")]
    with ReplayServer() as server:
        def page(day: str, start: int) -> str:
            return f"/api/query?search_query=%28cat%3Acs.CL+OR+cat%3Acs.LG%29+AND+submittedDate%3A%5B{day}0000+TO+" \
                   f"{day}2359%5D&sortBy=submittedDate&sortOrder=ascending&start={start}&max_results=2"
        server.script(page("20250113", 0), Reply(body=api_page(day13[:2], 3, 0)))
        server.script(page("20250113", 2), Reply(body=api_page(day13[2:], 3, 2)))
        server.script(page("20250114", 0), Reply(body=api_page([], 0, 0)))
        configure(tmp_path, server, "arxiv_api")
        result = fetch(tmp_path, "--from", "2025-01-13", "--to", "2025-01-14")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2025-01-13 arxiv_api: imported: 3 new" in result.stdout
    assert "2025-01-14 arxiv_api: no papers announced" in result.stdout
    assert ids(tmp_path) == ["2501.07001", "2501.07002", "2501.07003"]
    assert records(tmp_path)["2501.07001"]["title"] == "Paper 2501.07001 about transformers"
    assert sorted(p.name for p in (tmp_path / "captures" / "2025-01-13").iterdir()) == \
        ["arxiv_api-cs.CL+cs.LG-000000.xml", "arxiv_api-cs.CL+cs.LG-000002.xml"]


# --- faults -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("first", [
    Reply(429, b"slow down", {"Retry-After": "1"}),
    Reply(503, b"<html>busy</html>"),
    Reply.reset(),
    Reply.slow(4, DAILY),            # longer than the 2 s timeout
    Reply.cut(DAILY),                # Content-Length promises more than comes
], ids=["429-retry-after", "503", "reset", "timeout", "cut-short"])
def test_a_passing_fault_is_retried_and_the_day_imported(tmp_path, first):
    with ReplayServer() as server:
        server.script("/api/daily_papers", first, Reply(body=DAILY))
        configure(tmp_path, server, "daily_papers")
        result = fetch(tmp_path, "--day", "2025-01-15")
    assert result.returncode == 0, result.stderr
    assert ids(tmp_path) == ["2501.08313", "2501.09999"]
    tries = server.asked_for("/api/daily_papers")
    assert len(tries) == 2
    if first.status == 429:
        assert tries[1].at - tries[0].at >= 0.95        # it waited as Retry-After said


@pytest.mark.parametrize("body, reason", [
    (DAILY[:300], "not JSON"),
    (b"<!DOCTYPE html><html><body><h1>We're down for maintenance</h1></body></html>", "not JSON"),
    (b'{"error": "Invalid date"}', "expected a JSON list of papers, got dict"),
], ids=["truncated-json", "html-error-page-200", "json-error-object"])
def test_a_malformed_answer_is_kept_for_inspection_and_nothing_of_it_imported(tmp_path, body, reason):
    with ReplayServer() as server:
        server.script("/api/daily_papers", Reply(body=body))
        configure(tmp_path, server, "daily_papers")
        result = fetch(tmp_path, "--day", "2025-01-15")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"2025-01-15 daily_papers: FAILED: {server.url}/api/daily_papers?date=2025-01-15: {reason}" in result.stderr
    rejected = tmp_path / "captures" / "2025-01-15" / "daily_papers.json.rejected"
    assert rejected.read_bytes() == body
    assert not (tmp_path / "content" / "papers").exists() or ids(tmp_path) == []


def test_a_source_that_keeps_failing_is_named_with_its_reason(tmp_path):
    with ReplayServer() as server:
        server.script("/api/daily_papers", Reply(503, b"down"))
        server.script("/rss/cs.LG", Reply(body=RSS))
        configure(tmp_path, server, "daily_papers", "arxiv_rss")
        result = fetch(tmp_path, "--day", "2025-01-16")
    assert result.returncode == 1
    assert "2025-01-16 daily_papers: FAILED: " in result.stderr and "HTTP 503 Service Unavailable (after 3 tries)" \
        in result.stderr
    assert "2025-01-16 arxiv_rss: imported" in result.stdout
    assert len(server.asked_for("/api/daily_papers")) == 3


def test_missing_fetches_only_the_days_not_yet_fetched_completely(tmp_path):
    today = dt.datetime.now(dt.timezone.utc).date()
    first, failed = (today - dt.timedelta(days=n) for n in (2, 1))
    with ReplayServer() as server:
        server.script("/api/daily_papers", Reply(body=b"[]"))                # any other day: a quiet one
        server.script(f"/api/daily_papers?date={first}",
                      Reply(body=DAILY.replace(b"2025-01-15T", f"{first}T".encode())))
        server.script(f"/api/daily_papers?date={failed}", Reply(503, b"down"))
        configure(tmp_path, server, "daily_papers")
        assert fetch(tmp_path, "--from", str(first), "--to", str(failed)).returncode == 1
        server.script(f"/api/daily_papers?date={failed}", Reply(body=b"[]"))
        asked_before = len(server.asked)
        result = fetch(tmp_path, "--missing", "--since", str(first))
        days_asked = [parse_qs(urlsplit(a.path).query)["date"][0] for a in server.asked[asked_before:]]
    assert days_asked == [str(failed), str(today)]          # not the day fetched already
    assert f"{failed} daily_papers: no papers announced" in result.stdout
    assert result.returncode == 0


def test_a_dry_run_writes_nothing(tmp_path):
    with ReplayServer() as server:
        server.script("/api/daily_papers", Reply(body=DAILY))
        configure(tmp_path, server, "daily_papers")
        result = fetch(tmp_path, "--day", "2025-01-15", "--dry-run")
    assert result.returncode == 0 and "dry run, nothing written" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["site.yaml"]


FAULTS = {
    "whole": lambda body: [Reply(body=body)],
    "429-then-whole": lambda body: [Reply(429, b"", {"Retry-After": "0"}), Reply(body=body)],
    "reset-then-whole": lambda body: [Reply.reset(), Reply(body=body)],
    "always-503": lambda body: [Reply(503, b"")],
    "truncated": lambda body: [Reply(body=body[: len(body) // 3])],
    "html-page": lambda body: [Reply(body=b"<html><body>Oops</body></html>")],
    "cut-always": lambda body: [Reply.cut(body)],
}
SERVED_WHOLE = {"whole", "429-then-whole", "reset-then-whole"}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(FAULTS)), min_size=3, max_size=3))
def test_content_ends_with_exactly_the_papers_served_whole(tmp_path_factory, faults):
    root = tmp_path_factory.mktemp("fetch")
    write_day(root / "content", "2025-01-01", [{"id": "2501.00001", "title": "Already here", "upvotes": 5}])
    days = ["2025-01-13", "2025-01-14", "2025-01-15"]
    expected = {"2501.00001"}
    with ReplayServer() as server:
        for n, (day, fault) in enumerate(zip(days, faults)):
            body = DAILY.replace(b"2025-01-15T", f"{day}T".encode()).replace(b"2501.08313", f"2501.1{n}313".encode()) \
                .replace(b"2501.09999", f"2501.1{n}999".encode())
            server.script(f"/api/daily_papers?date={day}", *FAULTS[fault](body))
            if fault in SERVED_WHOLE:
                expected |= {f"2501.1{n}313", f"2501.1{n}999"}
        configure(root, server, "daily_papers", extra="fetch: {timeout: 2, retries: 1, backoff: 0, delay: 0}\n")
        config = load_config(root / "site.yaml")
        report = run_fetch(config, root / "content", root / ".site-gen", root / "captures",
                           [dt.date.fromisoformat(d) for d in days])
    assert set(ids(root)) == expected
    assert len(ids(root)) == len(expected)                              # nothing twice
    assert records(root)["2501.00001"]["upvotes"] == 5                   # what was there is unchanged
    assert report.ok == all(f in SERVED_WHOLE for f in faults)


# --- the daily run ----------------------------------------------------------------------------------

def test_daily_fetches_builds_deploys_and_mails_once_and_a_second_run_does_nothing(tmp_path, monkeypatch):
    deployed = tmp_path / "deploys.log"
    with ReplayServer() as server, SmtpServer() as smtp:
        server.script("/api/daily_papers", Reply(body=DAILY, headers={"ETag": '"d1"'}))
        configure(tmp_path, server, "daily_papers", extra=FAST + f"""search: false
deploy: echo "$SITE_GEN_OUTPUT" >> {deployed}
email:
  from: T <papers@example.org>
  unsubscribe_url: https://example.org/u?token={{token}}
  host: 127.0.0.1
  port: {smtp.port}
""")
        (tmp_path / "subscribers.yaml").write_text("- email: ann@example.org\n- email: bob@example.org\n")
        monkeypatch.setenv("SITE_GEN_UNSUBSCRIBE_SECRET", "s")
        first = run_cli("daily", "--day", "2025-01-15", cwd=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        lines = first.stdout.splitlines()
        assert [line.split(":")[0] for line in lines if not line.startswith("  ")] == \
            ["fetch", "build", "deploy", "digest", "daily 2025-01-15"]
        assert lines[-1] == "daily 2025-01-15: done"
        assert "MiniMax-01" in (tmp_path / "output" / "index.html").read_text()
        assert deployed.read_text().splitlines() == [str((tmp_path / "output").resolve())]
        assert sorted(r[0] for r, _ in smtp.handler.messages) == ["ann@example.org", "bob@example.org"]

        files = {name: snapshot(tmp_path / name) for name in ("content", "output", "captures")}
        second = run_cli("daily", "--day", "2025-01-15", cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing changed since the last build" in second.stdout
    assert "deploy: skipped: this build was deployed already" in second.stdout
    assert "sent 0," in second.stdout and "already sent 2" in second.stdout
    assert {name: snapshot(tmp_path / name) for name in files} == files
    assert len(deployed.read_text().splitlines()) == 1 and len(smtp.handler.messages) == 2


def test_daily_stops_at_the_failing_step_and_says_which(tmp_path):
    with ReplayServer() as server:
        server.script("/api/daily_papers", Reply(500, b"oops"))
        configure(tmp_path, server, "daily_papers", extra=FAST + "deploy: touch deployed\n")
        result = run_cli("daily", "--day", "2025-01-15", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].startswith("daily 2025-01-15: failed at fetch")
    assert "build:" not in result.stdout and not (tmp_path / "deployed").exists()


def test_a_new_site_fetches_daily_papers_and_its_workflow_runs_each_step_of_the_daily_job(tmp_path):
    assert run_cli("init", str(tmp_path)).returncode == 0
    assert set(load_config(tmp_path / "site.yaml").sources) == {"daily_papers"}
    steps = [line.strip() for line in (tmp_path / ".github" / "workflows" / "daily.yml").read_text().splitlines()
             if line.strip().startswith("run: site-gen")]
    assert [step.split()[2] for step in steps] == ["fetch", "check", "build", "digest"]
