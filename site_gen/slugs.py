"""URL slugs for names (topics, authors, organisations) and for titles used as record ids."""
from __future__ import annotations

import hashlib
from typing import Iterable

from slugify import slugify as _slugify


def slugify(text: str, max_length: int = 80) -> str:
    """ASCII, lowercase, hyphen-separated; never empty (falls back to a short hash)."""
    slug = _slugify(text, max_length=max_length, word_boundary=True, save_order=True)
    return slug or "x-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def unique_slugs(names: Iterable[str], given: dict[str, str] | None = None) -> dict[str, str]:
    """Map each distinct name to a slug; a name that slugs like an earlier one gets -2, -3 … in the
    order given (oldest first, so that a newcomer never takes the URL a name already has). Names
    `given` a slug (by an earlier call, for older names) keep it."""
    result = dict(given or {})
    used = set(result.values())
    for name in dict.fromkeys(names):
        if name in result:
            continue
        base = slug = slugify(name)
        suffix = 1
        while slug in used:
            suffix += 1
            slug = f"{base}-{suffix}"
        used.add(slug)
        result[name] = slug
    return result
