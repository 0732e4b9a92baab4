"""Every paper of the real captures in tests/fixtures/captures comes through with exact fields."""
from __future__ import annotations

import datetime as dt

from conftest import SEEDS
from site_gen.importers import parse_capture


def papers(seed: str, as_of: str) -> dict[str, object]:
    fmt, imported = parse_capture(next(SEEDS.glob(f"{seed}_*.txt")), dt.date.fromisoformat(as_of))
    return {"format": fmt, "papers": [i.paper for i in imported], "by_title": {i.paper.title: i.paper for i in imported}}


def fields(paper) -> dict:
    record = paper.to_record()
    record.pop("abstract", None)
    record.pop("source", None)
    return record


LISTING_SPLITS = [
    ("LGOct 27, 2023Code", "FP8-LM: Training FP8 Large Language Models", ["Houwen Peng", "Kan Wu", "Yixuan Wei"]),
    ("CVJun 19, 2023Code", "Knowledge Transfer-Driven Few-Shot Class-Incremental Learning",
     ["Ye Wang", "Yaxiong Wang", "Guoshuai Zhao"]),
    ("LGJun 6, 2023", "Logic Diffusion for Knowledge Graph Reasoning", ["Xiaoying Xie", "Biao Gong", "Yiliang Lv"]),
    ("CVSep 18, 2024", "Knowledge Adaptation Network for Few-Shot Class-Incremental Learning",
     ["Ye Wang", "Yaxiong Wang", "Guoshuai Zhao"]),
    ("CLJan 29", "Enhancing Conversational Agents via Task-Oriented Adversarial Memory Adaptation",
     ["Yimin Deng", "Yuqing Fu", "Derong Xu"]),
    ("CLApr 27Code", "SEARCH-R: Structured Entity-Aware Retrieval with Chain-of-Reasoning Navigator for "
     "Multi-hop Question Answering", ["Yuqing Fu", "Yimin Deng", "Wanyu Wang"]),
    ("CVDec 7, 2024Code", "Neighborhood Commonality-aware Evolution Network for Continuous Generalized "
     "Category Discovery", ["Ye Wang", "Yaxiong Wang", "Guoshuai Zhao"]),
    ("LGJan 28, 2025", "Optimizing Large Language Model Training Using FP4 Quantization",
     ["Ruizhe Wang", "Yeyun Gong", "Xiao Liu"]),
    ("CLApr 27", "MultiDx: A Multi-Source Knowledge Integration Framework towards Diagnostic Reasoning",
     ["Yimin Deng", "Zhenxi Lin", "Yejing Wang"]),
    ("CLApr 27", "AdapTime: Enabling Adaptive Temporal Reasoning in Large Language Models",
     ["Yimin Deng", "Yejing Wang", "Zhenxi Lin"]),
]


def test_listing_text_seed_splits_every_title_from_its_authors():
    seed = papers("000", "2026-04-30")
    assert seed["format"] == "listing-text"
    assert len(seed["papers"]) == len(LISTING_SPLITS) == 10
    for paper, (head, title, authors) in zip(seed["papers"], LISTING_SPLITS):
        assert paper.title == title
        assert list(paper.authors) == authors and paper.et_al
        assert paper.has_code == head.endswith("Code")
        assert paper.categories == ("cs." + head[:2],)
    first = seed["papers"][0]
    assert fields(first) == {"id": "fp8-lm-training-fp8-large-language-models",
                             "title": "FP8-LM: Training FP8 Large Language Models", "date": dt.date(2023, 10, 27),
                             "authors": ["Houwen Peng", "Kan Wu", "Yixuan Wei"], "et_al": True,
                             "categories": ["cs.LG"], "has_code": True}
    assert first.abstract.startswith("In this paper, we explore FP8 low-bit data formats")
    assert first.abstract.endswith("{https://github.com/Azure/MS-AMP}{aka.ms/MS.AMP}.")
    # yearless dates take the capture's year
    assert [p.date for p in seed["papers"] if p.title.startswith(("Enhancing", "AdapTime"))] == \
        [dt.date(2026, 1, 29), dt.date(2026, 4, 27)]


def test_daily_text_seed_with_meta_blocks():
    seed = papers("001", "2025-12-17")
    assert seed["format"] == "daily-text"
    assert len(seed["papers"]) == 32
    by_title = seed["by_title"]
    assert fields(by_title["Sequential Training of Neural Networks with Gradient Boosting"]) == {
        "id": "sequential-training-of-neural-networks-with-gradient-boosting",
        "title": "Sequential Training of Neural Networks with Gradient Boosting",
        "date": dt.date(2019, 9, 26), "author_count": 2, "upvotes": 0}
    # an organisation line: handle then display name
    apple = by_title["Learning to Reason as Action Abstractions with Scalable Mid-Training RL"]
    assert (apple.organization, apple.date, apple.upvotes, apple.author_count) == ("Apple", dt.date(2025, 9, 30), 2, None)
    # a paper without a meta block: no votes, the page's date
    bare = by_title["Training and Inference Efficiency of Encoder-Decoder Speech Models"]
    assert (bare.upvotes, bare.date, bare.author_count, bare.organization) == (None, dt.date(2025, 12, 17), None, None)
    # yearless dates with and without vote counts
    dates = {p.title[:40]: (p.date, p.upvotes) for p in seed["papers"]}
    assert (dt.date(2024, 4, 29), 1) in dates.values()   # "Apr 29, 2024 1"
    assert (dt.date(2025, 3, 19), 0) in dates.values()   # "Mar 19"
    assert (dt.date(2025, 1, 31), 2) in dates.values()   # "Jan 31 2"
    assert (dt.date(2024, 12, 2), 4) in dates.values()   # "Dec 2, 2024 4"
    assert all(p.abstract for p in seed["papers"])
    assert sum(1 for p in seed["papers"] if p.upvotes is None) == 1


def test_daily_text_seed_with_a_page_date_and_no_meta():
    seed = papers("002", "2025-07-29")
    assert len(seed["papers"]) == 44
    assert {p.date for p in seed["papers"]} == {dt.date(2025, 7, 29)}
    assert all(p.upvotes is None and p.author_count is None for p in seed["papers"])
    first = seed["papers"][0]
    assert first.title.startswith("SuSana Distancia is all you need")
    assert first.abstract.startswith("Few-shot learning is a challenging area")


def test_daily_text_seed_without_any_date_uses_as_of_and_keeps_unicode():
    seed = papers("003", "2025-10-01")
    assert len(seed["papers"]) == 130
    assert {p.date for p in seed["papers"]} == {dt.date(2025, 10, 1)}
    pixart = seed["by_title"]["PIXART-δ: Fast and Controllable Image Generation with Latent Consistency Models"]
    assert pixart.id == "pixart-d-fast-and-controllable-image-generation-with-latent-consistency-models"
    assert "PIXART-{\\delta}" in pixart.abstract
    assert seed["papers"][0].title == ("BLSP: Bootstrapping Language-Speech Pre-training via Behavior Alignment "
                                       "of Continuation Writing")
