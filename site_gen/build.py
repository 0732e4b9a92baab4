"""`site-gen build`: records → catalog → pages and feeds → output/, in named stages."""
from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from . import STATE_FOLDER
from .changes import load_index, save_index
from .config import SiteConfig
from .errors import SiteGenError
from .feeds import FeedWriter
from .fragments import DATABASE as FRAGMENTS, read_ahead
from .incremental import Manifest, build_signature, inputs_digest
from .output import OutputTrees, Tree
from .content import PaperCopies, read_records
from .kept_catalog import grouped, keep_catalog
from .related import LIBRARIES as RELATED_LIBRARIES, CachedTexts, as_papers, find_related, text_keys
from .render import SiteView, template_folders
from .search import index_shards, keep_search_shards, plan_shards
from .sitemap import robots_txt, sitemap_files
from .urls import Urls
from .private_feeds import plan_private_feeds, private_inputs, write_private_feeds
from .runtime import Background, collection_paused, default_jobs, meanwhile, start_forkserver
from .state import StateStore
from .workers import RenderJob, RenderPool, SiteContent, Written

DEFAULT_STATE = Path(STATE_FOLDER)


@dataclass(frozen=True)
class BuildReport:
    papers: int
    pages: int
    feeds: int
    rendered: int      # files rendered this time (the rest were unchanged and reused)
    seconds: float
    up_to_date: bool = False
    stages: tuple[tuple[str, float], ...] = ()   # (stage, seconds), for --timings
    resumed: int = 0   # files that a build stopped half-way had begun to change in the tree, made again

    def __str__(self) -> str:
        if self.up_to_date:
            return f"nothing changed since the last build ({self.seconds:.2f}s)"
        resumed = f"; took up a build stopped half-way ({self.resumed} of its files made again)" if self.resumed else ""
        return (f"built {self.papers} papers: {self.pages} pages, {self.feeds} feeds; "
                f"{self.rendered} files rendered, {self.pages + self.feeds - self.rendered} unchanged, "
                f"in {self.seconds:.2f}s{resumed}")


def site_view(config: SiteConfig, urls: Urls) -> SiteView:
    return SiteView(
        title=config.title, description=config.description, language=config.language,
        home_url=urls.link(Urls.HOME), stylesheet_url=urls.link("static/style.css"),
        nav=[("Today", urls.link(Urls.HOME)), ("Archive", urls.link("days/"))]
        + [(key.title(), urls.link(f"{key}/")) for key in ("categories", "topics") if key in config.taxonomies]
        + [("With code", urls.link(Urls.CODE)), ("Feeds", urls.link(Urls.FEEDS))],
        search_url=urls.link(Urls.SEARCH) if config.search else None,
    )


def write_small_files(config: SiteConfig, urls: Urls, written: list[Written], tree: Tree) -> dict[str, str]:
    """Sitemap, robots.txt and the stylesheet: cheap, rewritten every time; returns their fingerprints."""
    files: dict[str, bytes] = {}
    entries = [(w.location, w.lastmod) for w in written
               if w.page and w.location != "404.html" and Urls.file_for(w.location).endswith(".html")]
    for location, text in sitemap_files(entries, urls):
        files[location] = text.encode()
    files["robots.txt"] = robots_txt(urls).encode()
    for folder in reversed(template_folders(config.templates)):  # overrides win
        for path in sorted((folder / "static").rglob("*")) if (folder / "static").is_dir() else []:
            if path.is_file():
                files[f"static/{path.relative_to(folder / 'static').as_posix()}"] = path.read_bytes()
    for location, data in files.items():
        tree.write(location, data)
    return {location: hashlib.blake2b(data, digest_size=16).hexdigest() for location, data in files.items()}


class StageClock:
    def __init__(self):
        self.started = self.last = time.perf_counter()
        self.stages: list[tuple[str, float]] = []

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.stages.append((name, now - self.last))
        self.last = now


@collection_paused()
def read_content(config: SiteConfig, content: Path, store: StateStore, parallel: bool, clock: StageClock,
                 check: bool = False) -> SiteContent:
    """Records → papers → catalog, and each paper's related papers, found meanwhile in a fresh
    process from the records cache (one that shares, and so copies, none of this one's memory, forked
    from a server that imports what it needs while the records are read)."""
    if parallel:
        start_forkserver((find_related.__module__, *RELATED_LIBRARIES))
    records = read_records(content, store)                                # read and validate every record
    papers = records.papers
    copies = PaperCopies(records, content, store)                         # (workers read their own back)
    clock("records")
    with Background(parallel, find_related, text_keys(papers), CachedTexts(copies), config.related, store,
                    start="forkserver") as finding_related:
        catalog, keys, changed = grouped(records, config, store, check)   # by day and by taxonomy (only
        clock("catalog")                                                  # new days, when others are kept)
        with Background(parallel and changed, keep_catalog, store, records, config, catalog, keys,
                        nice=10) as keeping:                              # kept for the next build, meanwhile
            related = as_papers(finding_related.result(), catalog.papers)
            clock("related (waited for)")
            if changed:
                keeping.result()
                clock("catalog kept (waited for)")
    return SiteContent(catalog, related, keys, {p.id: p.content_digest for p in catalog.papers}, copies)


def build(config: SiteConfig, content: Path, output: Path, state: Path = DEFAULT_STATE,
          jobs: int | None = None, progress: bool | None = None, check_inputs: bool = False) -> BuildReport:
    """Build the site into output/. With `check_inputs` (the dependency check, reads.py), every file
    is rendered, also those an earlier build made from the same declared inputs, and the build fails
    (publishing nothing) if one read a paper its fingerprint does not declare, or a file kept as
    unchanged comes out different: incremental builds would miss a change to what it read. So does
    a catalog extended from the kept one that differs from one grouped from every paper."""
    clock = StageClock()
    progress = sys.stderr.isatty() if progress is None else progress
    store = StateStore(state)
    trees = OutputTrees(output, store)
    secret, subscriber_files = private_inputs(config)
    inputs = inputs_digest(build_signature(config) + secret, content, template_folders(config.templates),
                           store, subscriber_files)
    if not check_inputs and trees.live_inputs(expected=inputs):           # 0. nothing changed at all
        return BuildReport(0, 0, 0, 0, time.perf_counter() - clock.started, up_to_date=True)
    jobs = jobs or default_jobs()
    live, tree = trees.live(), trees.next_tree()                          # 1. the tree that is not live
    # While the content is read, the new tree is made a copy of the live one and the fragment store
    # is read into the page cache, each in a process of its own.
    with (trees.catching_up(tree, live, jobs > 1),
          Background(jobs > 1, read_ahead, store.path(FRAGMENTS), nice=10)):
        site = read_content(config, content, store, jobs > 1, clock, check_inputs)  # 2. records, catalog, related
    clock("catch-up (waited for)")
    count = len(site.catalog.papers)
    config = replace(config, search=config.search and count > 0)        # nothing to search on an empty site
    signature = build_signature(config)                                   # what every page depends on
    shards = plan_shards(site.catalog.days, config.search_shard_papers) if config.search else []
    urls = Urls(config.base_url, config.base_path)
    private = plan_private_feeds(site.catalog, config, FeedWriter(config, urls, None), signature,  # 3. ranked
                                 live, store)                                         # while the papers are at hand
    clock("private feeds")
    job = RenderJob(site, config, site_view(config, urls), urls, signature, live, tree, store.path(FRAGMENTS),
                    check_inputs, inputs, load_index(store, trees.manifest_name(live.root), live.manifest.inputs))
    with RenderPool(job, jobs, progress) as pool:                         # 4. in parallel (this process lets
        pool.update_fragments()                                           #    go of the content): the stale
        clock("fragments")                                                #    cards and feed entries, then
        written = pool.render()                                           #    every page and feed
        clock("pages and feeds")
    index = pool.index
    undeclared = [f"{w.location} ({w.undeclared})" for w in written if w.undeclared]
    if undeclared:
        raise SiteGenError(f"the dependency check failed: {len(undeclared)} files are made from more than their "
                           "fingerprints or the change set say, so incremental builds would miss a change to them: "
                           f"{'; '.join(undeclared[:5])}. Nothing was published")
    files = {w.location: w.fingerprint for w in written}
    # 5. search shards: the unchanged kept, the others indexed by Pagefind while 6 and 7 are written
    search_prints, stale_shards = keep_search_shards(signature, shards, written, live, tree)
    with meanwhile(index_shards, tree.root, stale_shards, config.language, jobs) as indexing:
        files.update(write_private_feeds(private, live, tree))            # 6. subscribers' private feeds
        files.update(write_small_files(config, urls, written, tree))      # 7. sitemap, robots, static
        indexing.result()
    files.update(search_prints)
    clock("sitemap and search")
    for location in tree.manifest.files.keys() - files.keys():            # 8. pages whose records are gone
        tree.remove(location)
    trees.publish(tree, Manifest(inputs=inputs, files=files))             # 9. swap it in
    save_index(store, trees.manifest_name(tree.root), index)             #    what the next build compares with
    clock("publish")
    pages = sum(1 for w in written if w.page)
    return BuildReport(count, pages, len(written) - pages, sum(w.rendered for w in written),
                       time.perf_counter() - clock.started, stages=tuple(clock.stages), resumed=tree.resumed)
