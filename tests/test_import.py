"""`site-gen import`: every format, merging into content/, idempotence and bad input."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, SEEDS, run_cli, snapshot
from site_gen.errors import ValidationError
from site_gen.importers import parse_capture, run_import
from site_gen.importers.listing_text import split_title_authors
from site_gen.content import load_content

AS_OF = dt.date(2025, 1, 20)
DAILY_JSON = FIXTURES / "daily-2025-01-15.json"
RSS = FIXTURES / "arxiv-cs.LG-2025-01-16.rss.xml"
ATOM = FIXTURES / "arxiv-cs.CL-2025-01-17.atom.xml"


def records(content: Path) -> dict[str, dict]:
    return {p.id: p.to_record() for p in load_content(content)}


def test_daily_json_fields():
    fmt, imported = parse_capture(DAILY_JSON, AS_OF)
    assert fmt == "daily-json"
    record = imported[0].paper.to_record()
    record.pop("source")
    assert record == {
        "id": "2501.08313",
        "title": "MiniMax-01: Scaling Foundation Models with Lightning Attention",
        "date": dt.date(2025, 1, 15), "published": dt.date(2025, 1, 14),
        "abstract": "We introduce the MiniMax-01 series.\nIt uses $O(n)$ attention.",
        "authors": ["Ada Lovelace", "Grace Hopper"], "organization": "MiniMax",
        "upvotes": 284, "comments": 7, "submitted_by": "AK",
        "links": {"arxiv": "https://arxiv.org/abs/2501.08313", "code": "https://github.com/MiniMax-AI/MiniMax-01",
                  "hf": "https://huggingface.co/papers/2501.08313", "pdf": "https://arxiv.org/pdf/2501.08313",
                  "project": "https://www.minimax.io/"},
        "has_code": True,
        "summary": "A linear-attention model family reaching 4M-token contexts.",
        "keywords": ["lightning attention", "mixture of experts"],
    }
    minimal = imported[1].paper
    assert (minimal.published, minimal.upvotes, minimal.comments, minimal.organization) == (None, 0, 0, None)


def test_arxiv_rss_new_and_cross_create_replace_updates(tmp_path):
    content = tmp_path / "content"
    run_import([DAILY_JSON], content, AS_OF)
    result = run_import([RSS], content, AS_OF)
    assert dict(result.summaries[0].counts) == {"new": 2, "updated": 1, "skipped": 1}
    papers = records(content)
    moe = papers["2501.09001"]
    assert moe["date"] == dt.date(2025, 1, 16)
    assert moe["categories"] == ["cs.LG", "cs.AI"]
    assert moe["authors"] == ["Jean-Luc Picard", "Beverly Crusher", "Data Soong"]
    assert moe["abstract"] == "We revisit sparse mixtures of experts <b>with</b> simple routing."
    assert moe["links"]["pdf"] == "https://arxiv.org/pdf/2501.09001"
    assert papers["2501.09002"]["categories"] == ["eess.AS", "cs.LG"]
    # the replacement kept the day, the votes and the full author list; it added categories
    minimax = papers["2501.08313"]
    assert minimax["date"] == dt.date(2025, 1, 15) and minimax["upvotes"] == 284
    assert minimax["categories"] == ["cs.CL", "cs.LG"] and minimax["organization"] == "MiniMax"
    assert "2301.00001" not in papers


def test_arxiv_atom(tmp_path):
    content = tmp_path / "content"
    run_import([RSS], content, AS_OF)
    result = run_import([ATOM], content, AS_OF)
    assert dict(result.summaries[0].counts) == {"new": 1, "updated": 1}
    papers = records(content)
    assert papers["2501.10001"]["authors"] == ["Kathryn Janeway", "Seven of Nine"]
    assert papers["2501.10001"]["date"] == dt.date(2025, 1, 17)
    assert papers["2501.09001"]["abstract"].endswith("now with code.")
    assert papers["2501.09001"]["date"] == dt.date(2025, 1, 16)
    assert papers["2501.09001"]["categories"] == ["cs.LG", "cs.AI", "cs.CL"]


def test_reimport_is_idempotent_and_never_duplicates(tmp_path):
    content = tmp_path / "content"
    files = [DAILY_JSON, RSS, ATOM] + sorted(SEEDS.glob("*.txt"))
    run_import(files, content, AS_OF)
    before = snapshot(content)
    result = run_import(files, content, AS_OF)
    assert result.written == []
    assert snapshot(content) == before
    # captures that do not overlap report every paper unchanged
    assert all(set(s.counts) == {"unchanged"} for s in result.summaries if "seeds" in s.file or ".json" in s.file)
    ids = [p.id for p in load_content(content)]
    assert len(ids) == len(set(ids))


def test_merge_keeps_every_field_and_the_first_day(tmp_path):
    content = tmp_path / "content"
    day = content / "papers" / "2024" / "2024-01-01.yaml"
    day.parent.mkdir(parents=True)
    day.write_text(yaml.safe_dump([{
        "id": "a-paper", "title": "A Paper", "date": "2024-01-01", "topics": ["hand"], "upvotes": 1,
        "abstract": "Full abstract that goes on and on.", "organization": "Lab",
        "authors": ["Ann Lee", "Bob Ray", "Cy Dee", "Di Eve"]}]))
    capture = tmp_path / "listing.txt"
    capture.write_text("CLMar 3, 2024Code\nA PaperAnn Lee, Bob Ray, Cy Dee et al.\nFull abstract that goes\n")
    result = run_import([capture], content, AS_OF)
    assert dict(result.summaries[0].counts) == {"updated": 1}
    paper = records(content)["a-paper"]
    assert paper["date"] == dt.date(2024, 1, 1)           # never moves day
    assert paper["authors"] == ["Ann Lee", "Bob Ray", "Cy Dee", "Di Eve"] and "et_al" not in paper
    assert paper["abstract"] == "Full abstract that goes on and on."  # cut-down copy does not replace
    assert paper["topics"] == ["hand"] and paper["organization"] == "Lab" and paper["upvotes"] == 1
    assert paper["categories"] == ["cs.CL"] and paper["has_code"] is True
    assert not (content / "papers" / "2024" / "2024-03-03.yaml").exists()


def test_different_papers_with_the_same_slug_get_numbered_ids(tmp_path):
    content = tmp_path / "content"
    capture = tmp_path / "listing.txt"
    capture.write_text("CLMar 3, 2024\nDeep Learning!Ann Lee, Bob Ray\nOne\n"
                       "CLMar 4, 2024\nDeep LearningCy Dee, Di Eve\nTwo\n")
    run_import([capture], content, AS_OF)
    papers = records(content)
    assert papers["deep-learning"]["title"] == "Deep Learning!"
    assert papers["deep-learning-2"]["title"] == "Deep Learning"
    run_import([capture], content, AS_OF)
    assert len(records(content)) == 2


@pytest.mark.parametrize("line, title, authors, et_al", [
    ("GPT-4 Is All You NeedAnn Lee", "GPT-4 Is All You Need", ["Ann Lee"], False),
    ("Scaling RLHFJean-Baptiste O'Neil, Mary-Kate Smith et al.", "Scaling RLHF",
     ["Jean-Baptiste O'Neil", "Mary-Kate Smith"], True),
    ("MoE$^2$: Sparse, Dense, and Mixed ModelsJ. R. Tolkien, Ludwig van Beethoven", "MoE$^2$: Sparse, Dense, and Mixed Models",
     ["J. R. Tolkien", "Ludwig van Beethoven"], False),
    ("Mem-α: Memory for Agents?Łukasz Kaiser, José Jiménez", "Mem-α: Memory for Agents?",
     ["Łukasz Kaiser", "José Jiménez"], False),
    ("Why McDonald's Graphs (2024)Ann McDonald, Bo Li", "Why McDonald's Graphs (2024)", ["Ann McDonald", "Bo Li"], False),
    ("LLMs Can PlanXi Chen", "LLMs Can Plan", ["Xi Chen"], False),
])
def test_title_author_split_general_cases(line, title, authors, et_al):
    assert split_title_authors(line) == (title, authors, et_al)


def test_as_of_year_rule(tmp_path):
    capture = tmp_path / "listing.txt"
    capture.write_text("CLDec 30\nEnd of YearAnn Lee\nA\nCLJan 2\nStart of YearAnn Lee\nB\n")
    _, imported = parse_capture(capture, dt.date(2025, 1, 5))
    assert [i.paper.date for i in imported] == [dt.date(2024, 12, 30), dt.date(2025, 1, 2)]


def test_dry_run_writes_nothing_and_cli_prints_a_summary(tmp_path):
    content = tmp_path / "content"
    result = run_cli("import", "--content", str(content), "--as-of", "2025-01-20", "--dry-run", str(DAILY_JSON))
    assert result.returncode == 0, result.stderr
    assert "2 new" in result.stdout and "2025-01-15 (2)" in result.stdout and "nothing written" in result.stdout
    assert not content.exists()
    result = run_cli("import", "--content", str(content), "--as-of", "2025-01-20", str(DAILY_JSON))
    assert result.returncode == 0 and (content / "papers" / "2025" / "2025-01-15.yaml").is_file()


@pytest.mark.parametrize("name, data, message", [
    ("empty.txt", b"", "the file is empty"),
    ("blank.txt", b"\n\n  \n", "the file is empty"),
    ("junk.bin", bytes(range(256)) * 4, "binary data"),
    ("latin1.txt", "caf\xe9 au lait".encode("latin-1"), "not UTF-8"),
    ("truncated.json", DAILY_JSON.read_bytes()[:400], "invalid JSON"),
    ("truncated.xml", RSS.read_bytes()[:900], "invalid XML"),
    ("notes.txt", b"Just some notes\nabout nothing\n", "not a known capture format"),
    ("wrong.json", b'{"papers": []}', "not a known capture format"),
    ("bad-listing.txt", b"CLApr 27\nno authors glued here\nabstract\n", ":2: cannot tell the title from the author list"),
    ("bad-date.txt", b"CLFeb 30, 2024\nA TitleAnn Lee\nx\n", ":1: not a real date"),
    ("bad-meta.txt", "Daily Papers\n\nTitle\n\nAbstract\n\n  • 2 authors\n·\nyesterday\n".encode(),
     ":9: expected a date such as"),
])
def test_bad_input_is_refused_clearly_and_nothing_is_written(tmp_path, name, data, message):
    content = tmp_path / "content"
    good = DAILY_JSON
    bad = tmp_path / name
    bad.write_bytes(data)
    result = run_cli("import", "--content", str(content), str(good), str(bad))
    assert result.returncode == 1
    assert message in result.stderr and str(bad) in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not content.exists()


def test_import_refuses_to_merge_into_invalid_content(tmp_path):
    content = tmp_path / "content"
    broken = content / "papers" / "2024" / "2024-01-01.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("- id: x\n  title: X\n  date: 2024-01-01\n  autors: [A]\n")
    with pytest.raises(ValidationError, match="autors: unknown field"):
        run_import([DAILY_JSON], content, AS_OF)


def test_imported_content_builds(tmp_path):
    content = tmp_path / "content"
    run_import([DAILY_JSON, RSS, ATOM], content, AS_OF)
    result = run_cli("build", "--content", str(content), "--output", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "out" / "papers" / "2501.08313" / "index.html").read_text()
    assert "MiniMax" in page and "https://github.com/MiniMax-AI/MiniMax-01" in page
