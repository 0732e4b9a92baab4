"""For you: each subscriber's papers ranked by their own library, in the email and in a private feed;
and the OPML file of every public feed."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import xml.etree.ElementTree as ET
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from conftest import run_cli, snapshot, write_day
from feedcheck import check_feed
from site_gen.config import load_config
from site_gen.digest import DigestOptions, run_digest
from site_gen.digest.compose import DigestComposer, day_papers, papers_for
from site_gen.digest.library import PaperIndex, load_library
from site_gen.digest.subscribers import load_subscribers
from site_gen.errors import Problem
from site_gen.records import read_day_file

DAY = "2025-03-10"
SECRET = "personal-test-secret"
CONFIG = """title: Test Papers
base_url: https://example.org/papers/
search: false
email:
  from: Test Papers <papers@example.org>
  list_id: test-papers.example.org
  unsubscribe_url: https://example.org/unsubscribe?token={token}
personal:
  top: 2
  min_score: 0.1
"""
TEXTS = {
    "2503.10001": ("Denoising diffusion models for images", "We train a denoising diffusion model that samples "
                   "images with fewer diffusion steps and a learned noise schedule.", 5),
    "2503.10002": ("Latent diffusion for video generation", "A latent diffusion model generates video; the "
                   "denoising network is conditioned on text.", 1),
    "2503.10003": ("Speech recognition with tokenizers", "Speech tokenizers improve automatic speech recognition "
                   "for low-resource languages.", 90),
    "2503.10004": ("Graph transformers at scale", "Message passing meets attention on large graphs.", 80),
    "2503.10005": ("Reward models for dialogue", "A reward model for dialogue agents trained with preference "
                   "data.", 70),
    "2503.10006": ("Diffusion policies for robot control", "Diffusion policies plan robot trajectories by "
                   "denoising action sequences.", 2),
    # a real day has many papers about models of one kind or another: "models" weighs little
    **{f"2503.1002{n}": (f"Language models for {topic}", f"We evaluate large language models on {topic} "
                         "benchmarks and compare models of several sizes.", 10 + n)
       for n, topic in enumerate(["translation", "summarisation", "code", "mathematics", "law", "medicine"])},
}
BIBTEX = r"""@article{ho2020,
  title = {{Denoising} {D}iffusion {P}robabilistic {M}odels},
  author = {Ho, Jonathan and Jain, Ajay and Abbeel, Pieter},
  eprint = {2006.11239},
  archivePrefix = {arXiv},
  abstract = {We present high quality image synthesis results using diffusion probabilistic models, a class
    of latent variable models. Denoising diffusion with a noise schedule.},
}
@inproceedings{muller2024,
  title = {Score-based generative modeling by M{\"u}ller and Garc{\'\i}a},
  author = {M{\"u}ller, J{\"o}rg and Garc{\'\i}a, Ana},
  doi = {10.48550/arXiv.2503.10002},
}
@misc{unknown,
  note = {nothing to compare},
  eprint = {1999.99999},
}
"""


def papers() -> list[dict]:
    return [{"id": pid, "title": title, "abstract": abstract, "upvotes": votes, "categories": ["cs.LG"],
             "authors": ["Ann Lee", "Bo Chen"] if pid != "2503.10004" else ["Grace Hopper", "Ann Lee"]}
            for pid, (title, abstract, votes) in TEXTS.items()]


@pytest.fixture
def personal_site(tmp_path, monkeypatch):
    monkeypatch.setenv("SITE_GEN_UNSUBSCRIBE_SECRET", SECRET)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site.yaml").write_text(CONFIG)
    (tmp_path / "library.bib").write_text(BIBTEX)
    (tmp_path / "subscribers.yaml").write_text(
        "- email: diffusion@example.org\n  library: library.bib\n"
        "- email: filtered@example.org\n  library: [library.bib, 2503.10006]\n  categories: [cs.LG]\n"
        "  exclude_keywords: [video]\n  authors: [Grace Hopper]\n"
        "- email: plain@example.org\n  name: Plain Reader\n")
    write_day(tmp_path / "content", DAY, papers())
    return tmp_path


def token(address: str) -> str:
    return hmac.new(SECRET.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def digest(site: Path) -> dict[str, object]:
    out = site / "out"
    run_digest(load_config(site / "site.yaml"), site / "content",
               DigestOptions(day=dt.date.fromisoformat(DAY), subscribers=site / "subscribers.yaml", send=False,
                             out=out, state=site / ".site-gen"))
    messages = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in out.glob("*.eml")]
    return {str(m["To"]).strip("<>").split()[-1].strip("<>"): m for m in messages}


def parts(message) -> tuple[str, str]:
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def for_you_titles(text: str) -> list[str]:
    section = text.split("\nFor you\n", 1)[1].split("\n\nHere ", 1)[0]
    return re.findall(r"^\d+\. (.+)$", section, re.MULTILINE)


def test_a_library_about_diffusion_puts_the_diffusion_papers_first(personal_site):
    text, html = parts(digest(personal_site)["diffusion@example.org"])
    titles = for_you_titles(text)
    assert titles == ["Denoising diffusion models for images", "Diffusion policies for robot control"]
    assert "Latent diffusion for video generation" not in text      # the library holds it already
    assert "   Like: Denoising Diffusion Probabilistic Models" in text
    assert "Speech recognition" not in text                       # no filters: the day's page, not the rest
    assert "View on the site: https://example.org/papers/days/2025-03-10/" in text
    assert f"https://example.org/papers/feeds/for/{token('diffusion@example.org')}/atom.xml" in text
    html_titles = re.findall(r'class="title"[^>]*><a href="[^"]+"[^>]*>([^<]+)</a>', html)
    assert html_titles == titles
    assert html.index("For you") < html.index(titles[0]) and "Like: Denoising Diffusion Probabilistic Models" in html


def test_a_followed_author_comes_first_and_an_excluded_keyword_removes_a_paper(personal_site):
    text, _ = parts(digest(personal_site)["filtered@example.org"])
    titles = for_you_titles(text)
    assert titles[0] == "Graph transformers at scale" and "   By: Grace Hopper" in text
    assert "Latent diffusion for video generation" not in text     # excluded: "video"
    assert titles[1] == "Denoising diffusion models for images"
    rest = text.split("matching your interests, most voted first.", 1)[1]
    assert "Speech recognition with tokenizers" in rest            # the rest by the filters, not repeated
    assert "Graph transformers at scale" not in rest


def test_a_subscriber_without_a_library_gets_exactly_todays_message(personal_site):
    """The message of a subscriber without a library, composed with a fixed clock, is byte for byte the
    one site-gen wrote before libraries existed (tests/golden/digest-*.eml), but for the random MIME
    boundary."""
    from test_digest import CONFIG as DIGEST_CONFIG, PAPERS, DAY as DIGEST_DAY
    root = personal_site / "plain"
    (root / "content").mkdir(parents=True)
    (root / "site.yaml").write_text(DIGEST_CONFIG)
    (root / "subscribers.yaml").write_text("- email: all@example.org\n  name: Every Paper\n"
                                           "- email: topics@example.org\n  topics: [diffusion]\n"
                                           "- email: lib@example.org\n  library: [2503.00001]\n")
    path = write_day(root / "content", DIGEST_DAY, [dict(p) for p in PAPERS])
    config = load_config(root / "site.yaml")
    day = day_papers(dt.date.fromisoformat(DIGEST_DAY), read_day_file(path, []), config)
    composer = DigestComposer(config, "test-secret")
    now = dt.datetime(2025, 3, 10, 7, 0, tzinfo=dt.timezone.utc)
    golden = Path(__file__).parent / "golden"
    boundary = re.compile(rb"=+\d+==")
    for subscriber in load_subscribers(root / "subscribers.yaml")[:2]:
        made = bytes(composer.compose(subscriber, day.day, papers_for(subscriber, day), now))
        expected = (golden / f"digest-{subscriber.email.split('@')[0]}.eml").read_bytes()
        assert boundary.sub(b"B", made) == boundary.sub(b"B", expected)


def test_bibtex_with_accents_braces_and_arxiv_ids_is_read_and_matched(personal_site):
    content = read_day_file(personal_site / "content" / "papers" / "2025" / f"{DAY}.yaml", [])
    given = Problem(str(personal_site / "subscribers.yaml"), 3, "[1].library", "")
    library = load_library(("library.bib", "2503.10006", "2401.00000"), given, PaperIndex(content))
    titles = [e.title for e in library.entries]
    assert titles[:2] == ["Denoising Diffusion Probabilistic Models",
                          "Score-based generative modeling by Müller and García"]
    matched = library.entries[1]                     # doi 10.48550/arXiv.2503.10002: the paper's own text
    assert "latent diffusion model generates video" in matched.text
    assert library.entries[3].text.startswith("Diffusion policies for robot control")   # an arXiv id in content/
    warned = {(w.field, w.message.split(":")[0]) for w in library.warnings}
    assert ("unknown", "matches no paper in content/ and has no title or abstract") in warned
    assert ("[1].library[2]", "matches no paper in content/ and has no title or abstract") in warned


def test_check_lists_library_entries_it_cannot_use_as_warnings(personal_site):
    (personal_site / "subscribers.yaml").write_text(
        (personal_site / "subscribers.yaml").read_text() + "- email: lost@example.org\n  library: [2401.00000]\n")
    result = run_cli("check", "--config", "site.yaml", "--content", "content", cwd=personal_site)
    assert result.returncode == 0, result.stderr
    assert "warning: library.bib:14: unknown: matches no paper in content/" in result.stdout
    assert re.search(r"warning: \S*subscribers.yaml:\d+: \[3\]\.library\[0\]: matches no paper", result.stdout)


def build(site: Path):
    return run_cli("build", "--config", "site.yaml", "--content", "content", cwd=site)


def test_the_private_feed_ranks_like_the_email_and_stays_private(personal_site):
    assert build(personal_site).returncode == 0
    output = personal_site / "output"
    folder = output / "feeds" / "for" / token("diffusion@example.org")
    for kind in ("atom", "rss"):
        data = (folder / f"{kind}.xml").read_bytes()
        assert check_feed(data, f"https://example.org/papers/feeds/for/{token('diffusion@example.org')}/{kind}.xml") \
            == []
    atom = ET.fromstring((folder / "atom.xml").read_bytes())
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") for e in atom.iter("{http://www.w3.org/2005/Atom}entry")]
    text, _ = parts(digest(personal_site)["diffusion@example.org"])
    assert titles == for_you_titles(text)
    assert "Like: Denoising Diffusion Probabilistic Models" in (folder / "atom.xml").read_text()
    assert not (output / "feeds" / "for" / token("plain@example.org")).exists()
    public = {name: data for name, data in snapshot(output).items() if not name.startswith("feeds/for/")}
    assert not [name for name, data in public.items() if token("diffusion@example.org").encode() in data]
    assert "Disallow: /papers/feeds/for/" in (output / "robots.txt").read_text()


def test_private_feeds_follow_the_subscribers_file_in_incremental_builds(personal_site):
    assert build(personal_site).returncode == 0
    feeds = personal_site / "output" / "feeds" / "for"
    assert sorted(p.name for p in feeds.iterdir()) == sorted(token(a) for a in ("diffusion@example.org",
                                                                               "filtered@example.org"))
    (personal_site / "speech.bib").write_text("@article{s, title = {Tokenizers for speech recognition},\n"
                                              "  abstract = {Automatic speech recognition of languages.}}\n")
    (personal_site / "subscribers.yaml").write_text("- email: diffusion@example.org\n  library: speech.bib\n")
    result = build(personal_site)
    assert result.returncode == 0 and "nothing changed" not in result.stdout
    assert [p.name for p in feeds.iterdir()] == [token("diffusion@example.org")]
    assert "Speech recognition with tokenizers" in (feeds / token("diffusion@example.org") / "rss.xml").read_text()
    (personal_site / "subscribers.yaml").write_text("- email: plain@example.org\n")
    assert build(personal_site).returncode == 0
    assert not feeds.exists() or not list(feeds.iterdir())


def test_the_opml_lists_every_feed_of_the_feeds_page(personal_site):
    assert build(personal_site).returncode == 0
    output = personal_site / "output"
    opml = ET.fromstring((output / "feeds" / "feeds.opml").read_bytes())
    assert opml.get("version") == "2.0"
    listed = {o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")}
    page = (output / "feeds" / "index.html").read_text()
    rss_on_page = set(re.findall(r'value="(https://example.org/papers/[^"]*rss\.xml)"', page))
    assert listed == rss_on_page and len(listed) > 3
    groups = [o.get("text") for o in opml.find("body")]
    assert groups == re.findall(r"<h2>([^<]+)</h2>", page)
    assert '<link rel="outline" type="text/x-opml"' in page and "feeds/feeds.opml" in page
    assert "feeds.opml" not in (output / "sitemap.xml").read_text()
