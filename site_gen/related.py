"""Related papers: for each paper, the most similar papers of its own day and the days before.

Similarity is the cosine of TF-IDF vectors of title (counted twice) and abstract. A paper's
list is made once, on its day, with the term weights of the site as it stood that day, the
way Hugging Face's Daily Papers recommends papers when one is posted. So a new day adds its
own papers' lists and changes no older one: yesterday's paper pages stay as they were.

The work is cached a day at a time, in an entry of the state store's own (exact, so a cached
result equals a fresh one), so that a new day writes only its own:
- the term counts of its papers, used while the day's papers and their texts' hashes are the same
  (hashing vectorizer: no vocabulary);
- its lists, used while the chain key over its texts and every earlier day's is the same, so an
  edit recomputes its own day and the days after it, and an added day only itself.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .state import StateStore
from .content import PaperCopies
from .runtime import default_jobs, map_on_every_core
from .records import Paper

MIN_SIMILARITY = 0.08
MAX_DOCUMENT_FREQUENCY = 0.5   # a word in more than half the papers so far says nothing…
COMMON_MIN_PAPERS = 20         # …once it is in this many (on a small site, half is two papers)
FEATURES = 2 ** 20
PARALLEL_MIN_PAPERS = 10_000   # fewer are counted faster than worker processes start
PARALLEL_MIN_DAYS = 8
BLOCK_CELLS = 2 ** 22          # scores per sparse product (queries × papers so far): they are dense
                               # enough that this bounds a worker's memory for them (~32 MB), at any size
CACHE_VERSION = 4   # 2: papers' texts known by Paper.text_digest; 3: float32 scores, ties in order;
                    # 4: one entry a day


# What the work imports where it is done (they take a second to load, and only builds need them).
LIBRARIES = ("numpy", "scipy.sparse", "sklearn.feature_extraction.text")

TextKey = tuple[str, dt.date, bytes]   # a paper's id, date and Paper.text_digest: all this module needs of it
DaySpan = tuple[str, int, int, str]    # a day, its papers' rows (start, end) and its chain key (see _day_spans)


def text_keys(papers: list[Paper]) -> list[TextKey]:
    return [(p.id, p.date, p.text_digest) for p in papers]


def _text(paper: Paper) -> str:
    return f"{paper.title}. {paper.title}. {paper.abstract}"


class PaperTexts:
    """The texts of papers compared, made from the papers themselves."""

    def __init__(self, papers: list[Paper]):
        self.by_id = {p.id: p for p in papers}

    def __call__(self, keys: list[TextKey]) -> list[str]:
        return [_text(self.by_id[key[0]]) for key in keys]


class CachedTexts:
    """The texts of papers compared, read back from the records cache (see content.PaperCopies):
    what a process that does not share the build's papers compares."""

    def __init__(self, copies: PaperCopies):
        self.copies = copies

    def __call__(self, keys: list[TextKey]) -> list[str]:
        texts = []
        for pid, day, _ in keys:
            paper = self.copies.day(day).get(pid)   # none unless the cached day is exactly the build's
            if paper is None:
                raise LookupError(f"the records cache no longer holds paper {pid} as this build read it "
                                  "(is another build using the same state folder?)")
            texts.append(_text(paper))
        return texts


def _count_terms(texts: list[str]) -> Any:
    """Sparse rows of 1 + log(count) per hashed word (English stop words left out), indices sorted."""
    import numpy as np  # imported here: scikit-learn takes a second to load, and only builds need it
    from sklearn.feature_extraction.text import HashingVectorizer
    vectorizer = HashingVectorizer(n_features=FEATURES, stop_words="english", alternate_sign=False, norm=None,
                                   dtype=np.float32)
    rows = vectorizer.transform(texts).tocsr()
    rows.sum_duplicates()
    rows.sort_indices()
    np.log(rows.data, out=rows.data)
    rows.data += 1
    return rows


Texts = Callable[[list[TextKey]], list[str]]   # PaperTexts or CachedTexts

_COUNTED: tuple[list[TextKey], Texts | None] = ([], None)   # what _term_counts() hands to forked workers


def _count_terms_of(span: tuple[int, int]) -> Any:
    keys, texts = _COUNTED
    return _count_terms(texts(keys[span[0]:span[1]]))


def _term_counts(keys: list[TextKey], texts: Texts) -> Any:
    """_count_terms() of these papers' texts, on every core when there are many (each row is its own
    text's). Each worker makes the texts of its own papers: made here, all would be held at once."""
    global _COUNTED
    from scipy.sparse import vstack
    if len(keys) < PARALLEL_MIN_PAPERS:
        return _count_terms(texts(keys))
    import sklearn.feature_extraction.text  # noqa: F401 (imported before the fork, not in each worker)
    _COUNTED = (keys, texts)
    try:
        spans = [(i, i + 2000) for i in range(0, len(keys), 2000)]
        return vstack(map_on_every_core(_count_terms_of, spans)).tocsr()
    finally:
        _COUNTED = ([], None)


@dataclass
class RelatedDay:
    """One day's part of the cache: its papers' term counts, and their lists as last computed."""
    ids: list[str]            # the day's papers, in order: the rows of `counts`
    digests: list[bytes]      # each one's text digest
    counts: Any               # scipy CSR matrix
    chain: str                # the chain key the lists were computed under (see _day_spans)
    lists: dict[str, list[str]]


CACHE = "related"   # the state store's group: one entry a day, so a new day writes only its own
DayCache = dict[str, RelatedDay]   # day → what the cache holds of it


def _settings(count: int) -> tuple:
    return (CACHE_VERSION, count, MIN_SIMILARITY,
            MAX_DOCUMENT_FREQUENCY, COMMON_MIN_PAPERS, FEATURES)


def _entry(day: str) -> str:
    return f"{CACHE}/{day}"


def _load_days(store: StateStore | None, days: list[str], settings: tuple) -> DayCache:
    if store is None:
        return {}
    loaded = {day: store.load(_entry(day), key=settings) for day in days}
    return {day: entry for day, entry in loaded.items() if isinstance(entry, RelatedDay)}


def _counts_in_order(ordered: list[TextKey], spans: list[DaySpan], texts: Texts, cached: DayCache) -> Any:
    """Term-count rows for these papers, in order: a day's cached rows when its papers and texts are
    the cached ones, the rest counted (all at once, on every core when there are many)."""
    from scipy.sparse import vstack
    kept = {day: cached[day].counts for day, start, end, _ in spans
            if day in cached and _same_texts(cached[day], ordered[start:end])}
    missing = [key for day, start, end, _ in spans if day not in kept for key in ordered[start:end]]
    fresh = _term_counts(missing, texts) if missing else None
    if not kept:
        return fresh
    parts, row = [], 0
    for day, start, end, _ in spans:
        if day in kept:
            parts.append(kept[day])
        else:
            parts.append(fresh[row:row + end - start])
            row += end - start
    return parts[0] if len(parts) == 1 else vstack(parts, format="csr")


def _same_texts(cached: RelatedDay, keys: list[TextKey]) -> bool:
    return cached.ids == [key[0] for key in keys] and cached.digests == [key[2] for key in keys]


def _prefix(matrix: Any, end: int, data: Any = None) -> Any:
    """The first `end` rows of a CSR matrix, sharing its arrays (slicing would copy them)."""
    from scipy.sparse import csr_matrix
    stop = matrix.indptr[end]
    values = matrix.data if data is None else data
    return csr_matrix((values[:stop], matrix.indices[:stop], matrix.indptr[:end + 1]), shape=(end, matrix.shape[1]))


def _best(columns: Any, scores: Any, count: int) -> list[int]:
    """The `count` best-scoring columns, best first, ties by column (the older paper, then the lower id)."""
    import numpy as np
    rounded = np.round(scores, 6)
    if columns.size > count:   # every column tied with the count-th best goes on to the sort
        kept = rounded >= -np.partition(-rounded, count - 1)[count - 1]
        columns, rounded = columns[kept], rounded[kept]
    return [column for _, column in sorted(zip(-rounded, columns.tolist()))[:count]]


def _day_lists(counts: Any, squares: Any, frequency: Any, start: int, end: int, count: int) -> dict[int, list[int]]:
    """Lists of papers[start:end] (one day) among papers[:end], weighted by the document frequencies so far,
    as row numbers: a forked worker that touched the papers' id strings would copy the pages holding them."""
    import numpy as np
    weights = np.log((1 + end) / (1 + frequency)) + 1
    weights[(frequency > MAX_DOCUMENT_FREQUENCY * end) & (frequency >= COMMON_MIN_PAPERS)] = 0
    weights *= weights
    candidates = _prefix(counts, end)
    norms = np.sqrt(_prefix(counts, end, squares) @ weights)
    norms[norms == 0] = 1
    candidates_by_term = candidates.T.tocsr()
    lists: dict[int, list[int]] = {}
    block = max(8, BLOCK_CELLS // end)
    for block_start in range(start, end, block):
        block_end = min(block_start + block, end)
        queries = counts[block_start:block_end].copy()   # a slice of every row would be `counts` itself
        queries.data *= weights[queries.indices].astype(np.float32)
        queries.eliminate_zeros()
        # In float32, as the counts are: a float64 product copies the transposed counts to float64 in
        # every block (at 100k papers, a worker's peak 112 → 66 MiB and 1.2x faster).
        scores = (queries @ candidates_by_term).tocsr()
        for row in range(scores.shape[0]):
            index = block_start + row
            begin, stop = scores.indptr[row], scores.indptr[row + 1]
            columns = scores.indices[begin:stop]
            similarity = scores.data[begin:stop] / (norms[index] * norms[columns])
            keep = (columns != index) & (similarity >= MIN_SIMILARITY)
            if keep.any():
                lists[index] = _best(columns[keep], similarity[keep], count)
    return lists


_SHARED: tuple | None = None   # (counts, squares, count) while days are computed, for forked workers


def _lists_of_days(days: list[DaySpan]) -> dict[str, tuple[str, dict[int, list[int]]]]:
    """day → (chain key, lists) for these days, in order, counting document frequencies from the start."""
    import numpy as np
    counts, squares, count = _SHARED
    frequency = np.zeros(FEATURES)   # documents per hashed word, among papers[:counted]
    counted = 0
    lists = {}
    for day, start, end, key in days:
        frequency += np.bincount(counts.indices[counts.indptr[counted]:counts.indptr[end]], minlength=FEATURES)
        counted = end
        lists[day] = (key, _day_lists(counts, squares, frequency, start, end, count))
    return lists


def _in_parts(days: list[DaySpan], parts: int) -> list[list[DaySpan]]:
    """Runs of consecutive days of about equal work (a day's work grows with the papers up to it)."""
    share = sum(end for _, _, end, _ in days) / parts
    runs: list[list] = [[]]
    work = 0
    for day in days:
        if work >= share:
            runs.append([])
            work = 0
        runs[-1].append(day)
        work += day[2]
    return runs


def _compute_days(days: list[DaySpan], shared: tuple,
                  ids: list[str]) -> dict[str, tuple[str, dict[str, list[str]]]]:
    """_lists_of_days() of these days, split among every core when there are many (a clean build),
    with the workers' row numbers turned into paper ids here, once."""
    global _SHARED
    _SHARED = shared
    try:
        if len(days) < PARALLEL_MIN_DAYS:
            computed = _lists_of_days(days)
        else:
            computed = {}
            for part in map_on_every_core(_lists_of_days, _in_parts(days, 4 * default_jobs())):
                computed.update(part)
    finally:
        _SHARED = None
    return {day: (key, {ids[row]: [ids[c] for c in similar] for row, similar in lists.items()})
            for day, (key, lists) in computed.items()}


def _day_spans(ordered: list[TextKey], settings: tuple) -> Iterator[DaySpan]:
    """(day, start, end, chain key) for each day of `ordered`: the key covers the day and every day before."""
    chain = hashlib.blake2b(repr(settings).encode(), digest_size=16)
    start = 0
    for day, group in itertools.groupby(ordered, key=lambda key: key[1]):
        end = start + sum(1 for _ in group)
        chain.update(b"".join(pid.encode() + b"\0" + digest for pid, _, digest in ordered[start:end]))
        yield str(day), start, end, chain.hexdigest()
        start = end


def related_papers(papers: list[Paper], count: int = 5, store: StateStore | None = None) -> dict[str, list[str]]:
    """paper id → the ids of up to `count` most similar papers of its day or before, most similar first
    (ties: the older paper)."""
    return find_related(text_keys(papers), PaperTexts(papers), count, store)


def find_related(keys: list[TextKey], texts: Texts, count: int = 5, store: StateStore | None = None) -> dict[str, list[str]]:
    """related_papers() of the papers known by these keys, their texts made by `texts`."""
    if len(keys) < 2 or count < 1:
        return {}
    ordered = sorted(keys, key=lambda key: (key[1], key[0]))
    settings = _settings(count)
    spans = list(_day_spans(ordered, settings))
    cached = _load_days(store, [day for day, _, _, _ in spans], settings)
    counts = _counts_in_order(ordered, spans, texts, cached)
    ids = [key[0] for key in ordered]
    todo = [span for span in spans if span[0] not in cached or cached[span[0]].chain != span[3]]
    computed = _compute_days(todo, (counts, counts.data * counts.data, count), ids) if todo else {}
    if store is not None:
        _save_days(store, spans, ordered, counts, computed, settings)
    lists = {day: computed[day][1] if day in computed else cached[day].lists for day, _, _, _ in spans}
    return {pid: related for day_lists in lists.values() for pid, related in day_lists.items()}


def _save_days(store: StateStore, spans: list[DaySpan], ordered: list[TextKey], counts: Any,
               computed: dict[str, tuple[str, dict[str, list[str]]]], settings: tuple) -> None:
    """The days computed again, each as an entry of its own; the entries of days no longer there dropped."""
    for day, start, end, chain in spans:
        if day in computed:
            keys = ordered[start:end]
            store.save(_entry(day), RelatedDay([key[0] for key in keys], [key[2] for key in keys],
                                               counts[start:end], chain, computed[day][1]), key=settings)
    store.prune(CACHE, [_entry(day) for day, _, _, _ in spans])
    store.drop(CACHE)   # the one-file cache of site-gen 0.2.0 and before


def as_papers(related: dict[str, list[str]], papers: list[Paper]) -> dict[str, list[Paper]]:
    by_id = {p.id: p for p in papers}
    return {pid: [by_id[r] for r in similar] for pid, similar in related.items()}
