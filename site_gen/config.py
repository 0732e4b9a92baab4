"""site.yaml: typed configuration, validated once at load with every problem reported together."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import yaml

from . import yamlio
from .errors import Problem, ValidationError
from .fields import FieldReader, check_base_url, normalise_base_url
from .records import CATEGORY_PATTERN
from .slugs import slugify

TAXONOMIES = ("categories", "topics", "authors", "organizations")
TERM_FEED_FORMATS = ("rss", "atom")


@dataclass(frozen=True)
class TopicRule:
    name: str
    slug: str
    description: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmailConfig:
    sender: str = "Daily Papers <papers@localhost>"
    reply_to: str | None = None
    list_id: str = "daily-papers.localhost"
    unsubscribe_url: str = "https://localhost/unsubscribe?token={token}"
    unsubscribe_mailto: str | None = None
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"
    username: str | None = None
    send_empty: bool = False
    max_papers: int = 50        # per message, most voted first; mail clients clip long messages (Gmail at 102 KB)
    tls_ca_file: Path | None = None   # PEM certificates of a private CA to trust for STARTTLS/SSL
    subscribers: Path | None = None   # the subscribers file the build reads for private feeds (subscribers.yaml)


@dataclass(frozen=True)
class PersonalConfig:
    """For you: each subscriber's papers ranked by their library (digest/personal.py)."""
    top: int = 10              # papers in the For-you section, and per day in a private feed
    min_score: float = 0.1     # the least similarity (cosine of TF-IDF vectors, 0–1) to be picked
    days: int = 14             # days a private feed covers


SOURCES = ("daily_papers", "arxiv_rss", "arxiv_api")   # what `site-gen fetch` can fetch from


@dataclass(frozen=True)
class SourceConfig:
    endpoint: str                        # e.g. https://huggingface.co; tests and mirrors point it elsewhere
    categories: tuple[str, ...] = ()     # the arXiv sources: which categories
    page_size: int = 2000                # arxiv_api: results per page (arXiv allows at most 2,000)


@dataclass(frozen=True)
class FetchConfig:
    """How politely `site-gen fetch` asks."""
    timeout: float = 30.0      # seconds to connect, and between two reads
    retries: int = 4           # further tries after a connection error, 429 or 5xx
    backoff: float = 2.0       # seconds before the first retry, doubled each time, with jitter
    delay: float = 3.0         # seconds between two requests to one host (arXiv asks for 3)
    max_wait: float = 600.0    # the longest Retry-After honoured; a longer one fails the source


@dataclass(frozen=True)
class SiteConfig:
    title: str = "Daily Papers"
    description: str = "Research papers, day by day."
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    per_page: int = 50
    feed_items: int = 50
    feed_authors: int = 10                     # authors named in a feed entry, then "et al."; the page names all
    term_feed_items: int = 10                  # papers per category, topic, author or organisation feed
    term_feed_summary: int = 200               # characters of the abstract in those feeds' entries; 0: all of it
    term_feed_formats: tuple[str, ...] = ("rss",)   # the feeds of each of those: rss, atom or both
    trending_papers: int = 200                 # papers on each week and month page, most voted first; 0: all
    categories: dict[str, str] = field(default_factory=dict)
    topics: tuple[TopicRule, ...] = ()
    templates: Path | None = None
    search: bool = True
    search_shard_papers: int = 5000            # papers per search index shard: Pagefind's memory grows with it
    related: int = 5                           # related papers per paper page; 0 turns them off
    taxonomies: tuple[str, ...] = TAXONOMIES   # which get pages and feeds
    # whose pages list each paper on one line (title, authors, date), as a publication list or
    # cv-arxiv-daily's keyword topics do: a paper is on the pages of each of its topics and
    # authors, so cards there would make most of a site's size and of a new day's upload
    compact_taxonomies: tuple[str, ...] = ("topics", "authors", "organizations")
    email: EmailConfig = EmailConfig()
    sources: dict[str, SourceConfig] = field(default_factory=dict)
    fetch: FetchConfig = FetchConfig()
    deploy: str | None = None                  # a shell command run by `site-gen daily` after a build
    personal: PersonalConfig = PersonalConfig()
    source: str = "(defaults)"

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with '/'."""
        return urlsplit(self.base_url).path or "/"

    def with_base_url(self, url: str) -> SiteConfig:
        error = check_base_url(url)
        if error:
            raise ValidationError([Problem("--base-url", 0, "base_url", error)], "invalid option")
        return replace(self, base_url=normalise_base_url(url))


# --- reading ---------------------------------------------------------------------------------

def _categories(reader: FieldReader, node: yaml.Node, key: str) -> dict[str, str] | None:
    if not isinstance(node, yaml.MappingNode):
        reader.fail(yamlio.line_of(node), key, "expected a mapping of category code → display name")
        return None
    names = {}
    for code, value_node, line in yamlio.mapping_items(node):
        if not CATEGORY_PATTERN.fullmatch(code):
            reader.fail(line, f"{key}.{code}", "expected an arXiv category code such as cs.LG")
        elif (name := reader.text(value_node, f"{key}.{code}")):
            names[code] = name
    return names


def _topic(reader: FieldReader, node: yaml.Node, key: str) -> TopicRule | None:
    values = reader.mapping(node, key, {
        "name": FieldReader.text, "slug": FieldReader.text, "description": FieldReader.text, "keywords": FieldReader.strings,
    })
    if "name" not in values:
        if isinstance(node, yaml.MappingNode):
            reader.fail(yamlio.line_of(node), f"{key}.name", "required key is missing")
        return None
    slug = values.get("slug") or slugify(values["name"])
    if slug != slugify(slug) or not slug:
        reader.fail(yamlio.line_of(node), f"{key}.slug", "expected lowercase letters, digits and hyphens")
        return None
    return TopicRule(values["name"], slug, values.get("description", ""), values.get("keywords", ()))


def _topics(reader: FieldReader, node: yaml.Node, key: str) -> tuple[TopicRule, ...] | None:
    if not isinstance(node, yaml.SequenceNode):
        reader.fail(yamlio.line_of(node), key, "expected a list of topics ({name, slug?, description?, keywords})")
        return None
    rules = [_topic(reader, item, f"{key}[{i}]") for i, item in enumerate(node.value)]
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        if rule and rule.slug in seen:
            reader.fail(yamlio.line_of(node.value[i]), f"{key}[{i}].slug", f"'{rule.slug}' is used by another topic")
        elif rule:
            seen.add(rule.slug)
    return tuple(r for r in rules if r)


def _taxonomies(reader: FieldReader, node: yaml.Node, key: str) -> tuple[str, ...] | None:
    names = reader.strings(node, key)
    if names is not None and not set(names) <= set(TAXONOMIES):
        reader.fail(yamlio.line_of(node), key, f"expected some of: {', '.join(TAXONOMIES)}")
        return None
    return tuple(n for n in TAXONOMIES if n in names) if names is not None else None


def _feed_formats(reader: FieldReader, node: yaml.Node, key: str) -> tuple[str, ...] | None:
    names = reader.strings(node, key)
    if names is not None and (not names or not set(names) <= set(TERM_FEED_FORMATS)):
        reader.fail(yamlio.line_of(node), key, f"expected one or more of: {', '.join(TERM_FEED_FORMATS)}")
        return None
    return tuple(n for n in TERM_FEED_FORMATS if n in names) if names is not None else None


def _security(reader: FieldReader, node: yaml.Node, key: str) -> str | None:
    text = yamlio.scalar_text(node)
    if text not in ("starttls", "ssl", "none"):
        reader.fail(yamlio.line_of(node), key, "expected starttls, ssl or none")
        return None
    return text


def _unsubscribe_url(reader: FieldReader, node: yaml.Node, key: str) -> str | None:
    text = reader.text(node, key)
    if text and (not text.startswith("https://") or "{token}" not in text):
        reader.fail(yamlio.line_of(node), key, "expected an https URL containing {token}")
        return None
    return text


def _email(base: Path) -> Callable[[FieldReader, yaml.Node, str], EmailConfig]:
    def read(reader: FieldReader, node: yaml.Node, key: str) -> EmailConfig:
        values = reader.mapping(node, key, {
            "from": FieldReader.address, "reply_to": FieldReader.address, "list_id": FieldReader.text,
            "unsubscribe_url": _unsubscribe_url, "unsubscribe_mailto": FieldReader.address, "host": FieldReader.text,
            "port": FieldReader.integer, "security": _security, "username": FieldReader.text,
            "send_empty": FieldReader.flag, "max_papers": FieldReader.integer, "tls_ca_file": _path(base, "file"),
            "subscribers": _path(base, "file"),
        })
        if "from" in values:
            values["sender"] = values.pop("from")
        return EmailConfig(**values)
    return read


def _sources(reader: FieldReader, node: yaml.Node, key: str) -> dict[str, SourceConfig] | None:
    if not isinstance(node, yaml.MappingNode):
        reader.fail(yamlio.line_of(node), key, f"expected a mapping of sources ({', '.join(SOURCES)})")
        return None
    sources = {}
    for name, value_node, line in yamlio.mapping_items(node):
        if name not in SOURCES:
            reader.fail(line, f"{key}.{name}", f"unknown source (known: {', '.join(SOURCES)})")
            continue
        fields = {"endpoint": FieldReader.url}
        if name != "daily_papers":
            fields["categories"] = _category_codes
        if name == "arxiv_api":
            fields["page_size"] = _page_size
        values = reader.mapping(value_node, f"{key}.{name}", fields)
        if "endpoint" not in values:
            reader.fail(line, f"{key}.{name}.endpoint", "required key is missing")
        elif name != "daily_papers" and "categories" not in values:
            reader.fail(line, f"{key}.{name}.categories", "required key is missing")
        else:
            sources[name] = SourceConfig(**values)
    return sources


def _category_codes(reader: FieldReader, node: yaml.Node, key: str) -> tuple[str, ...] | None:
    codes = reader.strings(node, key)
    if codes is not None and not all(CATEGORY_PATTERN.fullmatch(code) for code in codes):
        reader.fail(yamlio.line_of(node), key, "expected arXiv category codes such as cs.LG")
        return None
    return codes


def _at_most(read: Callable, limit: float, expected: str) -> Callable[[FieldReader, yaml.Node, str], Any]:
    """`read`, and then no more than `limit`."""
    def checked(reader: FieldReader, node: yaml.Node, key: str) -> Any:
        value = read(reader, node, key)
        if value is not None and value > limit:
            reader.fail(yamlio.line_of(node), key, expected)
            return None
        return value
    return checked


_page_size = _at_most(FieldReader.integer, 2000, "expected at most 2000 (arXiv's limit)")
_score = _at_most(FieldReader.number, 1, "expected a similarity from 0 to 1")


def _fetch(reader: FieldReader, node: yaml.Node, key: str) -> FetchConfig:
    return FetchConfig(**reader.mapping(node, key, {
        "timeout": FieldReader.number, "retries": _count, "backoff": FieldReader.number,
        "delay": FieldReader.number, "max_wait": FieldReader.number}))


def _personal(reader: FieldReader, node: yaml.Node, key: str) -> PersonalConfig:
    values = reader.mapping(node, key, {"top": FieldReader.integer, "min_score": _score, "days": FieldReader.integer})
    return PersonalConfig(**values)


def _count(reader: FieldReader, node: yaml.Node, key: str) -> int | None:
    """A whole number ≥ 0."""
    return reader.integer(node, key, minimum=0)


def _path(base: Path, kind: str) -> Callable[[FieldReader, yaml.Node, str], Path | None]:
    """A path relative to site.yaml's folder that must name an existing `kind` ("file" or "folder")."""
    def read(reader: FieldReader, node: yaml.Node, key: str) -> Path | None:
        text = reader.text(node, key)
        if text is None:
            return None
        path = (base / text).resolve()
        if not (path.is_file() if kind == "file" else path.is_dir()):
            reader.fail(yamlio.line_of(node), key, f"expected a {kind}; {path} does not exist")
            return None
        return path
    return read


def load_config(path: Path | None) -> SiteConfig:
    """Read site.yaml (or the defaults when path is None); raise ValidationError listing all problems."""
    if path is None:
        return SiteConfig()
    if not path.is_file():
        raise ValidationError([Problem(str(path), 0, "", "config file not found")], "invalid config")
    root = yamlio.compose(path)
    reader = FieldReader(str(path))
    if root is None:
        return SiteConfig(source=str(path))
    values = reader.mapping(root, "", {
        "title": FieldReader.text, "description": FieldReader.text, "base_url": FieldReader.url, "language": FieldReader.text,
        "per_page": FieldReader.integer, "feed_items": FieldReader.integer, "feed_authors": FieldReader.integer,
        "term_feed_items": FieldReader.integer, "term_feed_summary": _count, "term_feed_formats": _feed_formats, "trending_papers": _count,
        "categories": _categories,
        "topics": _topics, "templates": _path(path.parent, "folder"), "search": FieldReader.flag, "email": _email(path.parent),
        "search_shard_papers": FieldReader.integer,
        "taxonomies": _taxonomies, "compact_taxonomies": _taxonomies, "related": _count, "sources": _sources, "fetch": _fetch,
        "deploy": FieldReader.text, "personal": _personal,
    })
    if reader.problems:
        raise ValidationError(reader.problems, "invalid config")
    return SiteConfig(**values, source=str(path))
