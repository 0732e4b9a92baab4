"""Jinja rendering: built-in templates, overridable by name from the operator's folder."""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta

from .errors import Problem, SiteGenError
from .resources import TEMPLATES as BUILTIN_TEMPLATES

TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")


@dataclass(frozen=True)
class SiteView:
    """What every template knows about the site."""
    title: str
    description: str
    language: str
    home_url: str
    stylesheet_url: str
    nav: list[tuple[str, str]]  # (label, url)
    search_url: str | None = None


def template_folders(override: Path | None) -> list[Path]:
    return ([override] if override else []) + [BUILTIN_TEMPLATES]


def environment(roots: list[str]) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(roots),
        # HTML is escaped; the plain-text email template is not HTML and must not be.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "xml"), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Read once: a build's pages are made from the templates its fingerprints hold (no check
        # of every template file's time at every page).
        auto_reload=False,
    )


def syntax_problems(folder: Path) -> list[Problem]:
    """Every template in an override folder that Jinja cannot parse, with its file and line."""
    env = environment([str(folder)])
    problems = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix in TEMPLATE_SUFFIXES and p.is_file()):
        try:
            env.parse(path.read_text(encoding="utf-8"), path.name, str(path))
        except jinja2.TemplateSyntaxError as error:
            problems.append(_syntax_problem(error, str(path)))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(str(path), 0, "", f"cannot read the template: {error}"))
    return problems


def _syntax_problem(error: jinja2.TemplateSyntaxError, filename: str) -> Problem:
    return Problem(filename, error.lineno, "", f"template syntax: {error.message}")


def _template_line(error: BaseException) -> str | None:
    """"file:line" of the innermost template frame of the error's traceback (Jinja makes its frames
    carry the template's file name and line), or None when no template was running."""
    where = None
    frame = error.__traceback__
    while frame is not None:
        filename = frame.tb_frame.f_code.co_filename
        if filename.endswith(TEMPLATE_SUFFIXES):
            where = f"{filename}:{frame.tb_lineno}"
        frame = frame.tb_next
    return where


class Renderer:
    def __init__(self, site: SiteView, override: Path | None = None, folder: str = ""):
        self.env = environment([str(root / folder) if folder else str(root) for root in template_folders(override)])
        self.env.globals["site"] = site

    def render(self, template: str, context: dict[str, Any]) -> str:
        try:
            return self.env.get_template(template).render(context)
        except jinja2.TemplateSyntaxError as error:
            raise SiteGenError(str(_syntax_problem(error, error.filename or template))) from None
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as error:
            where = _template_line(error)
            if where is None:
                raise   # not the template's doing
            raise SiteGenError(f"{where}: template error in {template}: {error}") from None

    @functools.lru_cache(maxsize=None)
    def template_digest(self, name: str) -> str:
        """A digest of a template and every template it extends, imports or includes, so a page is
        re-rendered when, and only when, a template it is made from changes."""
        digest = hashlib.blake2b(digest_size=16)
        seen: set[str] = set()
        pending = [name]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            source, filename, _ = self.env.loader.get_source(self.env, current)
            digest.update(current.encode() + b"\0" + source.encode() + b"\1")
            try:
                parsed = self.env.parse(source, current, filename)
            except jinja2.TemplateSyntaxError as error:
                raise SiteGenError(str(_syntax_problem(error, filename))) from None
            for referenced in meta.find_referenced_templates(parsed):
                if referenced is None:  # a name computed at run time: depend on every template
                    pending.extend(self.env.list_templates())
                else:
                    pending.append(referenced)
        return digest.hexdigest()
