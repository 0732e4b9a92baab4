"""View models: the small, explicit values templates receive (never records or config)."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Iterable, Iterator, Mapping

from markupsafe import Markup

from . import markup
from .catalog import Catalog, Taxonomy, Term
from .fragments import FragmentStore
from .records import Paper
from .urls import Urls

LINK_LABELS = {"arxiv": "arXiv", "pdf": "PDF", "code": "Code", "project": "Project page", "hf": "Hugging Face"}
LINK_ORDER = tuple(LINK_LABELS)


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    count: int | None = None


@dataclass(frozen=True)
class PaperLine:
    """A paper as a line of a list: only what does not change from day to day (no votes), so
    that a list of an author's papers is written again when they publish, not whenever votes move."""
    id: str
    url: str
    title_html: Markup
    title_text: str
    date: str
    date_label: str
    byline: str


@dataclass(frozen=True)
class PaperCard(PaperLine):
    """A paper as a card of a listing: its line, and what changes from day to day."""
    organization: Link | None
    categories: list[Link]
    votes: int | None
    comments: int | None
    has_code: bool
    excerpt: str


@dataclass(frozen=True)
class PaperDetail:
    card: PaperCard
    authors: list[Link]
    author_note: str          # "et al.", "8 authors", or ""
    published_label: str | None
    topics: list[Link]
    links: list[Link]
    abstract_html: Markup
    summary: str | None
    keywords: list[str]
    submitted_by: str | None


def date_label(day: dt.date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def date_range_label(first: dt.date, last: dt.date) -> str:
    """"Jan 3, 2024", "Jan 3 – 9, 2024", "Jan 30 – Feb 2, 2024" or "Dec 30, 2023 – Jan 2, 2024"."""
    if first == last:
        return date_label(first)
    if first.year != last.year:
        return f"{date_label(first)} – {date_label(last)}"
    if first.month != last.month:
        return f"{first:%b} {first.day} – {last:%b} {last.day}, {last.year}"
    return f"{first:%b} {first.day} – {last.day}, {last.year}"


def byline(paper: Paper, shown: int = 3) -> str:
    """"A, B, C et al.", "8 authors", or ""."""
    if paper.authors:
        names = ", ".join(paper.authors[:shown])
        more = paper.et_al or len(paper.authors) > shown or (paper.author_count or 0) > len(paper.authors)
        return names + (" et al." if more else "")
    if paper.author_count:
        return f"{paper.author_count} author" + ("s" if paper.author_count != 1 else "")
    return ""


class Cards:
    """The rendered cards (or lines) of some papers, read from the fragment store only when a
    template iterates over them.

    Its fingerprint is the papers' keys, so an incremental build can tell whether a page
    changed without rendering a single card.
    """

    def __init__(self, views: "Views", papers: list[Paper], kind: str = "card"):
        self.views, self.papers, self.kind = views, papers, kind

    def __iter__(self) -> Iterator[Markup]:
        return iter(self.views.cards_html(self.papers, self.kind))

    def __len__(self) -> int:
        return len(self.papers)

    def fingerprint(self) -> tuple:
        # One string of every key: a listing page has up to 2 × per_page cards.
        keys = self.views.keys_of(self.kind)
        return (self.kind, self.views.card_digests[self.kind], " ".join([keys[p.id] for p in self.papers]))


class LazyDetail:
    """A paper's detail view, built when the paper page is rendered; fingerprinted by the paper's key."""

    def __init__(self, views: "Views", paper: Paper):
        self.views, self.paper = views, paper

    @functools.cached_property
    def _detail(self) -> PaperDetail:
        return self.views.detail(self.paper)

    def __getattr__(self, name: str):
        return getattr(self._detail, name)

    def fingerprint(self) -> str:
        return self.views.paper_key(self.paper)


class LazyExcerpt:
    """A paper's excerpt (for meta descriptions), or `fallback` for a paper without an abstract;
    made only when a page is rendered."""

    def __init__(self, views: "Views", paper: Paper, fallback: str):
        self.views, self.paper, self.fallback = views, paper, fallback

    def __str__(self) -> str:
        return markup.excerpt(self.paper.abstract) if self.paper.abstract.strip() else self.fallback

    def fingerprint(self) -> str:
        return self.views.paper_key(self.paper)


def _itself(paper: Paper) -> Paper:
    return paper


def paper_keys(catalog: Catalog, papers: Iterable[Paper] | None = None) -> dict[str, str]:
    """Paper id → a key of everything its card and detail show: the record and its terms (their
    slugs and names), for these papers (default: all). Made once per build, before the workers are forked."""
    taxonomies = [(f"\x1d{key}", catalog.taxonomies[key].of_paper if key in catalog.taxonomies else {})
                  for key in Views.TAXONOMIES]
    labels = {id(term): f"\x1e{term.slug}\x1f{term.name}"
              for taxonomy in catalog.taxonomies.values() for term in taxonomy.terms}
    keys = {}
    for paper in catalog.papers if papers is None else papers:
        text = [paper.digest]
        for marker, of_paper in taxonomies:
            text.append(marker)
            text += [labels[id(term)] for term in of_paper.get(paper.id, ())]
        keys[paper.id] = hashlib.blake2b("".join(text).encode(), digest_size=16).hexdigest()
    return keys


class Views:
    """Builds view models for one build. A paper's card is rendered once (see fragments.py) and
    shared by every page that lists it; a paper's key sums up everything its card and detail are
    made from."""

    TAXONOMIES = ("categories", "topics", "authors", "organizations")

    # A paper as fragments (fragments.py) of two kinds: a card, as listings show it, and a line
    # (title, authors, date), as publication lists and related papers do.
    CARD_TEMPLATES: Mapping[str, str] = MappingProxyType({"card": "card.html", "line": "line.html"})

    def __init__(self, catalog: Catalog, urls: Urls, render_fragment: Callable[[str, dict], str],
                 card_digests: Mapping[str, str], fragments: FragmentStore, keys: Mapping[str, str],
                 steady_keys: Mapping[str, str], record_of: Callable[[Paper], Paper] | None = None):
        self.catalog = catalog
        self.urls = urls
        self.render_fragment = render_fragment
        self.card_digests = card_digests  # kind → digest of its template, which every page showing it depends on
        self.fragments = fragments      # rendered cards, by paper
        self.keys = keys                # paper id → paper_keys()
        self.steady_keys = steady_keys  # paper id → its content digest: what a line shows
        # Where a paper's full record (what its detail and excerpt show) is read: the catalog's paper
        # itself unless the build hands a reader of its own (workers.Worker: content.PaperCopies).
        self.record_of = record_of or _itself

    def paper_key(self, paper: Paper) -> str:
        return self.keys[paper.id]

    @staticmethod
    def search_key(paper: Paper) -> str:
        """What the search index holds of a paper page (the parts inside data-pagefind-body): made of
        its record but for the counts that change every day. Known without reading the full record."""
        return paper.content_digest

    def term_link(self, taxonomy: Taxonomy | str, term: Term, with_count: bool = False) -> Link:
        key = taxonomy if isinstance(taxonomy, str) else taxonomy.key
        return Link(term.name, self.urls.link(Urls.term(key, term.slug)), len(term.papers) if with_count else None)

    def term_links(self, paper: Paper, key: str) -> list[Link]:
        return [self.term_link(key, term) for term in self.catalog.terms(paper, key)]

    def card(self, paper: Paper) -> PaperCard:
        organizations = self.term_links(paper, "organizations") or \
            ([Link(paper.organization, "")] if paper.organization else [])
        return PaperCard(
            **vars(self.line(paper)),
            organization=organizations[0] if organizations else None,
            categories=self.term_links(paper, "categories"),
            votes=paper.upvotes,
            comments=paper.comments,
            has_code=paper.code_available,
            excerpt=markup.excerpt(paper.abstract),
        )

    def line(self, paper: Paper) -> PaperLine:
        return PaperLine(id=paper.id, url=self.urls.link(Urls.paper(paper.id)),
                         title_html=Markup(markup.title_html(paper.title)), title_text=paper.title,
                         date=paper.date.isoformat(), date_label=date_label(paper.date), byline=byline(paper))

    def keys_of(self, kind: str) -> Mapping[str, str]:
        """Paper id → the key of everything a fragment of this kind shows."""
        return self.keys if kind == "card" else self.steady_keys

    def card_fragment_key(self, paper: Paper, kind: str) -> str:
        return f"{self.card_digests[kind]}:{self.keys_of(kind)[paper.id]}"

    def render_cards(self, paper: Paper, kinds: tuple[str, ...]) -> dict[str, str]:
        """The paper's fragments of these kinds (CARD_TEMPLATES)."""
        views = {"card": self.card, "line": self.line}
        return {kind: self.render_fragment(self.CARD_TEMPLATES[kind], {kind: views[kind](paper)}) for kind in kinds}

    def cards_html(self, papers: list[Paper], kind: str) -> list[Markup]:
        return [Markup(html) for html in self.fragments.bodies(kind, [p.id for p in papers])]

    def cards(self, papers: list[Paper], kind: str = "card") -> Cards:
        return Cards(self, papers, kind)

    def detail(self, paper: Paper) -> PaperDetail:
        known = paper.link_map
        links = [Link(LINK_LABELS.get(name, name), known[name])
                 for name in sorted(known, key=lambda n: (LINK_ORDER.index(n) if n in LINK_ORDER else 99, n))]
        if paper.authors:
            note = "et al." if paper.et_al or (paper.author_count or 0) > len(paper.authors) else ""
        else:
            note = byline(paper)
        return PaperDetail(
            card=self.card(paper),
            authors=self.term_links(paper, "authors") or [Link(name, "") for name in paper.authors],
            author_note=note,
            published_label=date_label(paper.published) if paper.published else None,
            topics=self.term_links(paper, "topics"),
            links=links,
            abstract_html=Markup(markup.abstract_html(paper.abstract)),
            summary=paper.summary,
            keywords=list(paper.keywords),
            submitted_by=paper.submitted_by,
        )
