"""The catalog kept between builds: a build that only adds days newer than all the others groups
just their papers, in front of the last build's catalog (catalog.build_catalog with `older`).

The state store's "catalog" entry holds the catalog and the paper keys (views.paper_keys) as the
last build made them, each paper in them written as its place in the records that build read:
every build reads the papers back from the records cache anyway, and grouping them again is what
costs. The entry is used when the day files it was made from are still the first ones and hold the
same papers (by their digests: a file written again unchanged does not matter), and the grouping
settings are the same; otherwise the catalog is made from every paper, as on a first build.
"""
from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from typing import Any

from .catalog import Catalog, build_catalog
from .config import SiteConfig
from .content import Records
from .errors import SiteGenError
from .records import Paper
from .state import StateStore
from .views import paper_keys

CATALOG_CACHE = "catalog"


@dataclass(frozen=True)
class KeptCatalog:
    days: tuple[tuple[str, bytes], ...]     # the day files its papers were read from (Records.days)
    papers: int                             # how many they held
    pickled: bytes                          # (catalog, paper keys), each paper as its place in the records


def grouped(records: Records, config: SiteConfig, store: StateStore | None,
            check: bool = False) -> tuple[Catalog, dict[str, str], bool]:
    """The catalog of the records and each paper's key, from the kept catalog if it holds the
    records' first papers, and whether they are not the kept ones (to be kept, keep_catalog()).
    With `check` (the dependency check), one extended from the kept catalog must equal one grouped
    from every paper."""
    kept = store.load(CATALOG_CACHE, key=_settings(config)) if store else None
    older = _older(kept, records) if isinstance(kept, KeptCatalog) else None
    if older is None:
        catalog = build_catalog(records.papers, config, store)
        return catalog, paper_keys(catalog), True
    older_catalog, keys = older
    names = _term_names(older_catalog)
    newer = records.papers[kept.papers:]
    catalog = build_catalog(newer, config, older=older_catalog)
    # a term named anew by a newer paper's spelling changes the key of every paper in it
    renamed = [paper for key, taxonomy in catalog.taxonomies.items() for term in taxonomy.terms
               if names.get((key, term.slug), term.name) != term.name for paper in term.papers]
    keys.update(paper_keys(catalog, newer + renamed))
    if check:
        _check(catalog, keys, records, config)
    return catalog, keys, bool(newer or renamed)


def keep_catalog(store: StateStore, records: Records, config: SiteConfig, catalog: Catalog,
                 keys: dict[str, str]) -> None:
    """Keep the records' catalog and paper keys for the next build (see grouped())."""
    store.save(CATALOG_CACHE, KeptCatalog(records.days, len(records.papers), _pickle((catalog, keys), records.papers)),
               key=_settings(config))


def _check(catalog: Catalog, keys: dict[str, str], records: Records, config: SiteConfig) -> None:
    whole = build_catalog(records.papers, config)
    if catalog != whole or keys != paper_keys(whole):
        parts = [name for name in ("papers", "days", "taxonomies", "weeks", "months", "with_code")
                 if getattr(catalog, name) != getattr(whole, name)] or ["the paper keys"]
        raise SiteGenError(f"the dependency check failed: the catalog kept from the last build, extended by the "
                           f"new days, differs from one grouped from every paper ({', '.join(parts)}). "
                           "Nothing was published")


def _settings(config: SiteConfig) -> str:
    """What grouping depends on besides the papers."""
    return repr((config.taxonomies, config.topics, sorted(config.categories.items())))


def _older(kept: KeptCatalog, records: Records) -> tuple[Catalog, dict[str, str]] | None:
    """The kept catalog and keys, if its day files are the records' first ones, with the same papers."""
    if records.days[:len(kept.days)] != kept.days:
        return None
    try:
        return _unpickle(kept.pickled, records.papers)
    except (pickle.UnpicklingError, EOFError, IndexError, TypeError, ValueError, AttributeError):
        return None   # a cache is never worth an error


def _term_names(catalog: Catalog) -> dict[tuple[str, str], str]:
    return {(key, term.slug): term.name for key, taxonomy in catalog.taxonomies.items() for term in taxonomy.terms}


def _paper_at(place: int) -> Paper:
    """Stands for the paper at this place of the records in a pickled catalog (see _Unpickler)."""
    raise RuntimeError("a kept catalog is read back only by kept_catalog._unpickle")


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, papers: list[Paper]):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.places = {id(paper): place for place, paper in enumerate(papers)}

    def reducer_override(self, obj: Any) -> Any:
        # called only for objects of classes of their own (not lists, dicts, strings…): cheap
        if type(obj) is Paper:
            return _paper_at, (self.places[id(obj)],)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, papers: list[Paper]):
        super().__init__(file)
        self.papers = papers

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == _paper_at.__name__:
            return self.papers.__getitem__
        return super().find_class(module, name)


def _pickle(value: Any, papers: list[Paper]) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, papers).dump(value)
    return buffer.getvalue()


def _unpickle(data: bytes, papers: list[Paper]) -> Any:
    return _Unpickler(io.BytesIO(data), papers).load()
