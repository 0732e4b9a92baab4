"""Jinja rendering: built-in templates, overridable by name from the operator's folder."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


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


class Renderer:
    def __init__(self, site: SiteView, override: Path | None = None, folder: str = ""):
        roots = [str(root / folder) if folder else str(root) for root in template_folders(override)]
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(roots),
            # HTML is escaped; the plain-text email template is not HTML and must not be.
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "xml"), default=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.globals["site"] = site

    def render(self, template: str, context: dict[str, Any]) -> str:
        return self.env.get_template(template).render(context)
