"""Search in shards, in Chromium: the index is cut into shards of days, the search page merges
them, and incremental builds keep every shard right (a new day found, a deleted paper gone)."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest

from browser import chromium, static_server
from conftest import REPO, run_cli, write_day
from smtp_server import free_port

WORDS = ["zanzibar", "quokka", "marmalade", "hedgehog", "xylophone", "pemmican"]


def record(n: int, day: str, word: str | None = None) -> dict:
    title = f"Paper {n} on {word} estimation" if word else f"Paper {n} on sparse attention"
    return {"id": f"p{n}", "title": title, "date": day, "upvotes": n % 5, "categories": ["cs.LG"],
            "authors": [f"Author {n % 3}"], "abstract": f"Abstract {n} of a study of graph networks."}


class ShardedSite:
    """A site under a sub-path (/digest/), three papers a day, three days a shard."""

    def __init__(self, root: Path, port: int):
        self.root, self.content = root, root / "content"
        root.mkdir()
        (root / "site.yaml").write_text(f"title: Shards\nbase_url: http://127.0.0.1:{port}/digest/\n"
                                        "search_shard_papers: 9\nrelated: 0\n")
        self.days = {}

    def write(self, day: str, records: list[dict]) -> None:
        self.days[day] = records
        write_day(self.content, day, records)

    def build(self) -> None:
        result = run_cli("build", cwd=self.root)
        assert result.returncode == 0, result.stderr

    def shards(self) -> dict[str, int]:
        """Shard → the inode of its entry file (a shard kept from the last build keeps its inode)."""
        index = self.root / "output" / "pagefind"
        return {shard.name: (shard / "pagefind-entry.json").stat().st_ino for shard in sorted(index.iterdir())}


def watched(page):
    """The page, noting the browser's errors and failed requests in `page.troubles` (shown when a search fails)."""
    page.troubles = []
    page.on("console", lambda message: message.type in ("error", "warning") and page.troubles.append(message.text))
    page.on("pageerror", lambda error: page.troubles.append(str(error)))
    page.on("requestfailed", lambda request: page.troubles.append(f"{request.url}: {request.failure}"))
    return page


def search(page, url: str, term: str) -> list[str]:
    """The links of the search page's results for a term (Pagefind's default UI)."""
    page.troubles.clear()
    page.goto(f"{url}search/?q={quote(term)}")
    # The count comes first; each result's link appears once its fragment is loaded.
    page.wait_for_function(SHOWN, timeout=15000)
    return [a.get_attribute("href") for a in page.locator(".pagefind-ui__result-link").all()]


SHOWN = """() => {
  const message = document.querySelector('.pagefind-ui__message');
  const count = message && /^(\\d+|No) results? for/.exec(message.innerText);
  return count && document.querySelectorAll('.pagefind-ui__result-link').length
                  === (count[1] === 'No' ? 0 : Math.min(Number(count[1]), 5));
}"""   # the page size of Pagefind's UI


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def test_search_shards_merged_in_the_browser_stay_right_through_incremental_builds(tmp_path, browser):
    port = free_port()
    site = ShardedSite(tmp_path / "site", port)
    days = [f"{year}-0{month}-1{d}" for year, month in ((2024, 3), (2025, 1)) for d in range(5)]
    for n, day in enumerate(days):   # 3 papers a day; papers 0, 3, 6 ... carry a word of their own
        site.write(day, [record(3 * n + i, day, WORDS[n % len(WORDS)] + str(n) if i == 0 else None)
                         for i in range(3)])
    site.build()
    shards = site.shards()
    # a shard never spans two years, and holds at most 9 papers (three days); the newest, still
    # filling, is cut into pieces of a quarter of that (here: a day each)
    assert list(shards) == ["2024-03-10", "2024-03-13", "2025-01-10", "2025-01-13", "2025-01-14"]

    served = tmp_path / "served"
    served.mkdir()
    os.symlink(site.root / "output", served / "digest")
    with static_server(served, port) as root:
        url = root + "digest/"
        page = watched(browser.new_page())
        for n in (0, 4, 5, 9):      # the first and last day of each year: each shard is searched
            word = WORDS[n % len(WORDS)] + str(n)
            assert search(page, url, word) == [f"/digest/papers/p{3 * n}/"], (word, page.troubles)
        page.goto(url + "search/?q=" + WORDS[0] + "0")
        page.locator(".pagefind-ui__result-link").first.click()
        page.wait_for_url(url + "papers/p0/")
        assert "zanzibar0" in page.locator("h1").inner_text()

        # A new day the newest shard can still hold: only the new day is indexed, and found.
        site.write("2025-01-15", [record(100, "2025-01-15", "ocelot"), record(101, "2025-01-15")])
        site.build()
        after = site.shards()
        assert {name: after[name] for name in shards} == shards
        assert list(after) == [*shards, "2025-01-15"]
        assert search(page, url, "ocelot") == ["/digest/papers/p100/"]

        # A day it cannot hold: the full shard is indexed once, whole, and the new day begins the next.
        site.write("2025-01-16", [record(102, "2025-01-16", "tapir"), record(103, "2025-01-16")])
        site.build()
        before, after = after, site.shards()
        assert list(after) == ["2024-03-10", "2024-03-13", "2025-01-10", "2025-01-13", "2025-01-16"]
        assert {name for name in after if before.get(name) == after[name]} == {"2024-03-10", "2024-03-13", "2025-01-10"}
        for word, paper in [("ocelot", 100), ("tapir", 102)] + [(WORDS[n % len(WORDS)] + str(n), 3 * n) for n in (9,)]:
            assert search(page, url, word) == [f"/digest/papers/p{paper}/"], word

        # New votes reorder a day's papers, but what the index holds of them is the same: every
        # shard is kept (the day's page is built again).
        site.write(days[1], [dict(paper, upvotes=10 - i) for i, paper in enumerate(site.days[days[1]])])
        before, day_page = site.shards(), site.root / "output" / "days" / days[1] / "index.html"
        old_order = day_page.read_text()
        site.build()
        assert site.shards() == before
        assert day_page.read_text() != old_order

        # A template that changes what a paper page gives the index: every shard is indexed again.
        overrides = site.root / "templates"
        overrides.mkdir()
        paper_html = (REPO / "templates" / "paper.html").read_text()
        (overrides / "paper.html").write_text(paper_html.replace("data-pagefind-body>", "data-pagefind-body><p>wombat</p>"))
        with open(site.root / "site.yaml", "a") as config:
            config.write("templates: templates\n")
        before = site.shards()
        site.build()
        assert not set(site.shards().items()) & set(before.items())
        assert len(search(page, url, "wombat")) >= 5    # the first page of results, from any shard
        assert search(page, url, "zanzibar0") == ["/digest/papers/p0/"]

        # A deleted paper is gone from its shard; an edited one is found by its new title.
        site.write(days[0], [record(1, days[0]), record(2, days[0])])
        site.write(days[5], [record(15, days[5], "kinkajou")] + site.days[days[5]][1:])
        site.build()
        assert search(page, url, "zanzibar0") == []
        assert search(page, url, "kinkajou") == ["/digest/papers/p15/"]
        assert search(page, url, WORDS[5] + "5") == []
        assert search(page, url, "ocelot") == ["/digest/papers/p100/"]
