"""One digest message per subscriber: which papers, and the multipart/alternative email itself."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

import css_inline
from markupsafe import Markup

from ..catalog import TopicMatcher, category_name, most_voted_first
from ..config import EmailConfig, SiteConfig
from ..markup import excerpt
from ..records import Paper
from ..render import Renderer, SiteView
from ..urls import Urls
from ..views import byline, date_label
from .personal import Pick, excluded, keyword_pattern
from .subscribers import Subscriber

ABSTRACT_LIMIT = 420
_INLINER = css_inline.CSSInliner(keep_at_rules=True)


@dataclass(frozen=True)
class PaperItem:
    title: str
    url: str
    byline: str
    category: str | None
    votes: int | None
    has_code: bool
    abstract: str


@dataclass(frozen=True)
class RenderedPaper:
    """A paper's part of the message, rendered once and shared by every subscriber who gets it."""
    html: Markup
    text: str


@dataclass(frozen=True)
class DayPapers:
    """The day's papers with what the filters match on, computed once for all subscribers."""
    day: dt.date
    papers: list[Paper]
    topics: dict[str, set[str]]   # paper id → topic names and slugs (case-folded)


def day_papers(day: dt.date, papers: list[Paper], config: SiteConfig) -> DayPapers:
    matcher = TopicMatcher(config.topics)
    ordered = sorted((p for p in papers if p.date == day), key=most_voted_first)
    topics = {p.id: {label.casefold() for slug, name in matcher(p) for label in (slug, name)} for p in ordered}
    return DayPapers(day, ordered, topics)


def papers_for(subscriber: Subscriber, day: DayPapers) -> list[Paper]:
    """No filters: every paper. Filters: papers matching any category, topic or keyword. Never a paper
    matching an excluded keyword."""
    papers = [p for p in day.papers if not excluded(subscriber, p)]
    if not subscriber.has_filters:
        return papers
    categories = set(subscriber.categories)
    topics = {t.casefold() for t in subscriber.topics}
    keywords = keyword_pattern(subscriber.keywords)
    return [p for p in papers
            if categories.intersection(p.categories)
            or topics & day.topics[p.id]
            or (keywords and keywords.search(f"{p.title}\n{p.abstract}"))]


def one_line(text: str) -> str:
    """Header-safe text: no line breaks or control characters can reach a header."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text).split())


def message_id(day: dt.date, subscriber: Subscriber, list_id: str) -> str:
    digest = hashlib.sha256(f"{day.isoformat()}\n{subscriber.email.lower()}".encode()).hexdigest()[:24]
    domain = re.sub(r"[^A-Za-z0-9.-]", "", list_id) or "site-gen.invalid"
    return f"<digest.{day.isoformat()}.{digest}@{domain}>"


def private_feed(subscriber: Subscriber, secret: str, kind: str) -> str:
    """The location of a subscriber's private feed: its folder is their unsubscribe token, which only
    they (and the operator's secret) know."""
    return f"{Urls.PERSONAL_FEEDS}{subscriber.unsubscribe_token(secret)}/{kind}.xml"


class DigestComposer:
    def __init__(self, config: SiteConfig, secret: str):
        self.config = config
        self.email: EmailConfig = config.email
        self.secret = secret
        self.urls = Urls(config.base_url, config.base_path)
        site = SiteView(title=config.title, description=config.description, language=config.language,
                        home_url=self.urls.absolute(""), stylesheet_url="", nav=[])
        self.renderer = Renderer(site, config.templates, folder="email")
        self._rendered: dict[str, RenderedPaper] = {}

    def item(self, paper: Paper) -> PaperItem:
        primary = paper.categories[0] if paper.categories else None
        return PaperItem(
            title=one_line(paper.title), url=self.urls.absolute(Urls.paper(paper.id)), byline=byline(paper),
            category=category_name(primary, self.config.categories) if primary else None,
            votes=paper.upvotes, has_code=paper.code_available, abstract=excerpt(paper.abstract, ABSTRACT_LIMIT),
        )

    def rendered(self, paper: Paper) -> RenderedPaper:
        cached = self._rendered.get(paper.id)
        if cached is None:
            context = {"paper": self.item(paper)}
            cached = RenderedPaper(Markup(self.renderer.render("paper.html", context)),
                                   self.renderer.render("paper.txt", context))
            self._rendered[paper.id] = cached
        return cached

    def unsubscribe_url(self, subscriber: Subscriber) -> str:
        return self.email.unsubscribe_url.replace("{token}", subscriber.unsubscribe_token(self.secret))

    def private_feed_url(self, subscriber: Subscriber) -> str | None:
        """Where the build puts the subscriber's For-you feed (build's personal_feeds.py), if they have a library."""
        return self.urls.absolute(private_feed(subscriber, self.secret, "atom")) if subscriber.library else None

    def subject(self, day: dt.date, count: int) -> str:
        return one_line(f"{self.config.title}: {count} paper{'s' if count != 1 else ''} for {date_label(day)}")

    def compose(self, subscriber: Subscriber, day: dt.date, papers: list[Paper], now: dt.datetime,
                for_you: list[Pick] = ()) -> EmailMessage:
        """The message: the For-you picks first (for a subscriber with a library), then `papers`, which
        for such a subscriber without filters are none: the day's page is linked instead."""
        context = {
            "subject": self.subject(day, len(for_you) + len(papers)),
            "for_you": [{"paper": self.rendered(pick.paper), "reason": pick.reason} for pick in for_you],
            "list_rest": not subscriber.library or subscriber.has_filters,
            "feed_url": self.private_feed_url(subscriber),
            "day_label": date_label(day),
            "day_url": self.urls.absolute(Urls.day(day)),
            "papers": [self.rendered(p) for p in papers[:self.email.max_papers]],
            "more": max(0, len(papers) - self.email.max_papers),
            "total": len(papers),
            "subscriber_name": subscriber.name,
            "unsubscribe_url": self.unsubscribe_url(subscriber),
            "filtered": subscriber.has_filters,
        }
        message = EmailMessage()
        message["Subject"] = context["subject"]
        message["From"] = self.email.sender
        message["To"] = formataddr((one_line(subscriber.name or ""), subscriber.email))
        if self.email.reply_to:
            message["Reply-To"] = self.email.reply_to
        message["Date"] = format_datetime(now)
        message["Message-ID"] = message_id(day, subscriber, self.email.list_id)
        message["List-Id"] = f"{one_line(self.config.title)} <{self.email.list_id}>"
        unsubscribe = [f"<{context['unsubscribe_url']}>"]
        if self.email.unsubscribe_mailto:
            address = parseaddr(self.email.unsubscribe_mailto)[1]
            unsubscribe.append(f"<mailto:{address}?subject=unsubscribe>")
        message["List-Unsubscribe"] = ", ".join(unsubscribe)
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(self.renderer.render("digest.txt", context))
        html = _INLINER.inline(self.renderer.render("digest.html", context))
        message.add_alternative(html, subtype="html")
        return message
