"""Typed values out of YAML nodes, collecting every problem with its line and key (config, subscribers)."""
from __future__ import annotations

import re
from typing import Any, Callable
from urllib.parse import urlsplit

import yaml

from . import yamlio
from .errors import Problem

EMAIL_PATTERN = re.compile(r"[^@\s<>\"(),;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def check_base_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        return "expected an absolute http(s) URL such as https://example.org/papers/"
    return None


def normalise_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class FieldReader:
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
            return None
        return text

    def integer(self, node: yaml.Node, key: str, minimum: int = 1) -> int | None:
        value = yamlio.count_value(node)
        if value is None or value < minimum:
            self.fail(yamlio.line_of(node), key, f"expected a whole number ≥ {minimum}")
            return None
        return value

    def number(self, node: yaml.Node, key: str) -> float | None:
        """A number ≥ 0, whole or not (seconds, a score)."""
        text = yamlio.scalar_text(node)
        try:
            value = float(text) if text is not None else -1.0
        except ValueError:
            value = -1.0
        if not 0 <= value < float("inf"):
            self.fail(yamlio.line_of(node), key, "expected a number ≥ 0")
            return None
        return value

    def flag(self, node: yaml.Node, key: str) -> bool | None:
        value = yamlio.flag_value(node)
        if value is None:
            self.fail(yamlio.line_of(node), key, "expected true or false")
        return value

    def url(self, node: yaml.Node, key: str) -> str | None:
        text = self.text(node, key)
        if text is None:
            return None
        error = check_base_url(text)
        if error:
            self.fail(yamlio.line_of(node), key, error)
            return None
        return normalise_base_url(text)

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
