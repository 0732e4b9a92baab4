"""Incremental builds give exactly the bytes of a clean build, and rewrite only what changed."""
from __future__ import annotations

import contextlib
import importlib.metadata
import os
import pickle
import re
import shutil
import sqlite3
import unittest.mock
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import REPO, snapshot, write_day
from site_gen.build import build
from site_gen.changes import INDEX, ChangeSet
from site_gen.config import load_config
from site_gen.errors import SiteGenError, ValidationError
from site_gen.fragments import FragmentStore
from site_gen.pages import PaperPageContext
from site_gen.output import OutputTrees, Tree
from site_gen import catalog, kept_catalog, state
from site_gen.state import StateStore, library_versions
from site_gen.urls import Urls
from site_gen.workers import Worker, Written

TOPICS = "topics:\n  - name: Diffusion\n    keywords: [diffusion]\n"


def paper(n: int, day: str, **extra) -> dict:
    return {"id": f"p{n}", "title": f"Paper {n} on {'diffusion' if n % 2 else 'graphs'}", "date": day,
            "upvotes": n % 7, "categories": [["cs.LG"], ["cs.CV", "cs.LG"], ["stat.ML"]][n % 3],
            "authors": [f"Author {n % 4}", f"Author {n % 5 + 10}"], "abstract": f"Abstract {n} about {['diffusion models', 'graph networks', 'sparse attention'][n % 3]} for "
            f"{['images', 'text', 'audio', 'video'][n % 4]}.",
            **extra}


class Site:
    """A site under edit, built incrementally into one place and from scratch into another."""

    def __init__(self, root: Path):
        self.root = root
        self.content = root / "content"
        self.days: dict[str, list[dict]] = {}
        self.config_text = "base_url: https://example.org/\nper_page: 2\nfeed_items: 3\nsearch: false\n" + TOPICS
        self.templates = root / "templates"
        self.templates.mkdir(parents=True)
        self.builds = 0

    def save(self) -> None:
        if self.content.exists():
            shutil.rmtree(self.content)
        self.content.mkdir()
        for day, records in self.days.items():
            if records:
                write_day(self.content, day, [dict(r) for r in records])
        (self.root / "site.yaml").write_text(self.config_text + f"templates: {self.templates}\n")

    def build(self, output: Path, state: Path, check_inputs: bool = False):
        self.save()
        return build(load_config(self.root / "site.yaml"), self.content, output, state, jobs=1, progress=False,
                     check_inputs=check_inputs)

    def build_stopped(self, after: int) -> None:
        """A build stopped as Ctrl-C stops it, when it is about to change its `after`-th file of the
        tree it writes into (one process: jobs=1)."""
        prepare, changes = Tree._prepare, 0

        def stopping(tree: Tree, location: str) -> Path:
            nonlocal changes
            changes += 1
            if changes > after:
                raise KeyboardInterrupt
            return prepare(tree, location)
        with unittest.mock.patch.object(Tree, "_prepare", stopping), contextlib.suppress(KeyboardInterrupt):
            self.build(self.root / "output", self.root / "state")

    def check(self) -> None:
        """The incremental build equals a clean build of the same input. Every other one is built with
        the dependency check (every file it kept renders the same again, no page reads an undeclared
        input, and none the change set carried over is made from other inputs now); the others carry
        over what the change set says is unchanged without looking at it."""
        self.builds += 1
        self.build(self.root / "output", self.root / "state", check_inputs=self.builds % 2 == 1)
        clean = self.root / f"clean{self.builds}"
        self.build(clean / "output", clean / "state")
        assert snapshot(self.root / "output") == snapshot(clean / "output")
        shutil.rmtree(clean)


operations = st.sampled_from(["add_day", "edit", "delete", "template", "config", "touch", "stopped"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(operations, st.integers(0, 1000)), min_size=1, max_size=5))
@example(steps=[("touch", 1), ("stopped", 1)])   # the home page ("") changed by the stopped build, its day taken back
def test_incremental_builds_equal_clean_builds(tmp_path_factory, steps):
    site = Site(tmp_path_factory.mktemp("site"))
    site.days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(4)],
                 "2024-01-02": [paper(i, "2024-01-02") for i in range(4, 7)]}
    site.check()
    counter = 100
    for operation, n in steps:
        everyone = [r for records in site.days.values() for r in records]
        if operation == "add_day":
            day = f"2024-02-{len(site.days) + 1:02d}"
            site.days[day] = [paper(counter + i, day) for i in range(n % 4 + 1)]
            counter += 10
        elif operation == "edit" and everyone:
            record = everyone[n % len(everyone)]
            record.update([("upvotes", n % 300), ("title", f"Edited {n}"), ("abstract", f"New text {n}"),
                           ("authors", [f"Author {n % 9}"])][n % 4:n % 4 + 1])
        elif operation == "delete" and everyone:
            record = everyone[n % len(everyone)]
            for records in site.days.values():
                if record in records:
                    records.remove(record)
        elif operation == "template":
            name, text = [("card.html", ('<article class="paper-card"><h2><a href="{{ card.url }}">'
                                         '{{ card.title_html }}</a></h2> ▲ {{ card.votes }}</article>\n')),
                          ("line.html", ('<li><a href="{{ line.url }}">{{ line.title_html }}</a>'
                                         ' {{ line.date_label }}</li>\n'))][n % 2]
            override = site.templates / name
            if override.exists():
                override.unlink()
            else:
                override.write_text(text)
        elif operation == "config":
            site.config_text = site.config_text.replace("per_page: 2", "per_page: 3") if "per_page: 2" in \
                site.config_text else site.config_text.replace("per_page: 3", "per_page: 2")
        elif operation == "stopped":   # a new day's build stopped half-way; the next one takes it up,
            day = f"2024-03-{len(site.days) + 1:02d}"   # also when the day has been taken back meanwhile
            site.days[day] = [paper(counter + i, day) for i in range(n % 3 + 1)]
            counter += 10
            site.build_stopped(after=n % 60)
            if n % 2:
                del site.days[day]
        site.check()


def built(tmp_path: Path, days: dict[str, list[dict]], search: bool = False):
    content = tmp_path / "content"
    if content.exists():
        shutil.rmtree(content)
    for day, records in days.items():
        write_day(content, day, [dict(r) for r in records])
    (tmp_path / "site.yaml").write_text(f"base_url: https://example.org/\nsearch: {str(search).lower()}\n" + TOPICS)
    return build(load_config(tmp_path / "site.yaml"), content, tmp_path / "output", tmp_path / "state",
                 jobs=2, progress=False)


def inodes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def test_editing_one_record_rewrites_only_the_pages_that_show_it(tmp_path):
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(12)],
            "2024-01-02": [paper(i, "2024-01-02") for i in range(12, 20)]}
    built(tmp_path, days)
    days["2024-01-01"][3]["upvotes"] = 99
    built(tmp_path, days)                       # both trees now hold the edit's predecessor state
    days["2024-01-01"][3]["upvotes"] = 100
    before_files = snapshot(tmp_path / "output")
    before = inodes(tmp_path / "output")
    report = built(tmp_path, days)
    after = inodes(tmp_path / "output")
    after_files = snapshot(tmp_path / "output")
    always = {"sitemap.xml", "robots.txt", "static/style.css"}
    rewritten = {f for f in after if before.get(f) != after[f]} - always
    changed = {f for f in after_files if before_files.get(f) != after_files[f]}
    assert rewritten == changed and report.rendered == len(rewritten)
    assert "papers/p3/index.html" in rewritten and "days/2024-01-01/index.html" in rewritten
    # p3 is among other papers' related papers, listed as lines without votes: those pages are kept
    assert {f for f in rewritten if f.startswith("papers/")} == {"papers/p3/index.html"}
    assert any("/papers/p3/" in data.decode() for f, data in after_files.items()
               if f.startswith("papers/") and f != "papers/p3/index.html")
    assert all("/papers/p3/" in after_files[f].decode() for f in rewritten)
    assert len(rewritten) < len(after) / 3


def test_adding_a_day_rewrites_only_what_shows_the_new_day(tmp_path):
    """Hugo's rebuild tests, for the daily case: after a new day, every file written again
    shows the new day, its paper or a term it brings, and every file that changed was written again."""
    days = {f"2024-01-0{d}": [paper(i, f"2024-01-0{d}") for i in range(10 * d, 10 * d + 10)] for d in (1, 2)}
    built(tmp_path, days)
    built(tmp_path, days)
    before_files, before = snapshot(tmp_path / "output"), inodes(tmp_path / "output")
    days["2024-01-03"] = [paper(50, "2024-01-03", categories=["q-bio.NC"], authors=["Solo Author"])]
    report = built(tmp_path, days)
    after_files, after = snapshot(tmp_path / "output"), inodes(tmp_path / "output")
    always = {"sitemap.xml", "robots.txt", "static/style.css"}
    rewritten = {f for f in after if before.get(f) != after[f]} - always
    assert rewritten == {f for f in after_files if before_files.get(f) != after_files[f]} - always
    assert report.rendered == len(rewritten)
    new = {f for f in after if f not in before}
    assert {"papers/p50/index.html", "days/2024-01-03/index.html", "categories/q-bio.NC/index.html",
            "authors/solo-author/index.html", "categories/q-bio.NC/rss.xml"} <= new
    shows_the_day = ("/papers/p50/", "/days/2024-01-03/", "/categories/q-bio.NC/", "/authors/solo-author/")
    for name in rewritten - new:
        assert any(link in after_files[name].decode() for link in shows_the_day), name
    untouched_papers = {f for f in after if f.startswith("papers/")} - rewritten
    assert len(untouched_papers) >= 15    # old papers show the new one only among their related papers
    assert "categories/cs.LG/index.html" not in rewritten and "feeds/rss.xml" in rewritten


def test_after_a_new_day_a_build_looks_only_at_what_the_change_set_names(tmp_path, monkeypatch):
    """The change set, counted as Hugo's rebuild tests count: after a new day, the paper pages
    planned are the new day's, the listing pages and feeds planned are those of listings that hold
    a new paper (and the periods, which rank by votes); every other file is carried over unplanned."""
    days = {f"2024-01-0{d}": [paper(i, f"2024-01-0{d}") for i in range(10 * d, 10 * d + 10)] for d in (1, 2)}
    built(tmp_path, days)
    built(tmp_path, days)
    days["2024-01-03"] = [paper(50, "2024-01-03", categories=["q-bio.NC"], authors=["Solo Author"]),
                          paper(51, "2024-01-03")]
    planned: list[str] = []

    def noted(made: Written) -> Written:
        planned.append(made.location)
        return made
    page, feed, stored_keys = Worker.page, Worker.feed, FragmentStore.keys
    checked: dict[str, set[str]] = {}   # fragment kind → the papers whose stored fragment was looked at

    def keys_looked_at(store: FragmentStore, kind: str, ids=None) -> dict[str, str]:
        found = stored_keys(store, kind, ids)
        checked.setdefault(kind, set()).update(found if ids is None else ids)
        return found
    monkeypatch.setattr(FragmentStore, "keys", keys_looked_at)
    monkeypatch.setattr(Worker, "page", lambda worker, spec: noted(page(worker, spec)))
    monkeypatch.setattr(Worker, "feed", lambda worker, i: (noted(w) for w in feed(worker, i)))
    write_day(tmp_path / "content", "2024-01-03", days["2024-01-03"])
    report = build(load_config(tmp_path / "site.yaml"), tmp_path / "content", tmp_path / "output",
                   tmp_path / "state", jobs=1, progress=False)
    assert sorted(f for f in planned if f.startswith("papers/")) == ["papers/p50/", "papers/p51/"]
    # p50: q-bio.NC, Solo Author; p51: cs.LG, Authors 3 and 11, the topic Diffusion (its title)
    holding = {"categories/q-bio.NC/", "authors/solo-author/", "categories/cs.LG/", "authors/author-3/",
               "authors/author-11/", "topics/diffusion/"}
    terms = {f for f in planned if f.startswith(("categories/", "authors/", "topics/", "organizations/"))}
    assert terms == holding | {f"{listing}rss.xml" for listing in holding} | \
        {"categories/", "authors/", "topics/", "organizations/"}   # the taxonomies' indexes
    assert {"weeks/2024-W01/", "months/2024-01/", "days/2024-01-03/", "", "feeds/rss.xml"} <= set(planned)
    assert report.pages + report.feeds - len(planned) >= 40 and 0 < report.rendered <= len(planned)
    assert checked["card"] == {"p50", "p51"} and checked["rss"] <= {"p50", "p51"}   # fragments: the new papers'


def test_a_build_stopped_after_storing_its_fragments_leaves_none_stale_for_the_next(tmp_path):
    """The change set checks only changed papers' fragments while the fragment store is as the last
    published build left it. A build stopped after storing an edited paper's card changed the store:
    with the edit taken back, the paper is as the last published build knew it, yet its stored card
    is the edited one, and the next build must find it stale."""
    site = Site(tmp_path / "site")
    site.days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(4)]}
    site.check()
    title = site.days["2024-01-01"][1]["title"]
    site.days["2024-01-01"][1]["title"] = "An edited title"
    with unittest.mock.patch.object(Worker, "page", side_effect=KeyboardInterrupt), \
            contextlib.suppress(KeyboardInterrupt):
        site.build(site.root / "output", site.root / "state")   # stopped once its fragments are stored
    site.days["2024-01-01"][1]["title"] = title
    site.days["2024-01-01"].append(paper(4, "2024-01-01"))   # the day's page is made again
    site.check()                   # (without the dependency check)
    assert "An edited title" not in (site.root / "output" / "days" / "2024-01-01" / "index.html").read_text()


def test_an_index_saved_by_an_earlier_version_is_left_unused(tmp_path):
    """An index without a field this version saves (as after an upgrade): the build plans everything,
    and writes what a clean build writes."""
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(3)]}
    built(tmp_path / "site", days)
    store = StateStore(tmp_path / "site" / "state")
    [name] = [path.stem for path in (tmp_path / "site" / "state" / INDEX).iterdir()]
    index = store.load(f"{INDEX}/{name}")
    del index.needs                       # as an earlier version pickled it
    store.save(f"{INDEX}/{name}", index)
    days["2024-01-02"] = [paper(9, "2024-01-02")]
    built(tmp_path / "site", days)
    built(tmp_path / "clean", days)
    assert snapshot(tmp_path / "site" / "output") == snapshot(tmp_path / "clean" / "output")


def test_the_dependency_check_finds_a_page_that_reads_an_undeclared_input(tmp_path, monkeypatch):
    """A paper page whose fingerprint leaves out its record (a bug in the declared inputs): an
    edited title keeps the stale page in a normal build; the check mode fails the build and names
    the pages and what they read."""
    monkeypatch.setattr(PaperPageContext, "fingerprint", lambda context: context.paper.id)
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(3)]}
    built(tmp_path, days)
    days["2024-01-01"][1]["title"] = "A new title"
    config, content = load_config(tmp_path / "site.yaml"), tmp_path / "content"
    write_day(content, "2024-01-01", [dict(r) for r in days["2024-01-01"]])
    live = (tmp_path / "output").resolve()
    # every paper page reads its own record and its related papers' cards, and declares neither
    with pytest.raises(SiteGenError, match=r"^the dependency check failed: 3 files .*papers/p1/ \(read papers? "
                                           r"[p0-2, ]*p1[p0-2, ]* without declaring it\)"):
        build(config, content, tmp_path / "output", tmp_path / "state", jobs=1, progress=False, check_inputs=True)
    assert (tmp_path / "output").resolve() == live      # nothing published
    build(config, content, tmp_path / "output", tmp_path / "state", jobs=1, progress=False)
    assert "A new title" not in (tmp_path / "output" / "papers" / "p1" / "index.html").read_text()  # the bug it finds


def test_the_dependency_check_finds_a_stale_fragment_the_change_set_leaves_out(tmp_path, monkeypatch):
    """A change set that names no paper's fragments (a bug): a new day's build would show pages
    without the new papers' cards; the check mode fails it, naming the fragment."""
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(3)]}
    built(tmp_path, days)
    monkeypatch.setattr(ChangeSet, "fragments_to_check", lambda changes, kind, needing, generation: [])
    write_day(tmp_path / "content", "2024-01-02", [paper(9, "2024-01-02")])
    live = (tmp_path / "output").resolve()
    with pytest.raises(SiteGenError, match=r"^the dependency check failed: the card fragment of paper p9 is stale"):
        build(load_config(tmp_path / "site.yaml"), tmp_path / "content", tmp_path / "output", tmp_path / "state",
              jobs=1, progress=False, check_inputs=True)
    assert (tmp_path / "output").resolve() == live      # nothing published


def test_the_dependency_check_finds_a_kept_catalog_extended_wrongly(tmp_path, monkeypatch):
    """A kept catalog extended without ranking again the week both it and the new day have (a bug):
    the new day's build would list the week's papers out of order; the check mode fails it."""
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(3)]}
    built(tmp_path, days)
    build_periods = catalog.build_periods
    monkeypatch.setattr(catalog, "build_periods",
                        lambda kind, ordered, key_of, label_of, older=(): build_periods(kind, ordered, key_of, label_of)
                        + list(older))
    write_day(tmp_path / "content", "2024-01-02", [paper(9, "2024-01-02", upvotes=100)])
    live = (tmp_path / "output").resolve()
    with pytest.raises(SiteGenError, match=r"^the dependency check failed: the catalog kept from the last build, "
                                           r"extended by the new days, differs from one grouped from every paper "
                                           r"\(weeks, months\)"):
        build(load_config(tmp_path / "site.yaml"), tmp_path / "content", tmp_path / "output", tmp_path / "state",
              jobs=1, progress=False, check_inputs=True)
    assert (tmp_path / "output").resolve() == live      # nothing published


def test_the_dependency_check_finds_an_undeclared_read_on_a_first_build(tmp_path, monkeypatch):
    """What a render reads is recorded as it renders: a page that declares its paper but not its
    related papers' cards fails the check before any earlier build could show it stale."""
    monkeypatch.setattr(PaperPageContext, "fingerprint",
                        lambda context: context.planner.views.paper_key(context.paper))
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(3)]}
    (tmp_path / "site.yaml").write_text("base_url: https://example.org/\nsearch: false\n" + TOPICS)
    write_day(tmp_path / "content", "2024-01-01", [dict(r) for r in days["2024-01-01"]])
    with pytest.raises(SiteGenError) as failed:
        build(load_config(tmp_path / "site.yaml"), tmp_path / "content", tmp_path / "output", tmp_path / "state",
              jobs=2, progress=False, check_inputs=True)
    named = re.findall(r"papers/(p\d)/ \(read papers? ([p\d, ]+) without declaring it\)", str(failed.value))
    assert named   # pages with related papers, which they read but do not declare; never their own record
    assert all(page not in read.split(", ") for page, read in named)
    monkeypatch.undo()
    report = build(load_config(tmp_path / "site.yaml"), tmp_path / "content", tmp_path / "output",
                   tmp_path / "state", jobs=2, progress=False, check_inputs=True)
    assert report.papers == 3 and report.rendered == report.pages + report.feeds


def test_the_dependency_check_passes_on_the_sample_site(tmp_path):
    config = load_config(REPO / "site.yaml")
    output, state = tmp_path / "output", tmp_path / "state"
    build(config, REPO / "content", output, state, jobs=2, progress=False)
    report = build(config, REPO / "content", output, state, jobs=2, progress=False, check_inputs=True)
    assert report.rendered == 0 and report.pages > 300


def test_a_build_stopped_by_a_bad_record_keeps_what_it_copied_of_the_live_tree(tmp_path):
    """While a build reads the records, the tree it will write into is brought up to date with the
    live one by hard links. When a record turns out bad, what was copied is kept, with a manifest
    that claims no file the tree does not hold, and the next build starts from it."""
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(6)]}
    built(tmp_path, days)
    days["2024-01-02"] = [paper(i, "2024-01-02") for i in range(6, 9)]
    built(tmp_path, days)                       # the other tree lacks the second day
    days["2024-01-03"] = [paper(9, "2024-01-03", upvotes="many")]
    with pytest.raises(ValidationError):
        built(tmp_path, days)
    trees = OutputTrees(tmp_path / "output", StateStore(tmp_path / "state"))
    live = trees.live()
    other = trees.other_root()
    kept = trees.manifest(other).files
    assert kept
    copied = [location for location, print_ in kept.items() if live.manifest.files.get(location) == print_]
    assert copied and all((other / Urls.file_for(location)).read_bytes() == (live.root / Urls.file_for(location)).read_bytes()
                          for location in copied)
    days["2024-01-03"][0]["upvotes"] = 5
    built(tmp_path, days)
    clean = tmp_path / "clean"
    build(load_config(tmp_path / "site.yaml"), tmp_path / "content", clean / "output", clean / "state", jobs=1,
          progress=False)
    assert trees.live().root == other and snapshot(other) == snapshot(clean / "output")


def test_a_record_moved_down_its_day_file_is_not_rewritten(tmp_path):
    """Records are known by their content, not their line: a paper inserted at the top of a day
    file rewrites the pages that show the new paper, not those of the papers below it."""
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(12)]}
    built(tmp_path, days)
    built(tmp_path, days)
    before_files = snapshot(tmp_path / "output")
    before = inodes(tmp_path / "output")
    days["2024-01-01"].insert(0, paper(40, "2024-01-01", categories=["q-bio.NC"], authors=["Solo Author"],
                                       abstract="Neurons."))
    built(tmp_path, days)
    after = inodes(tmp_path / "output")
    after_files = snapshot(tmp_path / "output")
    always = {"sitemap.xml", "robots.txt", "static/style.css"}
    rewritten = {f for f in after if before.get(f) != after[f]} - always
    assert rewritten == {f for f in after_files if before_files.get(f) != after_files[f]} - always
    assert "papers/p5/index.html" not in rewritten and "papers/p40/index.html" in rewritten


def test_a_file_removed_from_the_resting_tree_stops_the_publish_and_the_next_build_repairs_it(tmp_path):
    """The tree a build writes into holds, unchanged since it was last live, most of the site; a file
    someone removed from it meanwhile is noticed before the tree goes live, whichever folder held it."""
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(6)]}
    built(tmp_path, days)
    resting = OutputTrees(tmp_path / "output", StateStore(tmp_path / "state")).live_root()
    days["2024-01-02"] = [paper(6, "2024-01-02")]
    built(tmp_path, days)
    live_before = snapshot(tmp_path / "output")
    for location in ("papers/p1/index.html", "categories/stat.ML/index.html", "robots.txt"):
        (resting / location).unlink()
    days["2024-01-03"] = [paper(7, "2024-01-03")]
    with pytest.raises(SiteGenError, match="2 files of the new site went missing"):   # robots.txt is rewritten
        built(tmp_path, days)
    assert snapshot(tmp_path / "output") == live_before
    built(tmp_path, days)
    clean = tmp_path / "clean"
    build(load_config(tmp_path / "site.yaml"), tmp_path / "content", clean / "output", clean / "state", jobs=1,
          progress=False)
    assert snapshot(tmp_path / "output") == snapshot(clean / "output")


def test_a_deleted_record_leaves_no_page_or_link_behind(tmp_path):
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(5)]}
    built(tmp_path, days)
    del days["2024-01-01"][2]
    built(tmp_path, days)
    output = tmp_path / "output"
    assert not (output / "papers" / "p2").exists()
    assert not any(b"/papers/p2/" in data for data in snapshot(output).values())
    with sqlite3.connect(tmp_path / "state" / "fragments.sqlite") as db:  # the state folder does not grow
        stored = {row[0] for row in db.execute("SELECT DISTINCT id FROM fragments")}
    assert stored == {f"p{i}" for i in (0, 1, 3, 4)}


def test_a_template_change_rerenders_only_the_pages_made_from_it(tmp_path):
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(3)]}
    overrides = tmp_path / "templates"
    overrides.mkdir()
    (tmp_path / "site.yaml").write_text(f"templates: {overrides}\nsearch: false\n")
    config = tmp_path / "site.yaml"
    content = tmp_path / "content"
    for day, records in days.items():
        write_day(content, day, records)
    first = build(load_config(config), content, tmp_path / "output", tmp_path / "state", jobs=1, progress=False)
    (overrides / "paper.html").write_text('{% extends "base.html" %}{% block main %}<h1>{{ paper.card.title_text }}'
                                          '</h1>{% endblock %}')
    report = build(load_config(config), content, tmp_path / "output", tmp_path / "state", jobs=1, progress=False)
    assert "<h1>Paper 0 on graphs</h1>" in (tmp_path / "output" / "papers" / "p0" / "index.html").read_text()
    assert report.rendered == 3 < first.rendered              # the three paper pages, nothing else


def test_nothing_changed_builds_nothing(tmp_path):
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(3)]}
    built(tmp_path, days)
    assert built(tmp_path, days).up_to_date


def test_a_day_file_changed_within_one_tick_of_the_file_clock_is_still_seen(tmp_path):
    """Day files are trusted unchanged by size and modification time; an edit that keeps both
    (same length, same clock tick) must not be mistaken for no change."""
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(3)]}
    built(tmp_path, days)
    path = next((tmp_path / "content" / "papers").glob("*/*.yaml"))
    before = path.stat()
    text = path.read_text()
    path.write_text(text.replace("Paper 1 on", "Paper 1 in"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    config = load_config(tmp_path / "site.yaml")
    report = build(config, tmp_path / "content", tmp_path / "output", tmp_path / "state", jobs=1, progress=False)
    assert not report.up_to_date
    assert "Paper 1 in diffusion" in (tmp_path / "output" / "papers" / "p1" / "index.html").read_text()


def test_a_cache_from_another_version_of_site_gen_is_ignored(tmp_path):
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(3)]}
    first = built(tmp_path, days)
    for entry in (tmp_path / "state").rglob("*.pickle"):   # as an older site-gen would have left them
        _, key, value = pickle.loads(entry.read_bytes())
        entry.write_bytes(pickle.dumps(("site-gen 0.0.1", key, value)))
    days["2024-01-01"][0]["title"] = "Changed"
    again = built(tmp_path, days)
    assert again.rendered == first.pages + first.feeds   # nothing trusted from the old cache
    assert "Changed" in (tmp_path / "output" / "papers" / "p0" / "index.html").read_text()


def test_the_state_store_reads_back_only_what_this_code_saved_with_the_same_key(tmp_path, monkeypatch):
    store = StateStore(tmp_path / "state")
    store.save("topics", {"a": 1}, key="rules 1")
    store.save("records/day-1", [1])
    store.save("records/day-2", [2])
    assert store.load("topics", key="rules 1") == {"a": 1}
    assert store.load("topics", key="rules 2") is None            # computed with other settings
    assert store.load("missing") is None
    (tmp_path / "state" / "records" / "day-2.pickle").write_bytes(b"not a pickle")
    assert store.load("records/day-2") is None                    # unreadable: as good as missing
    store.prune("records", ["records/day-1"])                     # day 2 is gone from the site
    assert store.names("records") == {"records/day-1"}
    monkeypatch.setattr(state, "__version__", "99.0")              # another site-gen
    assert store.load("topics", key="rules 1") is None and store.load("records/day-1") is None
    assert not list((tmp_path / "state").rglob("*.site-gen-tmp"))  # saved atomically, nothing left over


def test_pages_made_with_another_version_of_a_rendering_library_are_made_again(tmp_path, monkeypatch):
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(3)]}
    first = built(tmp_path, days)
    assert built(tmp_path, days).up_to_date
    installed = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda package: "99.0" if package == "markdown-it-py" else installed(package))
    library_versions.cache_clear()
    try:
        again = built(tmp_path, days)
    finally:
        library_versions.cache_clear()
    assert not again.up_to_date and again.rendered == first.pages + first.feeds


def test_papers_read_back_from_the_records_cache_share_each_author_and_category(tmp_path):
    from site_gen.content import load_content
    for day, first in (("2024-01-01", 0), ("2024-01-02", 60)):   # paper 60 + n has paper n's authors
        write_day(tmp_path / "content", day, [paper(first + n, day) for n in range(4)])
    fresh = load_content(tmp_path / "content", StateStore(tmp_path / "state"))
    cached = load_content(tmp_path / "content", StateStore(tmp_path / "state"))
    assert cached == fresh
    for papers in (fresh, cached):
        first_day, second_day = papers[:4], papers[4:]
        assert first_day[0].authors[0] == second_day[0].authors[0] == "Author 0"
        assert first_day[0].authors[0] is second_day[0].authors[0]   # one string, read from two day files
        assert first_day[1].categories[1] is second_day[1].categories[1]


def test_a_workers_copies_of_papers_are_read_back_only_while_the_cache_holds_the_builds_papers(tmp_path):
    """Forked workers render papers from their own copies (content.PaperCopies): equal to the
    build's papers, never another version of them."""
    from site_gen.content import PaperCopies, load_content, read_records
    for day, first in (("2024-01-01", 0), ("2024-01-02", 10)):
        write_day(tmp_path / "content", day, [paper(first + n, day) for n in range(3)])
    records = read_records(tmp_path / "content", StateStore(tmp_path / "state"))
    papers = records.papers
    copies = PaperCopies(records, tmp_path / "content", StateStore(tmp_path / "state"))
    for original in papers:
        copy = copies.of(original)
        assert copy == original and copy.digest == original.digest and copy is not original

    # The day is edited and read again (another build): its cache now holds the edited papers.
    write_day(tmp_path / "content", "2024-01-02", [paper(10 + n, "2024-01-02", title="Edited") for n in range(3)])
    load_content(tmp_path / "content", StateStore(tmp_path / "state"))
    copies = PaperCopies(records, tmp_path / "content", StateStore(tmp_path / "state"))
    assert [copies.of(p).title for p in papers[3:]] == [p.title for p in papers[3:]] != ["Edited"] * 3
    assert all(copies.of(p) is p for p in papers[3:])
    assert all(copies.of(p) is not p for p in papers[:3])   # the other day's cache is still the build's


def test_a_build_adding_the_newest_day_groups_only_its_papers_in_front_of_the_kept_catalog(tmp_path, monkeypatch):
    """The catalog kept between builds, counted as Hugo's rebuild tests count: a new day newer than
    the others has only its papers grouped (every file is written again each time: it is what they
    hold that counts); an older day changed, or a day put in between, has every
    paper grouped again. Each build equals a clean one, also when a newer paper spells a topic
    differently (the topic takes its spelling) or brings an author whose name slugs like another's."""
    grouped: list[tuple[int, bool]] = []   # (papers grouped, in front of a kept catalog?)
    build_catalog = kept_catalog.build_catalog

    def counted(papers, config, store=None, older=None):
        grouped.append((len(papers), older is not None))
        return build_catalog(papers, config, store, older)
    monkeypatch.setattr(kept_catalog, "build_catalog", counted)

    def grouping() -> tuple[int, bool]:
        grouped.clear()
        site.check()
        return grouped[0]   # the incremental build's (the clean one's groups every paper)
    site = Site(tmp_path / "site")
    site.days = {"2024-01-01": [paper(i, "2024-01-01", topics=["Graph Learning"]) for i in range(4)],
                 "2024-01-02": [paper(i, "2024-01-02") for i in range(4, 7)]}
    assert grouping() == (7, False)
    site.days["2024-01-03"] = [paper(7, "2024-01-03", topics=["graph learning"]), paper(8, "2024-01-03")]
    assert grouping() == (2, True)
    site.days["2024-01-04"] = [paper(9, "2024-01-04", authors=["Author-1"])]   # slugs like "Author 1"
    assert grouping() == (1, True)
    assert (site.root / "output" / "authors" / "author-1-2" / "index.html").is_file()
    site.days["2024-01-02"][0]["title"] = "Edited"
    assert grouping() == (10, False)
    site.config_text += "title: Renamed\n"    # the same papers: grouped as they were
    assert grouping() == (0, True)
    site.days["2023-12-31"] = [paper(10, "2023-12-31")]
    assert grouping() == (11, False)


def test_search_index_is_kept_right_by_incremental_builds(tmp_path):
    days = {"2024-01-01": [paper(i, "2024-01-01") for i in range(3)]}
    built(tmp_path, days, search=True)
    days["2024-01-02"] = [paper(9, "2024-01-02", title="Zebra finches sing")]
    built(tmp_path, days, search=True)
    clean = tmp_path / "clean"
    clean.mkdir()
    built(clean, days, search=True)
    assert snapshot(tmp_path / "output") == snapshot(clean / "output")
    assert os.path.islink(tmp_path / "output")


def test_builds_on_worker_processes_equal_a_build_in_one_process(tmp_path):
    """Enough papers for the build to fork workers (and let go of its own papers): a clean build,
    then a new day and an edit, each byte-identical to a one-process build of the same input."""
    site = Site(tmp_path)
    site.days = {f"2024-01-{d:02d}": [paper(n, f"2024-01-{d:02d}") for n in range(d * 100, d * 100 + 100)]
                 for d in range(1, 5)}

    def parallel_equals_one_process(step: int):
        site.save()
        config = load_config(tmp_path / "site.yaml")
        report = build(config, site.content, tmp_path / "output", tmp_path / "state", jobs=2, progress=False)
        alone = tmp_path / f"alone{step}"
        build(config, site.content, alone / "output", alone / "state", jobs=1, progress=False)
        assert snapshot(tmp_path / "output") == snapshot(alone / "output")
        return report

    first = parallel_equals_one_process(1)
    assert first.papers == 400 and first.rendered == first.pages + first.feeds
    site.days["2024-01-05"] = [paper(n, "2024-01-05") for n in range(500, 600)]
    site.days["2024-01-02"][7]["title"] = "An edited title"
    second = parallel_equals_one_process(2)
    assert second.papers == 500 and 0 < second.rendered < second.pages + second.feeds
