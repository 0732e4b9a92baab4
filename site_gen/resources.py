"""What the installed tool carries with it: the built-in templates, the sample site and the files
`site-gen init` writes.

In the repository the templates and the sample site stand at the top (templates/, site.yaml,
subscribers.yaml, content/); the wheel carries them inside the package as site_gen/templates and
site_gen/sample (pyproject.toml maps them). A source checkout has no such folders in the package,
so there they are found at the top of the checkout.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE = Path(str(resources.files("site_gen")))


def _packaged_or_checkout(name: str, in_checkout: Path) -> Path:
    packaged = PACKAGE / name
    return packaged if packaged.is_dir() else in_checkout


TEMPLATES = _packaged_or_checkout("templates", PACKAGE.parent / "templates")
SAMPLE = _packaged_or_checkout("sample", PACKAGE.parent)   # site.yaml, subscribers.yaml, content/
SCAFFOLD = PACKAGE / "scaffold"                              # what `site-gen init` writes
