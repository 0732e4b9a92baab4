"""YAML reading that keeps line numbers, and writing that people can read and edit.

Records and config are read as node trees so every error can name the line it is on,
and scalars that must stay text (ids like `2310.10000`, titles like `yes`) are taken
exactly as written instead of being resolved to floats or booleans.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, ValidationError

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError([Problem(str(path), 0, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except OSError as exc:
        raise ValidationError([Problem(str(path), 0, "", f"cannot read: {exc.strerror}")]) from None


def compose(path: Path, text: str | None = None) -> yaml.Node | None:
    """Parse one YAML document into nodes; a syntax error becomes a Problem with its line."""
    text = read_text(path) if text is None else text
    loader = Loader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ValidationError([Problem(str(path), line, "", f"invalid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise ValidationError([Problem(str(path), 0, "", f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def mapping_items(node: yaml.MappingNode) -> list[tuple[str, yaml.Node, int]]:
    """(key, value node, line) for each entry of a mapping node."""
    return [(str(key.value), value, line_of(key)) for key, value in node.value]


def scalar_text(node: yaml.Node) -> str | None:
    """The text of a scalar exactly as written, or None for a non-scalar or a null."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    if node.tag == "tag:yaml.org,2002:null" and node.style is None and node.value in ("", "~", "null", "Null", "NULL"):
        return None
    return node.value


class _ReadableDumper(Dumper):  # type: ignore[misc, valid-type]
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = None
    if "\n" in value:
        style = "|"
    elif len(value) > 100:
        style = ">"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ReadableDumper.add_representer(str, _represent_str)


def dump_readable(data: Any) -> str:
    """Block-style YAML with long text folded; falls back to plain style if folding would alter it."""
    text = yaml.dump(data, Dumper=_ReadableDumper, allow_unicode=True, sort_keys=False, width=88,
                     default_flow_style=False)
    if yaml.load(text, Loader=Loader) != data:
        text = yaml.dump(data, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=88,
                         default_flow_style=False)
    return text


def flag_value(node: yaml.Node) -> bool | None:
    """true/false as written, or None for anything else (no yes/no/on/off guessing)."""
    text = scalar_text(node)
    return text.lower() == "true" if text in ("true", "false", "True", "False") else None


def count_value(node: yaml.Node) -> int | None:
    """A whole number ≥ 0 as written, or None."""
    text = scalar_text(node)
    return int(text) if text is not None and text.isdigit() else None


def parse_iso_date(text: str | None) -> dt.date | None:
    if text is None or len(text) != 10:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
