"""Related papers: TF-IDF over title and abstract, cosine similarity, top few per paper.

scikit-learn builds the sparse TF-IDF matrix; similarities are computed in row blocks as
sparse products, so memory stays bounded on large sites.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .files import load_pickle, save_pickle
from .records import Paper

BLOCK = 512
MIN_SIMILARITY = 0.08


def related_papers(papers: list[Paper], count: int = 5) -> dict[str, list[Paper]]:
    """paper id → up to `count` most similar other papers, most similar first (ties by id)."""
    if len(papers) < 2 or count < 1:
        return {}
    import numpy as np  # imported here: scikit-learn takes a second to load, and only builds need it
    from sklearn.feature_extraction.text import TfidfVectorizer
    ordered = sorted(papers, key=lambda p: p.id)
    texts = [f"{p.title}. {p.title}. {p.abstract}" for p in ordered]  # the title counts double
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, max_df=0.5, dtype=np.float32)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no usable words at all (every text empty or stop words)
        return {}
    transposed = matrix.T.tocsr()
    related: dict[str, list[Paper]] = {}
    for start in range(0, len(ordered), BLOCK):
        block = (matrix[start:start + BLOCK] @ transposed).tocsr()
        for row in range(block.shape[0]):
            index = start + row
            begin, end = block.indptr[row], block.indptr[row + 1]
            columns, scores = block.indices[begin:end], block.data[begin:end]
            keep = (columns != index) & (scores >= MIN_SIMILARITY)
            columns, scores = columns[keep], scores[keep]
            if columns.size == 0:
                continue
            if columns.size > count:
                top = np.argpartition(-scores, count)[:count + 1]
                columns, scores = columns[top], scores[top]
            best = sorted(zip(-np.round(scores, 6), columns.tolist()))[:count]
            related[ordered[index].id] = [ordered[column] for _, column in best]
    return related


def cached_related_papers(papers: list[Paper], cache: Path, count: int = 5) -> dict[str, list[Paper]]:
    """related_papers(), reused from the last build when no title or abstract changed."""
    digest = hashlib.blake2b(digest_size=16)
    for paper in sorted(papers, key=lambda p: p.id):
        digest.update(f"{paper.id}\0{paper.title}\0{paper.abstract}\1".encode())
    key = (digest.hexdigest(), count, MIN_SIMILARITY)
    by_id = {p.id: p for p in papers}
    stored = load_pickle(cache)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key:
        return {pid: [by_id[r] for r in related] for pid, related in stored[1].items()}
    result = related_papers(papers, count)
    save_pickle(cache, (key, {pid: [p.id for p in related] for pid, related in result.items()}))
    return result
