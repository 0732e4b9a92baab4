"""Rendering pages and feeds into an output tree, in worker processes, reusing unchanged files.

The parent finds which papers' fragments (cards, feed entries) are missing or stale and lists every
page and feed; the workers (runtime.SharedPool: they share the site's content with the parent)
render the stale fragments, which the parent stores, while the parent carries over the pages and
feeds the change set (changes.py) says are unchanged; then the workers take chunks of the other
specs: for each they compute the fingerprint, link the live tree's file when the fingerprint is
unchanged, and render otherwise.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Mapping

from .catalog import Catalog
from .changes import SEP, BuildIndex, ChangeSet, change_set
from .config import SiteConfig
from .content import PaperCopies
from .feeds import FeedWriter
from .errors import SiteGenError
from .fragments import EVERY_PAPERS_KIND, FragmentStore
from .incremental import fingerprint
from .listings import Listing, feed_listings, listings_holding
from .output import Tree
from .pages import PagePlanner, PaperPageContext
from .runtime import SharedPool, collection_paused
from .reads import DeclaringKeys, ReadingFragments, ReadLog, reading_records
from .records import Paper
from .render import Renderer, SiteView
from .urls import Urls
from .views import Views

CHUNK = 256
# A day's papers are read back from the cache (content.PaperCopies) for at least this many of its
# stale fragments. For fewer (old papers newly among a new day's related papers), reading the
# build's papers is quicker than reading the day, and copies the memory of those few papers only.
COPY_MIN_PAPERS = 50

Stale = tuple[int, tuple[str, ...], tuple[str, ...]]   # (paper index, fragment kinds, the key each must have)
ENTRY_KINDS = FeedWriter.ENTRY_KINDS + FeedWriter.SHORT_ENTRY_KINDS
# the fragment kinds a worker renders together: a paper's card and line, its full feed entries, its short ones
FRAGMENT_GROUPS = (tuple(Views.CARD_TEMPLATES), FeedWriter.ENTRY_KINDS, FeedWriter.SHORT_ENTRY_KINDS)


@dataclass
class SiteContent:
    """What a build makes of the records, and every page and feed is made from."""
    catalog: Catalog
    related: Mapping[str, list[Paper]]   # paper id → its related papers
    keys: Mapping[str, str]              # paper id → views.paper_keys()
    steady_keys: Mapping[str, str]       # paper id → its content digest (records.Paper)
    copies: PaperCopies | None = None    # where workers read a paper's full record back

    def release(self) -> None:
        """Let go of it all, wherever this object is held (see runtime.SharedPool)."""
        self.catalog = self.related = self.keys = self.steady_keys = None


@dataclass
class RenderJob:
    content: SiteContent
    config: SiteConfig
    site: SiteView
    urls: Urls
    signature: str
    live: Tree
    tree: Tree
    fragments: Path   # the FragmentStore's database
    check_inputs: bool = False   # render every file, and tell those that read undeclared inputs (reads.py)
    inputs: str = ""             # the build's inputs_digest, for its index
    last_index: BuildIndex | None = None   # the live tree's build's: what the change set is made from


@dataclass(frozen=True, slots=True)   # one a file of the site: without a __dict__ each, a quarter less memory
class Written:
    location: str
    fingerprint: str
    lastmod: str | None
    rendered: bool
    page: bool        # an HTML page, not a feed
    search_key: str | None  # for pages the search index covers: what the index holds of them
    undeclared: str | None = None  # check_inputs: what the file read that its fingerprint leaves out


class Worker:
    """Everything one process needs to render; created once per process."""

    def __init__(self, job: RenderJob, forked: bool = False):
        self.job = job
        self.content = content = job.content
        self.renderer = Renderer(job.site, job.config.templates)
        self.render = self.renderer.render
        self.fragments = FragmentStore(job.fragments)
        keys, steady_keys = content.keys, content.steady_keys
        record_of = content.copies.of if forked and content.copies else None
        self.reads = ReadLog() if job.check_inputs else None
        if self.reads:   # the dependency check: what each file declares and reads is recorded
            keys, steady_keys = DeclaringKeys(keys, self.reads), DeclaringKeys(steady_keys, self.reads)
            record_of = reading_records(record_of, self.reads)
            self.fragments = ReadingFragments(self.fragments, self.reads)
        digests = {kind: self.renderer.template_digest(name) for kind, name in Views.CARD_TEMPLATES.items()}
        self.views = Views(content.catalog, job.urls, self.render, digests,
                           self.fragments, keys, steady_keys, record_of)
        self.planner = PagePlanner(content.catalog, job.config, job.urls, self.views, content.related)
        self.feeds = FeedWriter(job.config, job.urls, self.fragments)
        self.feed_listings: list[Listing] = list(feed_listings(content.catalog, job.config))
        self.carried_prints: dict[str, str] = {}   # the dependency check: location → what was carried over

    def fragment_needs(self) -> dict[str, Collection[str]]:
        """Fragment kind → the papers some page or feed shows so: every paper's card, the lines of
        related papers and of papers on compact listings, the feed entries of the papers in feeds."""
        needs: dict[str, Collection[str]] = {EVERY_PAPERS_KIND: [p.id for p in self.content.catalog.papers],
                                             "line": self.papers_in_lines()}
        for listing in self.feed_listings:
            shown = [p.id for p in self.feeds.newest(listing)]
            for kind in self.feeds.entry_kinds(listing):
                needs.setdefault(kind, set()).update(shown)
        return needs

    def stale_fragments(self, stored: FragmentStore, needs: dict[str, Collection[str]],
                        changes: ChangeSet | None) -> list[Stale]:
        """The fragments needed that the store lacks or holds as made from other inputs: of the papers
        the change set names (changes.py), or of all. The dependency check looks at all, and fails
        when the change set left one out."""
        generation = stored.generation()
        papers = self.content.catalog.papers
        position = {paper.id: index for index, paper in enumerate(papers)}
        signature = self.job.signature
        wanted: dict[int, dict[str, str]] = {}   # paper index → the kinds it lacks, with their keys
        for kind, needing in needs.items():
            checked = needing if changes is None or self.reads else changes.fragments_to_check(kind, needing, generation)
            have = stored.keys(kind, None if checked is needing else checked)
            for pid in checked:
                paper = papers[position[pid]]
                key = signature + ":" + (self.feeds.entry_fragment_key(paper) if kind in ENTRY_KINDS
                                         else self.views.card_fragment_key(paper, kind))
                if have.get(pid) != key:
                    wanted.setdefault(position[pid], {})[kind] = key
                    if self.reads and changes and pid not in changes.fragments_to_check(kind, [pid], generation):
                        raise SiteGenError(f"the dependency check failed: the {kind} fragment of paper {pid} is "
                                           "stale, yet the change set says it cannot be. Nothing was published")
        stale = []
        for index in sorted(wanted):
            kinds = wanted[index]
            for group in FRAGMENT_GROUPS:
                in_group = tuple(kind for kind in group if kind in kinds)
                if in_group:
                    stale.append((index, in_group, tuple(kinds[kind] for kind in in_group)))
        return stale

    def papers_in_lines(self) -> set[str]:
        """The papers some page shows as a line: related papers, and the papers of compact taxonomies."""
        papers = {p.id for related in self.content.related.values() for p in related}
        for key in self.job.config.compact_taxonomies:
            if key in self.content.catalog.taxonomies:
                papers.update(pid for pid, terms in self.content.catalog.taxonomies[key].of_paper.items() if terms)
        return papers

    def render_fragments(self, stale: list[Stale]) -> list[tuple[str, str, str, str]]:
        """FragmentStore rows (kind, paper id, key, body) of these stale fragments."""
        papers = self.content.catalog.papers
        per_day = Counter(papers[i].date for i, _, _ in stale)
        # in paper order: each day is read once
        own = {i: self.views.record_of(papers[i]) if per_day[papers[i].date] >= COPY_MIN_PAPERS else papers[i]
               for i, _, _ in stale}
        cards = [(own[i], kinds, keys) for i, kinds, keys in stale if kinds[0] not in ENTRY_KINDS]
        rendered = [self.views.render_cards(paper, kinds) for paper, kinds, _ in cards]
        for group in sorted({kinds for _, kinds, _ in stale if kinds[0] in ENTRY_KINDS}):
            entries = [(own[i], kinds, keys) for i, kinds, keys in stale if kinds == group]
            cards += entries
            rendered += self.feeds.render_entries([paper for paper, _, _ in entries], group)
        return [(kind, paper.id, key, bodies[kind])
                for (paper, kinds, keys), bodies in zip(cards, rendered) for kind, key in zip(kinds, keys)]

    def _reuse(self, location: str, print_: str) -> bool:
        job = self.job
        if job.tree.has(location, print_):
            return True
        return job.live.has(location, print_) and job.tree.link_from(job.live, location)

    def page(self, spec: tuple) -> Written:
        page = self.planner.page(spec)
        if self.reads:
            self.reads.clear()
        print_ = fingerprint(self.job.signature, self.renderer.template_digest(page.template), page.context)
        rendered = not self._reuse(page.location, print_)
        undeclared = None
        if rendered:
            self.job.tree.write(page.location, self.render(page.template, page.context))
        if self.reads:
            undeclared = self._carried_wrongly(page.location, print_) or \
                self._check(page.location, rendered, lambda: self.render(page.template, page.context))
        search_key = self._search_key(page.template, page.context.paper) \
            if isinstance(page.context, PaperPageContext) else None
        return Written(page.location, print_, page.lastmod, rendered, True, search_key, undeclared)

    def _check(self, location: str, rendered: bool, render: Callable[[], str | bytes]) -> str | None:
        """The dependency check of one file: what it read that it did not declare, or, for a file
        kept as unchanged, whether it now renders differently; None when neither."""
        fresh = None if rendered else render()   # a rendered file was read as it was rendered
        undeclared = self.reads.undeclared()
        if undeclared:
            return f"read paper{'s' if len(undeclared) > 1 else ''} {', '.join(undeclared[:5])} without declaring it"
        if fresh is not None and self._differs(location, fresh):
            return "kept as unchanged, yet renders differently now"
        return None

    def _search_key(self, template: str, paper: Paper) -> str | None:
        """Paper pages are what the search index holds, as their template marks it up: the key is made
        of the paper's indexed fields and the template (asking the page's context would make it)."""
        return f"{self.renderer.template_digest(template)}:{self.views.search_key(paper)}" \
            if self.job.config.search else None

    def _carried_wrongly(self, location: str, print_: str) -> str | None:
        carried = self.carried_prints.get(location)
        return None if carried in (None, print_) else "carried over by the change set, yet made from other inputs now"

    def _differs(self, location: str, fresh: str | bytes) -> bool:
        """Whether a reused file differs from what rendering it now makes."""
        return self.job.tree.path(location).read_bytes() != (fresh.encode() if isinstance(fresh, str) else fresh)

    def feed(self, index: int) -> Iterator[Written]:
        listing = self.feed_listings[index]
        newest = self.feeds.newest(listing)
        if self.reads:
            self.reads.clear()
            self.reads.declare(p.id for p in newest)   # the entries' keys below
        print_ = fingerprint(self.job.signature, "feed", listing.title, listing.description, listing.location,
                             listing.feeds_at, self.feeds.entry_kinds(listing), [self.feeds.entry_key(p) for p in newest])
        locations = self.feeds.locations(listing)
        reused = all(self._reuse(location, print_) for location in locations)
        fresh = dict(self.feeds.files(listing)) if not reused or self.reads else {}
        for location in locations:
            if not reused:
                self.job.tree.write(location, fresh[location])
            undeclared = (self._carried_wrongly(location, print_) or self._check(location, not reused,
                                                                                  lambda: fresh[location])) \
                if self.reads else None
            yield Written(location, print_, None, not reused, False, None, undeclared)

    def specs(self) -> list[tuple]:
        """Every page's spec, then every feed's: what `chunk` is given, in site order."""
        return self.planner.plan() + [("feed", i) for i in range(len(self.feed_listings))]

    def chunk(self, specs: list[tuple]) -> list[list[Written]]:
        """Each spec's files (a feed spec has one a format)."""
        return [list(self.feed(spec[1])) if spec[0] == "feed" else [self.page(spec)] for spec in specs]

    def index(self, needs: dict[str, Collection[str]]) -> BuildIndex:
        """This build's index (changes.py), but for its listing pages' lastmods, known once they are
        made, and the fragment store's generation, once its fragments are stored."""
        content, templates = self.content, ("paper.html", "listing.html")
        return BuildIndex(
            self.job.inputs, fingerprint(self.job.signature, [self.renderer.template_digest(t) for t in templates],
                                         sorted(self.views.card_digests.items())),
            dict(content.keys), {pid: SEP.join(p.id for p in related) for pid, related in content.related.items() if related},
            {listing.location: len(listing.papers) for listing in (*self.planner.listings, *self.feed_listings)},
            needs={kind: frozenset(needing) for kind, needing in needs.items() if kind != EVERY_PAPERS_KIND})

    def change_set(self, index: BuildIndex) -> ChangeSet | None:
        papers = {paper.id: paper for paper in self.content.catalog.papers}
        return change_set(self.job.last_index, index, lambda pid: listings_holding(self.content.catalog, papers[pid]))

    def carried(self, spec: tuple, changes: ChangeSet) -> list[Written] | None:
        """The spec's files as the live tree has them, when the change set says they are unchanged
        and this tree holds them (or links them from the live tree); else None: the spec is planned."""
        kind, *arguments = spec
        if kind == "paper":
            paper = self.content.catalog.papers[arguments[0]]
            if changes.plans_paper(paper.id):
                return None
            return self._kept([Urls.paper(paper.id)], paper.date.isoformat(), True,
                              self._search_key("paper.html", paper))
        if kind == "listing":
            listing = self.planner.listings[arguments[0]]
            if not listing.stable_pages or changes.plans_listing(listing.location):   # periods: see changes.py
                return None
            location = self.planner.pages_of(listing)[arguments[1]].location
            if location not in changes.lastmods:
                return None
            return self._kept([location], changes.lastmods[location], True, None)
        if kind == "feed":
            listing = self.feed_listings[arguments[0]]
            return None if changes.plans_listing(listing.location) else \
                self._kept(self.feeds.locations(listing), None, False, None)
        return None

    def _kept(self, locations: list[str], lastmod: str | None, page: bool, search_key: str | None) -> list[Written] | None:
        prints = [self.job.live.manifest.files.get(location) for location in locations]
        if None in prints:
            return None
        if self.reads:   # the dependency check plans it, and compares
            self.carried_prints.update(zip(locations, prints))
            return None
        if not all(self._reuse(location, print_) for location, print_ in zip(locations, prints)):
            return None
        return [Written(location, print_, lastmod, False, page, search_key) for location, print_ in zip(locations, prints)]


class RenderPool:
    """The processes of one build's rendering: forked workers, or this process alone for one job.

        with RenderPool(job, jobs, progress) as pool:
            pool.update_fragments()   # the stale cards and feed entries, into the store
            written = pool.render()   # every page and feed

    What the workers share is made before they are forked: the stale fragments, every page's and
    feed's spec. While they render the fragments, this process finds the files the change set
    carries over, and then lets go of the site's content (SiteContent.release).
    """

    def __init__(self, job: RenderJob, jobs: int, progress: bool):
        self.job, self.jobs, self.progress = job, jobs, progress
        self.store = FragmentStore(job.fragments)

    # Paused, and what it makes frozen with the content (runtime.collection_paused): the workers'
    # listings and plan are tens of thousands of objects that the workers share.
    @collection_paused()
    def _plan(self, forked: bool) -> Worker:
        """The worker every process renders with, and what it is to render: the stale fragments, every spec."""
        worker = Worker(self.job, forked)
        needs = worker.fragment_needs()
        self.index = worker.index(needs)
        self.changes = worker.change_set(self.index)
        self.stale = worker.stale_fragments(self.store, needs, self.changes)
        self.store.keep_only([p.id for p in self.job.content.catalog.papers])
        self.job.last_index = None   # let go of it before the fork: the workers need none of it
        self.all_specs, self.specs = worker.specs(), None
        if self.job.check_inputs:    # the workers check what was carried over: it is found before the fork
            self._carry_over(worker)
        return worker

    @collection_paused()
    def _carry_over(self, worker: Worker) -> None:
        """Each spec with its files when the change set carries them over unchanged, else None: the
        workers make them."""
        changes = self.changes
        self.specs = [(spec, worker.carried(spec, changes) if changes else None) for spec in self.all_specs]
        self.changes = self.all_specs = None

    def __enter__(self) -> "RenderPool":
        FragmentStore.prepare(self.job.fragments)
        jobs = self.jobs if len(self.job.content.catalog.papers) > CHUNK else 1
        self.worker = self._plan(forked=jobs > 1)
        self.store.close()   # no SQLite connection is carried into a forked worker
        self.pool = SharedPool(self.worker, jobs, release=self.job.content.release).__enter__()
        return self

    def __exit__(self, *error) -> None:
        self.pool.__exit__(*error)
        self.store.close()

    def _map(self, method: str, arguments: list[list]) -> Iterator[Any]:
        return self.pool.map(method, arguments, [len(a) for a in arguments], self.progress,
                             "page" if method == "chunk" else "paper")

    def update_fragments(self) -> None:
        chunks = [self.stale[i:i + CHUNK] for i in range(0, len(self.stale), CHUNK)]
        made = self._map("render_fragments", chunks)   # the workers are at it while this process
        if self.specs is None:                         # finds what is carried over
            self._carry_over(self.worker)
        self.worker = None
        for rows in made:
            self.store.put(rows)
        self.index.fragments = self.store.generation()   # the store as this build leaves it

    def render(self) -> list[Written]:
        """Render or reuse every page and feed that is not carried over; all of them, in site order."""
        planned = [spec for spec, carried in self.specs if carried is None]
        chunks = [planned[i:i + CHUNK] for i in range(0, len(planned), CHUNK)]
        made = (files for done in self._map("chunk", chunks) for files in done)
        self.pool.let_go()   # while the workers render
        written, lastmods = [], {}
        for spec, carried in self.specs:
            files = next(made) if carried is None else carried
            written += files
            if spec[0] == "listing":
                lastmods[files[0].location] = files[0].lastmod
        self.index.lastmods = lastmods
        return written
