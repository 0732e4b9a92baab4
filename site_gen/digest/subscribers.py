"""The subscribers file: a YAML list of {email, name?, categories?, topics?, keywords?, token?, library?,
exclude_keywords?, authors?}."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import yamlio
from ..errors import Problem, ValidationError
from ..fields import EMAIL_PATTERN, FieldReader


@dataclass(frozen=True)
class Subscriber:
    email: str
    name: str | None = None
    categories: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    token: str | None = None
    library: tuple[str, ...] = ()           # BibTeX files (relative to the subscribers file) and arXiv ids
    exclude_keywords: tuple[str, ...] = ()  # papers matching any are left out
    authors: tuple[str, ...] = ()           # papers by any of them come first
    given: Problem | None = None            # where the entry is (file, line, key), for warnings

    @property
    def has_filters(self) -> bool:
        return bool(self.categories or self.topics or self.keywords)

    def unsubscribe_token(self, secret: str) -> str:
        """The token given in the file, else an HMAC of the address that nobody can guess without the secret."""
        if self.token:
            return self.token
        return hmac.new(secret.encode(), self.email.lower().encode(), hashlib.sha256).hexdigest()[:32]


def _address(reader: FieldReader, node: yaml.Node, key: str) -> str | None:
    text = reader.text(node, key)
    if text is not None and not EMAIL_PATTERN.fullmatch(text):
        reader.fail(yamlio.line_of(node), key, "expected one plain email address such as ann@example.org")
        return None
    return text


def _name(reader: FieldReader, node: yaml.Node, key: str) -> str | None:
    text = reader.text(node, key)
    if text is not None and re.search(r"[\r\n\x00]", text):
        reader.fail(yamlio.line_of(node), key, "expected a name on one line")
        return None
    return text


def _token(reader: FieldReader, node: yaml.Node, key: str) -> str | None:
    text = reader.text(node, key)
    if text is not None and not re.fullmatch(r"[A-Za-z0-9_-]{8,128}", text):
        reader.fail(yamlio.line_of(node), key, "expected 8-128 letters, digits, '-' or '_'")
        return None
    return text


def _library(reader: FieldReader, node: yaml.Node, key: str) -> tuple[str, ...] | None:
    if isinstance(node, yaml.ScalarNode):
        text = reader.text(node, key)
        return (text,) if text else None
    return reader.strings(node, key)


FIELDS = {"email": _address, "name": _name, "categories": FieldReader.strings, "topics": FieldReader.strings,
          "keywords": FieldReader.strings, "token": _token, "library": _library,
          "exclude_keywords": FieldReader.strings, "authors": FieldReader.strings}


def load_subscribers(path: Path) -> list[Subscriber]:
    if not path.is_file():
        raise ValidationError([Problem(str(path), 0, "", "subscribers file not found")], "invalid subscribers")
    root = yamlio.compose(path)
    reader = FieldReader(str(path))
    if root is not None and not isinstance(root, yaml.SequenceNode):
        reader.fail(yamlio.line_of(root), "", "expected a list of subscribers")
    subscribers, seen = [], {}
    for index, node in enumerate(root.value if isinstance(root, yaml.SequenceNode) else []):
        key = f"[{index}]"
        before = len(reader.problems)
        values = reader.mapping(node, key, FIELDS)
        if "email" not in values and len(reader.problems) == before:
            reader.fail(yamlio.line_of(node), f"{key}.email", "required key is missing")
        if len(reader.problems) > before:
            continue
        address = values["email"].lower()
        if address in seen:
            reader.fail(yamlio.line_of(node), f"{key}.email", f"{values['email']} is already listed at line {seen[address]}")
            continue
        seen[address] = yamlio.line_of(node)
        subscribers.append(Subscriber(**values, given=Problem(str(path), yamlio.line_of(node), f"{key}.library", "")))
    if reader.problems:
        raise ValidationError(reader.problems, "invalid subscribers")
    return subscribers
