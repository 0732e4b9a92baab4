"""The built site in a real browser (Debian's Chromium driven by Playwright)."""
from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from browser import axe_violations, chromium, screenshot, static_server
from conftest import REPO, run_cli, write_day
from smtp_server import free_port
from test_build import hrefs


@pytest.fixture(scope="module")
def served_sample(tmp_path_factory):
    """The sample site built for and served from a local port."""
    port = free_port()
    output = tmp_path_factory.mktemp("served") / "output"
    result = run_cli("build", "--config", str(REPO / "site.yaml"), "--content", str(REPO / "content"),
                     "--output", str(output), "--base-url", f"http://127.0.0.1:{port}/")
    assert result.returncode == 0, result.stderr
    with static_server(output, port) as url:
        yield url, output


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def test_every_link_of_the_built_site_resolves(served_sample):
    url, output = served_sample
    missing = set()
    for page in output.rglob("*.html"):
        if "pagefind" in page.parts:
            continue
        for href in hrefs(page.read_text()):
            if href.startswith(url):
                href = "/" + href[len(url):]
            if not href.startswith("/"):
                continue
            target = output / href.split("?")[0].split("#")[0].lstrip("/")
            if not (target.is_file() or (target / "index.html").is_file()):
                missing.add((str(page.relative_to(output)), href))
    assert not missing, sorted(missing)[:20]


def test_reader_navigates_home_day_paper_category_topic_author_and_back(served_sample, browser):
    url, _ = served_sample
    page = browser.new_page()
    responses = []
    page.on("response", lambda r: responses.append((r.status, r.url)))
    page.goto(url)
    page.get_by_role("heading", level=1).get_by_role("link").click()          # the newest day
    assert "/days/" in page.url
    page.locator(".paper-card .paper-title a").first.click()
    assert "/papers/" in page.url
    page.locator("dd a.badge[href*='/categories/']").first.click()            # its category
    assert "/categories/" in page.url and page.locator(".paper-card").count() > 0
    page.go_back()
    page.locator("dd a.badge[href*='/topics/']").first.click()                # its topic
    assert "/topics/" in page.url
    page.locator(".paper-lines li > a").first.click()                          # a topic lists a line a paper
    assert "/papers/" in page.url
    page.goto(url + "papers/fp8-lm-training-fp8-large-language-models/")
    page.locator(".authors a").first.click()                                   # an author
    assert "/authors/houwen-peng/" in page.url and "FP8-LM" in page.content()
    for _ in range(3):                                                         # author → paper → paper → topic
        page.go_back()
    assert "/topics/" in page.url
    assert [r for r in responses if r[0] >= 400] == []


def test_search_finds_a_paper_by_a_title_word_and_opens_it(served_sample, browser):
    url, _ = served_sample
    page = browser.new_page()
    page.goto(url)
    page.get_by_role("searchbox", name="Search papers").fill("Gaussian")
    page.get_by_role("button", name="Search").click()
    result = page.locator(".pagefind-ui__result-link").first
    result.wait_for(timeout=15000)
    assert "Gaussian" in result.inner_text()
    assert re.search(r" · \w{3} \d{1,2}, \d{4}$", result.inner_text())          # the paper's date
    assert page.locator(".pagefind-ui__result-excerpt").first.inner_text()
    result.click()
    page.wait_for_url(re.compile(r".*/papers/.+/"))
    assert "Gaussian" in page.locator("h1").inner_text()


PAGE_TYPES = ["", "days/", "days/2025-10-01/", "categories/", "categories/cs.CL/", "topics/reasoning/",
              "papers/fp8-lm-training-fp8-large-language-models/", "authors/houwen-peng/", "feeds/",
              "weeks/2025-W40/", "months/2025-10/", "code/", "search/"]


@pytest.mark.parametrize("width", [360, 1280])
def test_layout_fits_the_screen_in_light_and_dark(served_sample, browser, width):
    url, _ = served_sample
    for scheme in ("light", "dark"):
        page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
        for location in PAGE_TYPES:
            assert page.goto(url + location).status == 200, location
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (location, width)
            size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
            assert size >= 14
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert (background == "rgb(255, 255, 255)") == (scheme == "light"), (location, background)
        page.goto(url)
        screenshot(page, f"home-{width}-{scheme}")
        page.goto(url + "papers/fp8-lm-training-fp8-large-language-models/")
        screenshot(page, f"paper-{width}-{scheme}")
        page.close()


def test_no_serious_accessibility_violations_on_any_page_type(served_sample, browser):
    url, _ = served_sample
    page = browser.new_page()
    found = {}
    for location in PAGE_TYPES:
        page.goto(url + location)
        violations = axe_violations(page)
        if violations:
            found[location] = violations
    assert found == {}


def test_hostile_records_run_no_script_and_break_no_layout(tmp_path, browser):
    hostile = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> {{ 7*7 }} "\'><b>'
    write_day(tmp_path / "content", "2025-01-02", [{
        "id": "hostile", "title": f"T {hostile} $\\href{{javascript:window.pwned=3}}{{x}}$",
        "abstract": f"{hostile} [link](javascript:window.pwned=4) $\\text{{<script>window.pwned=5</script>}}$",
        "authors": [hostile], "organization": hostile, "topics": [hostile], "keywords": [hostile],
        "summary": hostile, "submitted_by": hostile, "categories": ["cs.LG"]}])
    port = free_port()
    output = tmp_path / "output"
    result = run_cli("build", "--content", str(tmp_path / "content"), "--output", str(output),
                     "--base-url", f"http://127.0.0.1:{port}/", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = browser.new_page(viewport={"width": 360, "height": 800})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with static_server(output, port) as url:
        for location in ("", "papers/hostile/", "days/2025-01-02/", "categories/cs.LG/", "feeds/"):
            page.goto(url + location)
            for link in page.locator("a").all():
                href = link.get_attribute("href") or ""
                assert not href.lower().startswith("javascript:")
            assert page.evaluate("window.pwned === undefined"), location
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, location
        page.goto(url + "papers/hostile/")
        assert "{{ 7*7 }}" in page.locator("h1").inner_text() and "<script>" in page.locator("h1").inner_text()
    assert dialogs == []
    import feedparser
    feed = feedparser.parse((output / "feeds" / "rss.xml").read_bytes())
    assert feed.entries[0].title.startswith("T <script>")          # inert text in the feed
    assert "<script" not in feed.entries[0].summary and "&lt;script&gt;" in feed.entries[0].summary


def test_serve_reloads_the_open_page_when_a_record_changes(tmp_path, browser):
    day = write_day(tmp_path / "content", "2025-01-02", [{"id": "p", "title": "Before the change"}])
    port = free_port()
    env_python = [sys.executable, "-m", "site_gen", "serve", "--content", str(tmp_path / "content"),
                  "--output", str(tmp_path / "served"), "--port", str(port)]
    server = subprocess.Popen(env_python, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    try:
        line = ""
        deadline = time.time() + 60
        while "http://127.0.0.1" not in line:
            assert time.time() < deadline and server.poll() is None, "serve did not start"
            line = server.stdout.readline()
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/papers/p/")
        assert page.locator("h1").inner_text() == "Before the change"
        assert not (tmp_path / "served" / "index.html").read_text().count("EventSource")  # only in served pages
        time.sleep(0.5)
        write_day(tmp_path / "content", "2025-01-02", [{"id": "p", "title": "After the change"}])
        page.wait_for_function("document.querySelector('h1').innerText === 'After the change'", timeout=15000)
        day.write_text("- id: p\n  title: Broken\n  date: 2025-01-02\n  upvotes: lots\n")
        page.wait_for_selector("pre[role=alert]", timeout=15000)
        assert "upvotes: expected a whole number" in page.locator("pre[role=alert]").inner_text()
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=10)
