"""A subscriber's library: the papers they keep (a BibTeX export of Zotero, Mendeley or JabRef, and/or
arXiv ids), each made into a text to compare the day's papers with.

An entry is matched to a paper in content/ by its arXiv id (from `eprint`, `url` or a
10.48550/arXiv.* `doi`), then by DOI, then by its normalised title; its text is its own title and
abstract, or the matched paper's. An entry with no text at all (an arXiv id that content/ does not
hold) cannot be compared: `site-gen check` lists it as a warning.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import bibtexparser
from pylatexenc.latex2text import LatexNodes2Text

from ..errors import Problem
from ..state import StateStore
from ..importers.common import ARXIV_ID
from ..records import Paper

LIBRARIES = "libraries"   # the state store's group: parsed libraries and their word counts, by their bytes

ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)", re.IGNORECASE)
USED_FIELDS = {"title", "abstract", "eprint", "url", "doi"}
_LATEX = LatexNodes2Text()


def _decoded(value: str) -> str:
    """A BibTeX value as text: LaTeX accents and commands decoded ({\"u} → ü), braces dropped. Only a
    value with a backslash goes through the LaTeX parser (bibtexparser's middleware decodes every
    field of every entry, some hundred times slower for a library of abstracts)."""
    text = _LATEX.latex_to_text(value) if "\\" in value else value.replace("{", "").replace("}", "")
    return " ".join(text.split())


@dataclass(frozen=True)
class LibraryEntry:
    where: Problem             # where it was given (file, line, key), for warnings
    title: str
    text: str                  # what it is compared by: title and abstract; "" when nothing is known


@dataclass
class Library:
    entries: list[LibraryEntry] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    owned: set[str] = field(default_factory=set)     # ids of content/'s papers it holds: never picked again

    def comparable(self) -> list[LibraryEntry]:
        return [entry for entry in self.entries if entry.text]


def normal_title(title: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", title.casefold()).split())


class PaperIndex:
    """content/'s papers by arXiv id, DOI and normalised title."""

    def __init__(self, papers: list[Paper]):
        self.by_id = {p.id: p for p in papers}
        self.by_doi = {doi.casefold(): p for p in papers for doi in _dois(p)}
        self.by_title = {normal_title(p.title): p for p in papers}

    def find(self, arxiv_id: str | None, doi: str | None, title: str) -> Paper | None:
        return (self.by_id.get(arxiv_id or "") or self.by_doi.get((doi or "").casefold())
                or self.by_title.get(normal_title(title)) if title or arxiv_id or doi else None)


def _dois(paper: Paper) -> list[str]:
    return [url.split("doi.org/", 1)[1] for url in paper.link_map.values() if "doi.org/" in url]


def _arxiv_id(*texts: str) -> str | None:
    for text in texts:
        match = ARXIV_ID.search(text or "")
        if match:
            return match.group(1)
    return None


def _entry(where: Problem, arxiv_id: str | None, doi: str | None, title: str, abstract: str,
           index: PaperIndex, library: Library) -> LibraryEntry:
    paper = index.find(arxiv_id, doi, title)
    if paper:
        library.owned.add(paper.id)
    if abstract or not paper:
        return LibraryEntry(where, title, f"{title}\n{abstract}".strip())
    return LibraryEntry(where, title or paper.title, f"{paper.title}\n{paper.abstract}")


Parsed = tuple[list[int], list[tuple[int, str, dict[str, str]]]]   # failed blocks' lines; (line, key, fields)


def parse_bibtex(data: bytes) -> Parsed:
    """The lines of the blocks that are not BibTeX entries, and each entry's line, key and the fields
    site-gen uses, decoded."""
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)   # its failures are reported by line
    parsed = bibtexparser.parse_string(data.decode("utf-8", errors="replace"))
    entries = [(entry.start_line + 1, entry.key, {key.casefold(): _decoded(str(f.value))
                                                  for key, f in entry.fields_dict.items()
                                                  if key.casefold() in USED_FIELDS})
               for entry in parsed.entries]
    return [block.start_line + 1 for block in parsed.failed_blocks], entries


def _parsed(path: Path, store: StateStore | None) -> Parsed:
    """parse_bibtex of the file, through a cache keyed by its bytes: libraries change seldom, and
    parsing one of a few hundred entries takes tens of milliseconds."""
    data = path.read_bytes()
    if store is None:
        return parse_bibtex(data)
    name = f"{LIBRARIES}/{hashlib.blake2b(data, digest_size=16).hexdigest()}"
    parsed = store.load(name)
    if parsed is None:
        parsed = parse_bibtex(data)
        store.save(name, parsed)
    return parsed


def read_bibtex(path: Path, index: PaperIndex, library: Library, store: StateStore | None = None) -> None:
    try:
        failed, entries = _parsed(path, store)
    except OSError as error:
        library.warnings.append(Problem(str(path), 0, "library", f"cannot read: {error.strerror}"))
        return
    library.warnings += [Problem(str(path), line, "library", "not a readable BibTeX entry") for line in failed]
    for line, key, fields in entries:
        doi = fields.get("doi")
        doi_arxiv = ARXIV_DOI.match(doi or "")
        arxiv_id = _arxiv_id(fields.get("eprint", ""), fields.get("url", ""), doi_arxiv.group(1) if doi_arxiv else "")
        library.entries.append(_entry(Problem(str(path), line, key, ""), arxiv_id, doi, fields.get("title", ""),
                                      fields.get("abstract", ""), index, library))


def load_library(items: tuple[str, ...], given: Problem, index: PaperIndex, store: StateStore | None = None) -> Library:
    """A library from a subscriber's `library:` items (`given` says where: the subscribers file, line
    and key): arXiv ids, and paths of BibTeX files relative to the subscribers file. Never fails: what
    cannot be used is a warning."""
    library = Library()
    base = Path(given.file).parent
    for position, item in enumerate(items):
        arxiv_id = _arxiv_id(item) if not item.endswith(".bib") else None
        if arxiv_id:
            where = Problem(given.file, given.line, f"{given.field}[{position}]", "")
            library.entries.append(_entry(where, arxiv_id, None, "", "", index, library))
        else:
            read_bibtex(base / item, index, library, store)
    library.warnings += [Problem(e.where.file, e.where.line, e.where.field, "matches no paper in content/ and has "
                                 "no title or abstract: it cannot be compared") for e in library.entries if not e.text]
    return library
