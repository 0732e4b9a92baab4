"""A deterministic corpus of paper records for benchmarks.

    python bench/corpus.py N DIR      # DIR/content/papers/… and DIR/site.yaml

500 papers a day from 2020-01-01, 8 arXiv categories, 20 topics, 3–12 authors, abstracts of
about 1,600 characters, votes 0–300. Each day is generated from its own seed, so the corpus
for N + 500 is the corpus for N plus one new day.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from site_gen.records import Paper, day_file_path, dump_day  # noqa: E402

PER_DAY = 500
START = dt.date(2020, 1, 1)
CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.RO", "cs.IR", "eess.AS"]
TOPICS = ["diffusion", "reasoning", "quantization", "recommendation", "reinforcement learning", "retrieval",
          "speech", "robotics", "graph neural networks", "federated learning", "interpretability", "agents",
          "multimodal", "benchmark", "distillation", "pruning", "alignment", "code generation", "video",
          "time series"]
FIRST = ("Ada Alan Ann Bo Chen Dana Eli Fei Grace Hao Ivan Jia Kai Lena Ming Nora Omar Pia Qi Ravi Sara Tao "
         "Uma Vera Wei Xin Yara Zoe Luca Marta").split()
LAST = ("Lee Wang Zhang Smith Garcia Kim Patel Chen Li Liu Müller Rossi Silva Novak Sato Khan Nguyen Brown "
        "Lopez Ivanova Dubois Costa Okafor Jensen Park Tanaka Cohen Singh Yilmaz Hansen").split()
WORDS = ("model models learning training data method methods results performance network networks large "
         "language task tasks approach propose show state art benchmark efficient scale scaling neural deep "
         "representation representations inference generation evaluation dataset datasets framework novel "
         "robust transformer attention loss optimization gradient accuracy baseline experiments demonstrate "
         "improve improves significant across multiple domain domains objective theoretical analysis").split()


def author_pool(size: int = 20_000) -> list[str]:
    rng = random.Random("authors")
    names = {f"{rng.choice(FIRST)} {rng.choice(FIRST)[0]}. {rng.choice(LAST)}" for _ in range(size * 2)}
    return sorted(names)[:size]


def abstract(rng: random.Random, topics: list[str]) -> str:
    words: list[str] = []
    length = 0
    while length < 1600:
        words.append(rng.choice(topics) if rng.random() < 0.04 else rng.choice(WORDS))
        length += len(words[-1]) + 1
    text = " ".join(words)[:1600]
    return text[0].upper() + text[1:] + "."


def day_papers(index: int, authors: list[str]) -> list[Paper]:
    day = START + dt.timedelta(days=index)
    rng = random.Random(f"day-{index}")
    papers = []
    for n in range(PER_DAY):
        topics = rng.sample(TOPICS, 2)
        categories = rng.sample(CATEGORIES, rng.choice((1, 1, 2, 3)))
        title_words = rng.sample(WORDS, 6)
        papers.append(Paper(
            id=f"{day:%y%m}.{index % 100:02d}{n:03d}",
            title=f"{' '.join(title_words).capitalize()} for {topics[0]}",
            date=day,
            abstract=abstract(rng, topics),
            authors=tuple(rng.sample(authors, rng.randint(3, 12))),
            categories=tuple(categories),
            upvotes=rng.randint(0, 300),
            has_code=rng.random() < 0.3,
            links=(("arxiv", f"https://arxiv.org/abs/{day:%y%m}.{index % 100:02d}{n:03d}"),),
        ))
    return papers


SITE_YAML = "title: Bench Papers\nbase_url: https://bench.example.org/\nper_page: 50\nfeed_items: 50\n" + \
    "topics:\n" + "".join(f"  - name: {t.title()}\n    keywords: [{t}]\n" for t in TOPICS)


def write_corpus(count: int, root: Path) -> None:
    """Write (or extend) the corpus of `count` papers under root. Days are generated from their own
    seeds, so complete days already on disk are kept as they are; only new or partial days are written."""
    authors = author_pool()
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "site.yaml").exists():
        (root / "site.yaml").write_text(SITE_YAML)
    days = -(-count // PER_DAY)
    todo = []
    for index in range(days):
        path = day_file_path(root / "content", START + dt.timedelta(days=index))
        if not (path.exists() and count - index * PER_DAY >= PER_DAY and path.stat().st_size > 0):
            todo.append((index, min(PER_DAY, count - index * PER_DAY), path))
    global _AUTHORS
    _AUTHORS = authors
    with multiprocessing.get_context("fork").Pool() as pool:
        for _ in pool.imap_unordered(_write_day, todo):
            pass


_AUTHORS: list[str] = []


def _write_day(task: tuple[int, int, Path]) -> None:
    index, count, path = task
    text = dump_day(day_papers(index, _AUTHORS)[:count])
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_corpus(int(sys.argv[1]), Path(sys.argv[2]))
