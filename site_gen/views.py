"""View models: the small, explicit values templates receive (never records or config)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup

from . import markup
from .catalog import Catalog, Taxonomy, Term
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
class PaperCard:
    id: str
    url: str
    title_html: Markup
    title_text: str
    date: str
    date_label: str
    byline: str
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


def byline(paper: Paper, shown: int = 3) -> str:
    """"A, B, C et al.", "8 authors", or ""."""
    if paper.authors:
        names = ", ".join(paper.authors[:shown])
        more = paper.et_al or len(paper.authors) > shown or (paper.author_count or 0) > len(paper.authors)
        return names + (" et al." if more else "")
    if paper.author_count:
        return f"{paper.author_count} author" + ("s" if paper.author_count != 1 else "")
    return ""


class Views:
    """Builds view models for one build; cards are cached because many pages show each paper."""

    def __init__(self, catalog: Catalog, urls: Urls):
        self.catalog = catalog
        self.urls = urls
        self._cards: dict[str, PaperCard] = {}

    def term_link(self, taxonomy: Taxonomy | str, term: Term, with_count: bool = False) -> Link:
        key = taxonomy if isinstance(taxonomy, str) else taxonomy.key
        return Link(term.name, self.urls.link(Urls.term(key, term.slug)), len(term.papers) if with_count else None)

    def term_links(self, paper: Paper, key: str) -> list[Link]:
        return [self.term_link(key, term) for term in self.catalog.terms(paper, key)]

    def card(self, paper: Paper) -> PaperCard:
        card = self._cards.get(paper.id)
        if card is None:
            organizations = self.term_links(paper, "organizations")
            card = PaperCard(
                id=paper.id,
                url=self.urls.link(Urls.paper(paper.id)),
                title_html=Markup(markup.title_html(paper.title)),
                title_text=paper.title,
                date=paper.date.isoformat(),
                date_label=date_label(paper.date),
                byline=byline(paper),
                organization=organizations[0] if organizations else None,
                categories=self.term_links(paper, "categories"),
                votes=paper.upvotes,
                comments=paper.comments,
                has_code=paper.code_available,
                excerpt=markup.excerpt(paper.abstract),
            )
            self._cards[paper.id] = card
        return card

    def cards(self, papers: list[Paper]) -> list[PaperCard]:
        return [self.card(p) for p in papers]

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
            authors=self.term_links(paper, "authors"),
            author_note=note,
            published_label=date_label(paper.published) if paper.published else None,
            topics=self.term_links(paper, "topics"),
            links=links,
            abstract_html=Markup(markup.abstract_html(paper.abstract)),
            summary=paper.summary,
            keywords=list(paper.keywords),
            submitted_by=paper.submitted_by,
        )
