"""Grouping: papers by day, and one taxonomy abstraction for categories, topics, authors and organisations."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Callable, Collection, Hashable, Iterable, Iterator

from .arxiv_categories import ARXIV_CATEGORY_NAMES
from .config import TAXONOMIES, SiteConfig, TopicRule
from .records import Paper
from .runtime import map_on_every_core
from .state import StateStore
from .slugs import slugify, unique_slugs


def newest_first(paper: Paper) -> tuple:
    return (-paper.date.toordinal(), -paper.votes, paper.title.casefold(), paper.id)


def most_voted_first(paper: Paper) -> tuple:
    return (-paper.votes, paper.title.casefold(), paper.id)


@dataclass
class Term:
    slug: str
    name: str
    description: str = ""
    papers: list[Paper] = field(default_factory=list)


@dataclass
class Taxonomy:
    """A way of grouping papers into named terms, each with its own pages and feeds."""
    key: str        # URL folder and identifier: "categories"
    singular: str   # "category"
    title: str      # "Categories"
    terms: list[Term]  # sorted by name
    of_paper: dict[str, list[Term]]  # paper id → its terms, in the paper's own order


TermsOf = Callable[[Paper], Collection[Hashable]]   # paper → the keys of its terms (names, codes)
Describe = Callable[[Any], tuple[str, str]]        # a term's key → its (slug, display name)


def build_taxonomy(key: str, singular: str, title: str, papers: list[Paper], terms_of: TermsOf,
                   describe: Describe, descriptions: dict[str, str] | None = None,
                   older: Taxonomy | None = None) -> Taxonomy:
    """`papers` newest first, and so is each term's list. Terms whose keys slug alike are one term,
    named as its newest paper names it. Each distinct key is described once: a site has far fewer
    terms than papers naming them. With `older` (the taxonomy of papers all older than these, which
    it takes over), these papers go in front of its terms' lists."""
    descriptions = descriptions or {}
    kept = {term.slug: term for term in older.terms} if older else {}
    by_key: dict[Hashable, Term] = {}
    newer: dict[str, list[Paper]] = {}   # slug → these papers of the term
    of_paper: dict[str, list[Term]] = {}
    for paper in papers:
        keys = terms_of(paper)
        if not keys:
            continue
        own = of_paper[paper.id] = []
        for term_key in keys:
            term = by_key.get(term_key)
            if term is None:
                slug, name = describe(term_key)
                term = kept.get(slug)
                if term is None:
                    term = kept[slug] = Term(slug, name, descriptions.get(slug, ""))
                elif slug not in newer:
                    term.name = name
                newer.setdefault(slug, [])
                by_key[term_key] = term
            listed = newer[term.slug]
            if listed and listed[-1] is paper:   # the paper names it twice
                continue
            listed.append(paper)
            own.append(term)
    for slug, listed in newer.items():
        kept[slug].papers[:0] = listed
    ordered = sorted(kept.values(), key=lambda t: (t.name.casefold(), t.slug))
    return Taxonomy(key, singular, title, ordered, {**of_paper, **older.of_paper} if older else of_paper)


WORD = re.compile(r"\w+")
TOPICS_CACHE = "topics"   # the state store's entry: paper digest → the topics its text matches
# Papers whose matches are not known yet are matched on every core from this many on (a clean
# build, new topic rules): below it, forking and handing over their texts costs more than it saves.
MATCHED_ON_EVERY_CORE = 5000
MATCHED_TOGETHER = 1000   # texts a forked process is handed at once


class TopicMatcher:
    """A paper is in a topic when a keyword occurs as a whole word or phrase, or the record names it.

    Text and keywords are compared as sequences of lowercase words, so one pass over a paper's
    words finds every topic (hyphens and spaces between the words of a phrase count alike).
    """

    def __init__(self, rules: tuple[TopicRule, ...], known: dict[str, frozenset[str]] | None = None):
        self.rules = rules
        self.known = {} if known is None else known   # paper digest → slugs found in its text
        self.computed = 0                              # papers matched this time (not known)
        self._in_rule_order: dict[frozenset[str], list[tuple[str, str]]] = {}
        self.phrases: dict[tuple[str, ...], list[TopicRule]] = {}
        for rule in rules:
            for keyword in rule.keywords:
                words = tuple(WORD.findall(keyword.casefold()))
                if words and rule not in self.phrases.setdefault(words, []):
                    self.phrases[words].append(rule)
        self.single = {words[0]: rules for words, rules in self.phrases.items() if len(words) == 1}
        self.starts: dict[str, list[tuple[str, ...]]] = {}
        for words in self.phrases:
            if len(words) > 1:
                self.starts.setdefault(words[0], []).append(words)
        self.by_label = {label.casefold(): rule for rule in rules for label in (rule.name, rule.slug)}

    def rules_in(self, text: str) -> set[str]:
        words = WORD.findall(text.casefold())
        found = {rule.slug for word in self.single.keys() & set(words) for rule in self.single[word]}
        for i, word in enumerate(words):
            for phrase in self.starts.get(word, ()):
                if tuple(words[i:i + len(phrase)]) == phrase:
                    found.update(rule.slug for rule in self.phrases[phrase])
        return found

    def in_text(self, paper: Paper) -> frozenset[str]:
        matched = self.known.get(paper.digest)
        if matched is None:
            matched = self.known[paper.digest] = frozenset(self.rules_in(_text_of(paper)))
            self.computed += 1
        return matched

    def match_all(self, papers: list[Paper]) -> None:
        """Find the text matches of every paper not known yet; many of them on every core."""
        unknown = list({paper.digest: paper for paper in papers if paper.digest not in self.known}.values())
        if len(unknown) < MATCHED_ON_EVERY_CORE:
            for paper in unknown:
                self.in_text(paper)
            return
        # made as the forked processes take them: all the texts at once would be as large as the abstracts
        parts = ((self.rules, [_text_of(paper) for paper in unknown[i:i + MATCHED_TOGETHER]])
                 for i in range(0, len(unknown), MATCHED_TOGETHER))
        matches = [matched for part in map_on_every_core(_match_texts, parts) for matched in part]
        self.known.update(zip((paper.digest for paper in unknown), matches))
        self.computed += len(unknown)

    def __call__(self, paper: Paper) -> list[tuple[str, str]]:
        """The paper's topics as (slug, name) pairs (not to be changed: they may be shared)."""
        matched = self.in_text(paper) if self.phrases else frozenset()
        in_order = self._in_rule_order.get(matched)
        if in_order is None:   # few distinct sets of topics occur: put each in rule order once
            in_order = self._in_rule_order[matched] = [(r.slug, r.name) for r in self.rules if r.slug in matched]
        if not paper.topics:
            return in_order
        found = list(in_order)
        for label in paper.topics:
            rule = self.by_label.get(label.casefold())
            found.append((rule.slug, rule.name) if rule else (slugify(label), label))
        return found


def _text_of(paper: Paper) -> str:
    return f"{paper.title}\n{paper.abstract}"


def _match_texts(part: tuple[tuple[TopicRule, ...], list[str]]) -> list[frozenset[str]]:
    """The topics (slugs) each text matches: the work of one forked process (TopicMatcher.match_all)."""
    rules, texts = part
    matcher = TopicMatcher(rules)
    return [frozenset(matcher.rules_in(text)) for text in texts]


def category_name(code: str, overrides: dict[str, str]) -> str:
    return overrides.get(code) or ARXIV_CATEGORY_NAMES.get(code) or code


@dataclass
class Day:
    date: dt.date
    papers: list[Paper]  # most votes first

    @property
    def key(self) -> str:
        return self.date.isoformat()


@dataclass
class Period:
    """A week (`2025-W03`) or a month (`2025-01`): its papers ranked by votes."""
    kind: str        # "weeks" | "months"
    key: str
    label: str
    papers: list[Paper]


def _week_key(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _week_label(key: str) -> str:
    year, week = key.split("-W")
    monday = dt.date.fromisocalendar(int(year), int(week), 1)
    sunday = monday + dt.timedelta(days=6)
    return f"Week {int(week)}, {year} ({monday:%b} {monday.day} – {sunday:%b} {sunday.day})"


def _month_label(key: str) -> str:
    return f"{dt.date.fromisoformat(key + '-01'):%B %Y}"


def build_periods(kind: str, ordered: list[Paper], key_of: Callable[[dt.date], str],
                  label_of: Callable[[str], str], older: list[Period] = ()) -> list[Period]:
    """The periods of `ordered` (newest first), in front of `older` (of older papers): a period both
    have, the newest of these and the oldest of those, is ranked again."""
    periods = [Period(kind, key, label_of(key), sorted(group, key=most_voted_first))
               for key, group in groupby(ordered, key=lambda p: key_of(p.date))]
    if periods and older and periods[-1].key == older[0].key:
        periods[-1].papers = sorted(periods[-1].papers + older[0].papers, key=most_voted_first)
        older = older[1:]
    return periods + list(older)


@dataclass
class Catalog:
    papers: list[Paper]            # newest first
    days: list[Day]                # newest first
    taxonomies: dict[str, Taxonomy]
    weeks: list[Period]            # newest first
    months: list[Period]           # newest first
    with_code: list[Paper]         # newest first

    def period_of(self, kind: str, day: dt.date) -> str:
        return _week_key(day) if kind == "weeks" else day.isoformat()[:7]

    def terms(self, paper: Paper, key: str) -> list[Term]:
        taxonomy = self.taxonomies.get(key)
        return taxonomy.of_paper.get(paper.id, []) if taxonomy else []


def cached_topic_matcher(rules: tuple[TopicRule, ...], papers: list[Paper], store: StateStore | None) -> TopicMatcher:
    """A TopicMatcher that knows the text matches of the last build (matching 100k abstracts
    takes seconds; the cache is keyed by each paper's digest and the topic rules)."""
    rules_key = repr(rules)
    stored = store.load(TOPICS_CACHE, key=rules_key) if store else None
    matcher = TopicMatcher(rules, stored if isinstance(stored, dict) else None)
    known = len(matcher.known)
    matcher.match_all(papers)
    if store is not None and (matcher.computed or known > len(papers)):
        digests = {p.digest for p in papers}
        store.save(TOPICS_CACHE, {d: m for d, m in matcher.known.items() if d in digests}, key=rules_key)
    return matcher


def oldest_first(days: list[Day], names_of: Callable[[Paper], Iterable[str]]) -> Iterator[str]:
    """Names by the first day they appear on, then alphabetically: slugs given in this order stay
    put when a later day brings a name that slugs alike (it gets the -2)."""
    for day in reversed(days):
        yield from sorted({name for paper in day.papers for name in names_of(paper)})


def build_catalog(papers: list[Paper], config: SiteConfig, store: StateStore | None = None,
                  older: Catalog | None = None) -> Catalog:
    """The catalog of `papers`; with `older`, the catalog of papers all older than these (kept from
    the last build, see kept_catalog.py), these papers put in front of it: the same catalog as of
    all of them at once. `older` is taken over, not copied."""
    older = older or Catalog(papers=[], days=[], taxonomies={}, weeks=[], months=[], with_code=[])
    ordered = sorted(papers, key=newest_first)
    # newest_first orders a day's papers as most_voted_first does: each day is in order already
    days = [Day(date, list(group)) for date, group in groupby(ordered, key=lambda p: p.date)]
    earlier = older.taxonomies

    def slugs(key: str, names_of: Callable[[Paper], Iterable[str]]) -> dict[str, str]:
        given = {term.name: term.slug for term in earlier[key].terms} if key in earlier else None
        return unique_slugs(oldest_first(days, names_of), given) if key in config.taxonomies else {}
    author_slugs = slugs("authors", lambda p: p.authors)
    org_slugs = slugs("organizations", lambda p: [p.organization] if p.organization else [])
    makers = {
        "categories": lambda: build_taxonomy(
            "categories", "category", "Categories", ordered, lambda p: p.categories,
            lambda code: (code, category_name(code, config.categories)), older=earlier.get("categories")),
        "topics": lambda: build_taxonomy(
            "topics", "topic", "Topics", ordered,
            # a kept catalog's papers were matched by the build that kept it
            cached_topic_matcher(config.topics, ordered, None if older.papers else store),
            lambda pair: pair, {rule.slug: rule.description for rule in config.topics}, older=earlier.get("topics")),
        "authors": lambda: build_taxonomy(
            "authors", "author", "Authors", ordered, lambda p: p.authors, lambda name: (author_slugs[name], name),
            older=earlier.get("authors")),
        "organizations": lambda: build_taxonomy(
            "organizations", "organization", "Organizations", ordered,
            lambda p: (p.organization,) if p.organization else (), lambda name: (org_slugs[name], name),
            older=earlier.get("organizations")),
    }
    taxonomies = [makers[key]() for key in TAXONOMIES if key in config.taxonomies]
    return Catalog(
        papers=ordered + older.papers, days=days + older.days, taxonomies={t.key: t for t in taxonomies},
        weeks=build_periods("weeks", ordered, _week_key, _week_label, older.weeks),
        months=build_periods("months", ordered, lambda d: d.isoformat()[:7], _month_label, older.months),
        with_code=[p for p in ordered if p.code_available] + older.with_code,
    )
