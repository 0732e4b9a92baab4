"""Site search: Pagefind indexes the built pages (paper pages, marked data-pagefind-body) into pagefind/."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .errors import SiteGenError

INDEX_FOLDER = "pagefind"


def index_site(root: Path, language: str) -> None:
    """Run Pagefind over a built site folder; raises SiteGenError with its output on failure."""
    command = [sys.executable, "-m", "pagefind", "--site", str(root), "--output-subdir", INDEX_FOLDER,
               "--glob", "papers/**/*.html",  # only paper pages are indexed; reading the rest is wasted time
               "--force-language", language.split("-")[0], "--silent"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SiteGenError(f"search indexing (Pagefind) could not run: {exc}") from None
    if result.returncode != 0 or not (root / INDEX_FOLDER / "pagefind.js").is_file():
        raise SiteGenError("search indexing (Pagefind) failed:\n" + (result.stderr or result.stdout).strip())
