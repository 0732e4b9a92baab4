"""The digest's HTML part as a reader sees it in Chromium, at 360 px and in the dark."""
from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

from browser import chromium, screenshot
from site_gen.config import load_config
from site_gen.digest import DigestOptions, run_digest
from test_digest import DAY, PAPERS, digest_site  # noqa: F401  (fixture)


def html_of(site) -> str:
    report = run_digest(load_config(site / "site.yaml"), site / "content", DigestOptions(
        day=dt.date.fromisoformat(DAY), subscribers=site / "subscribers.yaml", send=False, out=site / "out",
        state=site / "state"))
    first = next(p for p in report.written)
    return message_from_bytes(first.read_bytes(), policy=policy.default).get_body(("html",)).get_content()


def test_digest_reads_correctly_at_360px_in_light_and_dark(digest_site):  # noqa: F811 (the fixture)
    html = html_of(digest_site)
    with chromium() as browser:
        for scheme in ("light", "dark"):
            page = browser.new_page(viewport={"width": 360, "height": 740}, color_scheme=scheme)
            page.set_content(html)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            for paper in PAPERS:
                link = page.get_by_role("link", name=paper["title"])
                assert link.is_visible()
                box = link.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 360
            font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.abstract')).fontSize)")
            assert font >= 13
            background = page.evaluate("getComputedStyle(document.querySelector('.container')).backgroundColor")
            assert (background == "rgb(255, 255, 255)") == (scheme == "light")
            assert page.get_by_role("link", name="View on the site").is_visible()
            screenshot(page, f"digest-360-{scheme}")
            page.close()
