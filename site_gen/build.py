"""`site-gen build`: records → catalog → pages and feeds → output/, in named stages."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog, build_catalog
from .config import SiteConfig
from .feeds import write_feeds as feed_files
from .output import StagedOutput, staged_output
from .pages import PagePlanner
from .records import load_content
from .related import related_papers
from .search import index_site
from .render import Renderer, SiteView, template_folders
from .sitemap import robots_txt, sitemap_files
from .urls import Urls
from .views import Views


@dataclass(frozen=True)
class BuildReport:
    papers: int
    pages: int
    feeds: int
    files: int
    seconds: float

    def __str__(self) -> str:
        return (f"built {self.papers} papers: {self.pages} pages, {self.feeds} feeds, "
                f"{self.files} files in {self.seconds:.2f}s")


def site_view(config: SiteConfig, urls: Urls) -> SiteView:
    return SiteView(
        title=config.title, description=config.description, language=config.language,
        home_url=urls.link(""), stylesheet_url=urls.link("static/style.css"),
        nav=[("Today", urls.link(Urls.HOME)), ("Archive", urls.link("days/")),
             ("Categories", urls.link("categories/")), ("Topics", urls.link("topics/")),
             ("With code", urls.link(Urls.CODE)), ("Feeds", urls.link(Urls.FEEDS))],
        search_url=urls.link(Urls.SEARCH) if config.search else None,
    )


def write_pages(catalog: Catalog, config: SiteConfig, urls: Urls, out: StagedOutput) -> list[tuple[str, str | None]]:
    renderer = Renderer(site_view(config, urls), config.templates)
    planner = PagePlanner(catalog, config, urls, Views(catalog, urls), related_papers(catalog.papers))
    sitemap_entries = []
    for page in planner.pages():
        out.write(page.location, renderer.render(page.template, page.context))
        if page.location != "404.html":
            sitemap_entries.append((urls.absolute(page.location), page.lastmod))
    return sitemap_entries


def write_feeds(catalog: Catalog, config: SiteConfig, urls: Urls, out: StagedOutput) -> int:
    count = 0
    for location, data in feed_files(catalog, config, urls):
        out.write(location, data)
        count += 1
    return count


def copy_static(config: SiteConfig, out: StagedOutput) -> None:
    for folder in reversed(template_folders(config.templates)):  # overrides copied last
        if (folder / "static").is_dir():
            out.copy_tree(folder / "static", "static")


def build(config: SiteConfig, content: Path, output: Path) -> BuildReport:
    started = time.perf_counter()
    papers = load_content(content)                       # 1. read and validate records
    catalog = build_catalog(papers, config)              # 2. group by day and taxonomies
    urls = Urls(config.base_url, config.base_path)
    with staged_output(output) as out:                   # 3. render into staging, swap in at the end
        sitemap_entries = write_pages(catalog, config, urls, out)
        feeds = write_feeds(catalog, config, urls, out)
        for location, text in sitemap_files(sitemap_entries, urls):
            out.write(location, text)
        out.write("robots.txt", robots_txt(urls))
        copy_static(config, out)
        if config.search:
            index_site(out.root, config.language)             # 4. search index over the finished pages
        files = out.files_written
    return BuildReport(len(papers), len(sitemap_entries) + 1, feeds, files, time.perf_counter() - started)
