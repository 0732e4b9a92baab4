"""Searching a built site in Chromium, as a reader does: how soon the first results show.

    python bench/search.py SITE [--queries 5]

SITE is a site that `run.py --search` built (such as /tmp/site-gen-bench/site-100000). Its
output is served from 127.0.0.1; Chromium (Debian's, driven by Playwright) opens the search
page and types queries: the exact title, in quotes (Pagefind's phrase search), of the oldest
paper, of the newest paper, and of papers picked evenly in between. For each it prints the time from the last keystroke to the
first result on screen (Pagefind's UI waits for a pause in typing first), and whether the paper
searched for is among the results. Then single words, as readers mostly search: the site's
one-word topic keywords, each with the number of papers Pagefind says it found. As the
baseline, the same page with a query that matches nothing (the index is loaded, nothing
found) is timed first.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH.parent / "tests"))

from browser import chromium, static_server  # noqa: E402
from site_gen.config import load_config  # noqa: E402
from site_gen.content import load_content  # noqa: E402
from smtp_server import free_port  # noqa: E402


def papers_to_find(site: Path, count: int) -> list[tuple[str, str]]:
    """(title, paper id): the oldest paper, the newest and some in between."""
    papers = sorted(load_content(site / "content"), key=lambda p: (p.date, p.id))
    picks = [papers[0], papers[-1]] + [papers[len(papers) * k // count] for k in range(1, count - 1)]
    return [(p.title, p.id) for p in picks]


def single_words(site: Path, count: int) -> list[str]:
    """Up to `count` of the site's topic keywords that are one word."""
    words = [keyword for topic in load_config(site / "site.yaml").topics for keyword in topic.keywords
             if keyword.isalpha()]
    return words[:count]


def time_query(page, query: str) -> tuple[float, list[str]]:
    """Seconds from typing the query to the first result (or the 'no results' message), and the result links."""
    box = page.locator(".pagefind-ui__search-input")
    box.fill("")
    page.wait_for_timeout(300)
    started = time.perf_counter()
    box.fill(query)
    page.wait_for_function(
        "() => document.querySelector('.pagefind-ui__result-link') || "
        "/^No results/.test((document.querySelector('.pagefind-ui__message') || {}).innerText || '')", timeout=60000)
    seconds = time.perf_counter() - started
    page.wait_for_timeout(200)
    return seconds, [a.get_attribute("href") for a in page.locator(".pagefind-ui__result-link").all()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path)
    parser.add_argument("--queries", type=int, default=5)
    args = parser.parse_args()
    output = (args.site / "output").resolve()
    shards = sorted(p.name for p in (output / "pagefind").iterdir())
    print(f"{args.site}: {len(shards)} search shards ({shards[0]} … {shards[-1]})")
    port = free_port()
    with static_server(output, port) as url, chromium() as browser:
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(url + "search/")
        page.locator(".pagefind-ui__search-input").wait_for()
        print(f"search page ready: {time.perf_counter() - started:.2f} s")
        baseline, _ = time_query(page, "qqqqzzzz")
        print(f"baseline, a query that matches nothing: {baseline:.2f} s to the 'no results' message")
        print("| query | first results s | / baseline | found |\n|---|---:|---:|---|")
        for n, (title, paper_id) in enumerate(papers_to_find(args.site, args.queries)):
            seconds, links = time_query(page, f'"{title}"')
            found = any(link.rstrip("/").endswith(f"/papers/{paper_id}") for link in links)
            label = "oldest paper" if n == 0 else "newest paper" if n == 1 else "a paper in between"
            print(f"| {label}: {title[:40]} | {seconds:.2f} | {seconds / baseline:.2f}x | {'yes' if found else 'NO'} |")
        print("\n| one word | first results s | / baseline | Pagefind's count |\n|---|---:|---:|---|")
        for word in single_words(args.site, args.queries):
            seconds, _ = time_query(page, word)
            message = page.locator(".pagefind-ui__message").inner_text()
            print(f"| {word} | {seconds:.2f} | {seconds / baseline:.2f}x | {message} |")


if __name__ == "__main__":
    main()
