"""site.yaml: typed configuration, validated once at load with every problem reported together."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import yaml

from . import yamlio
from .errors import Problem, ValidationError
from .records import CATEGORY_PATTERN
from .slugs import slugify

EMAIL_PATTERN = re.compile(r"[^@\s<>\"(),;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


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


@dataclass(frozen=True)
class SiteConfig:
    title: str = "Daily Papers"
    description: str = "Research papers, day by day."
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    per_page: int = 50
    feed_items: int = 50
    categories: dict[str, str] = field(default_factory=dict)
    topics: tuple[TopicRule, ...] = ()
    templates: Path | None = None
    search: bool = True
    email: EmailConfig = EmailConfig()
    source: str = "(defaults)"

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with '/'."""
        return urlsplit(self.base_url).path or "/"

    def with_base_url(self, url: str) -> SiteConfig:
        error = _check_base_url(url)
        if error:
            raise ValidationError([Problem("--base-url", 0, "base_url", error)], "invalid option")
        return replace(self, base_url=_normalise_base_url(url))


def _check_base_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        return "expected an absolute http(s) URL such as https://example.org/papers/"
    return None


def _normalise_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


# --- reading ---------------------------------------------------------------------------------

class _Reader:
    """Collects problems while turning nodes into typed values."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def fail(self, line: int, key: str, message: str) -> None:
        self.problems.append(Problem(self.source, line, key, message))

    def mapping(self, node: yaml.Node, key: str, known: dict[str, Callable]) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(yamlio.line_of(node), key, "expected a mapping")
            return {}
        values: dict[str, Any] = {}
        for name, value_node, line in yamlio.mapping_items(node):
            full = f"{key}.{name}" if key else name
            reader = known.get(name)
            if reader is None:
                self.fail(line, full, f"unknown key (known: {', '.join(known)})")
                continue
            value = reader(self, value_node, full)
            if value is not None:
                values[name] = value
        return values

    def text(self, node: yaml.Node, key: str) -> str | None:
        text = yamlio.scalar_text(node)
        if text is None or not text.strip():
            self.fail(yamlio.line_of(node), key, "expected a non-empty string")
        return text

    def integer(self, node: yaml.Node, key: str, minimum: int = 1) -> int | None:
        text = yamlio.scalar_text(node)
        if text is None or not text.isdigit() or int(text) < minimum:
            self.fail(yamlio.line_of(node), key, f"expected a whole number ≥ {minimum}")
            return None
        return int(text)

    def flag(self, node: yaml.Node, key: str) -> bool | None:
        text = yamlio.scalar_text(node)
        if text not in ("true", "false", "True", "False"):
            self.fail(yamlio.line_of(node), key, "expected true or false")
            return None
        return text.lower() == "true"

    def url(self, node: yaml.Node, key: str) -> str | None:
        text = self.text(node, key)
        if text is None:
            return None
        error = _check_base_url(text)
        if error:
            self.fail(yamlio.line_of(node), key, error)
            return None
        return _normalise_base_url(text)

    def address(self, node: yaml.Node, key: str) -> str | None:
        text = self.text(node, key)
        if text is not None and not EMAIL_PATTERN.search(text):
            self.fail(yamlio.line_of(node), key, "expected an email address such as Papers <papers@example.org>")
            return None
        return text

    def strings(self, node: yaml.Node, key: str) -> tuple[str, ...] | None:
        items = node.value if isinstance(node, yaml.SequenceNode) else None
        values = [yamlio.scalar_text(item) for item in items or []]
        if items is None or any(not v or not v.strip() for v in values):
            self.fail(yamlio.line_of(node), key, "expected a list of non-empty strings")
            return None
        return tuple(values)


def _categories(reader: _Reader, node: yaml.Node, key: str) -> dict[str, str] | None:
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


def _topic(reader: _Reader, node: yaml.Node, key: str) -> TopicRule | None:
    values = reader.mapping(node, key, {
        "name": _Reader.text, "slug": _Reader.text, "description": _Reader.text, "keywords": _Reader.strings,
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


def _topics(reader: _Reader, node: yaml.Node, key: str) -> tuple[TopicRule, ...] | None:
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


def _security(reader: _Reader, node: yaml.Node, key: str) -> str | None:
    text = yamlio.scalar_text(node)
    if text not in ("starttls", "ssl", "none"):
        reader.fail(yamlio.line_of(node), key, "expected starttls, ssl or none")
        return None
    return text


def _unsubscribe_url(reader: _Reader, node: yaml.Node, key: str) -> str | None:
    text = reader.text(node, key)
    if text and (not text.startswith("https://") or "{token}" not in text):
        reader.fail(yamlio.line_of(node), key, "expected an https URL containing {token}")
        return None
    return text


def _email(reader: _Reader, node: yaml.Node, key: str) -> EmailConfig:
    values = reader.mapping(node, key, {
        "from": _Reader.address, "reply_to": _Reader.address, "list_id": _Reader.text,
        "unsubscribe_url": _unsubscribe_url, "unsubscribe_mailto": _Reader.address, "host": _Reader.text,
        "port": _Reader.integer, "security": _security, "username": _Reader.text, "send_empty": _Reader.flag,
    })
    if "from" in values:
        values["sender"] = values.pop("from")
    return EmailConfig(**values)


def _folder(base: Path) -> Callable[[_Reader, yaml.Node, str], Path | None]:
    def read(reader: _Reader, node: yaml.Node, key: str) -> Path | None:
        text = reader.text(node, key)
        if text is None:
            return None
        folder = (base / text).resolve()
        if not folder.is_dir():
            reader.fail(yamlio.line_of(node), key, f"expected a folder; {folder} does not exist")
            return None
        return folder
    return read


def load_config(path: Path | None) -> SiteConfig:
    """Read site.yaml (or the defaults when path is None); raise ValidationError listing all problems."""
    if path is None:
        return SiteConfig()
    if not path.is_file():
        raise ValidationError([Problem(str(path), 0, "", "config file not found")], "invalid config")
    root = yamlio.compose(path)
    reader = _Reader(str(path))
    if root is None:
        return SiteConfig(source=str(path))
    values = reader.mapping(root, "", {
        "title": _Reader.text, "description": _Reader.text, "base_url": _Reader.url, "language": _Reader.text,
        "per_page": _Reader.integer, "feed_items": _Reader.integer, "categories": _categories,
        "topics": _topics, "templates": _folder(path.parent), "search": _Reader.flag, "email": _email,
    })
    if reader.problems:
        raise ValidationError(reader.problems, "invalid config")
    return SiteConfig(**values, source=str(path))
