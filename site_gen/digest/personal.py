"""For you: a subscriber's papers of a day, ranked by similarity to their library, each with a reason.

Texts are counted by word (scikit-learn's HashingVectorizer: no vocabulary to fit, so a library's
counts can be kept from one day to the next) and weighted by TF-IDF: sublinear term frequency, the
inverse document frequency of the day's papers, unit length, as TfidfVectorizer fitted on the day
would. A library's words that no paper of the day has are dropped, as that vocabulary would. A
paper's score is its cosine similarity to the closest
library entry, whose title is the reason ("Like: …"). Papers by an author the subscriber follows
come first ("By: …"); papers matching an excluded keyword, and papers the library holds already,
are never picked.
"""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..config import PersonalConfig
from ..state import StateStore
from ..records import Paper
from .library import LIBRARIES, Library
from .subscribers import Subscriber

if TYPE_CHECKING:
    import scipy.sparse


@functools.cache
def _words():
    """The word counter. scikit-learn is imported when a library is ranked, not with the build:
    importing it costs more than a build that finds nothing changed."""
    from sklearn.feature_extraction.text import HashingVectorizer
    return HashingVectorizer(n_features=2 ** 20, alternate_sign=False, norm=None, stop_words="english")


@dataclass(frozen=True)
class Pick:
    paper: Paper
    score: float
    reason: str


def keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern | None:
    """Any of the keywords as a whole word or phrase, in any case."""
    if not keywords:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, keywords)) + r")(?!\w)", re.IGNORECASE)


def excluded(subscriber: Subscriber, paper: Paper) -> bool:
    pattern = keyword_pattern(subscriber.exclude_keywords)
    return bool(pattern and pattern.search(f"{paper.title}\n{paper.abstract}"))


def _name(text: str) -> str:
    return " ".join(text.casefold().replace(".", " ").split())


def _counts(texts: list[str], store: StateStore | None) -> scipy.sparse.csr_matrix:
    """Word counts of the texts, kept in the store by their digest: a library's texts seldom change."""
    if store is None:
        return _words().transform(texts)
    digest = hashlib.blake2b("\0".join(texts).encode(), digest_size=16).hexdigest()
    name = f"{LIBRARIES}/counts-{digest}"
    counts = store.load(name)
    if counts is None:
        counts = _words().transform(texts)
        store.save(name, counts)
    return counts


def _weighted(counts: scipy.sparse.csr_matrix, idf: np.ndarray) -> scipy.sparse.csr_matrix:
    weights = counts.astype(np.float64)
    weights.data = (1 + np.log(weights.data)) * idf[weights.indices]
    weights.eliminate_zeros()
    from sklearn.preprocessing import normalize
    return normalize(weights)


class Ranker:
    """One set of papers (a day's), weighted once; `picks` ranks them for one subscriber."""

    def __init__(self, papers: list[Paper], settings: PersonalConfig, store: StateStore | None = None):
        self.papers = papers
        self.settings = settings
        self.store = store
        counts = _words().transform([f"{p.title}\n{p.abstract}" for p in papers])
        papers_with = np.bincount(counts.indices, minlength=counts.shape[1])   # each word's document frequency
        self.idf = np.where(papers_with > 0, np.log((1 + len(papers)) / (1 + papers_with)) + 1, 0.0)
        self.matrix = _weighted(counts, self.idf)

    def _similar(self, library: Library) -> list[Pick]:
        entries = library.comparable()
        if not self.papers or not entries:
            return []
        scores = (self.matrix @ _weighted(_counts([e.text for e in entries], self.store), self.idf).T).toarray()
        closest = scores.argmax(axis=1)
        best = scores[np.arange(len(self.papers)), closest]
        return [Pick(paper, float(best[i]), f"Like: {entries[closest[i]].title or entries[closest[i]].text[:120]}")
                for i, paper in enumerate(self.papers) if best[i] >= self.settings.min_score]

    def picks(self, subscriber: Subscriber, library: Library) -> list[Pick]:
        """The subscriber's top papers: by a followed author first, then the most similar; ties by votes."""
        followed = {_name(a): a for a in subscriber.authors}
        by_author = []
        for paper in self.papers:
            names = [followed[_name(a)] for a in paper.authors if _name(a) in followed]
            if names:
                by_author.append(Pick(paper, float("inf"), f"By: {', '.join(names)}"))
        seen = {pick.paper.id for pick in by_author}
        similar = sorted((p for p in self._similar(library) if p.paper.id not in seen),
                         key=lambda p: (-p.score, -p.paper.votes, p.paper.id))
        return [pick for pick in by_author + similar
                if not excluded(subscriber, pick.paper) and pick.paper.id not in library.owned][:self.settings.top]
