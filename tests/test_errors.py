"""Bad input gets `file:line: field: expected` errors, and output/ is never half-changed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import REPO, snapshot


def leftovers(site) -> list[str]:
    """Anything a build left beside output/ other than its two trees."""
    trees = {".output.site-gen-a", ".output.site-gen-b"}
    return [p.name for p in site.root.iterdir() if p.name.startswith(".output") and p.name not in trees]


def test_invalid_records_are_all_reported_with_file_line_and_field(site):
    path = site.content / "papers" / "2024" / "2024-01-01.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(
        "- id: good\n"
        "  title: Fine\n"
        "  date: 2024-01-01\n"
        "- id: bad id!\n"          # line 4
        "  title: Broken\n"
        "  date: 2024-01-01\n"
        "  autors: [A]\n"           # line 7: a typo must not be dropped
        "  upvotes: -3\n"           # line 8
        "- title: No id\n"          # line 9
        "  date: 2024-01-02\n"      # line 10: wrong day for this file
        "  links: {code: true}\n",  # line 11
        encoding="utf-8")
    result = site.build()
    assert result.returncode == 1
    err = result.stderr
    for expected in (f"{path}:4: id: expected an id", f"{path}:7: autors: unknown field",
                     f"{path}:8: upvotes: expected a whole number", f"{path}:9: id: required field is missing",
                     f"{path}:11: links: expected an absolute http(s) URL for 'code'"):
        assert expected in err, (expected, err)
    assert "Traceback" not in err


def test_a_record_on_the_wrong_day_and_duplicate_ids_across_files(site):
    first = site.day("2024-01-01", [{"id": "same", "title": "One"}])
    second = site.day("2024-01-02", [{"id": "same", "title": "Two"}, {"id": "other", "title": "X", "date": "2024-01-05"}])
    result = site.build()
    assert result.returncode == 1
    assert f"{second}:1: id: 'same' is already used at {first}:1" in result.stderr
    assert f"{second}:6: date: expected 2024-01-02 (the file's day), got 2024-01-05" in result.stderr


def test_numeric_looking_ids_and_titles_stay_text(site):
    path = site.content / "papers" / "2024" / "2024-01-01.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("- id: '2310.10000'\n  title: 'yes'\n  date: 2024-01-01\n", encoding="utf-8")
    assert site.build().returncode == 0
    assert "yes" in site.read("papers/2310.10000/index.html")


def test_invalid_yaml_names_the_line(site):
    path = site.content / "papers" / "2024" / "2024-01-01.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("- id: a\n  title: [unclosed\n  date: 2024-01-01\n", encoding="utf-8")
    result = site.build()
    assert result.returncode == 1 and f"{path}:" in result.stderr and "invalid YAML" in result.stderr


def test_bad_config_lists_every_problem_with_its_key(site):
    site.configure("title: ''\nbase_url: example.org\nper_page: 0\nfeed_itms: 3\n"
                   "topics:\n  - slug: x\n    keywords: nope\n")
    site.day("2024-01-01", [{"id": "a", "title": "A"}])
    result = site.build()
    assert result.returncode == 1
    for expected in (":1: title: expected a non-empty string", ":2: base_url: expected an absolute http(s) URL",
                     ":3: per_page: expected a whole number ≥ 1", ":4: feed_itms: unknown key",
                     ":7: topics[0].keywords: expected a list", "topics[0].name: required key is missing"):
        assert expected in result.stderr, (expected, result.stderr)


def test_failed_build_leaves_previous_output_untouched(site):
    site.day("2024-01-01", [{"id": "a", "title": "A"}])
    assert site.build().returncode == 0
    before = snapshot(site.output)
    site.day("2024-01-02", [{"id": "b", "title": "B", "upvotes": "many"}])
    assert site.build().returncode == 1
    assert snapshot(site.output) == before
    assert leftovers(site) == []


def test_template_error_mid_build_leaves_previous_output_untouched(site, tmp_path):
    site.day("2024-01-01", [{"id": "a", "title": "A"}])
    assert site.build().returncode == 0
    before = snapshot(site.output)
    overrides = tmp_path / "broken"
    overrides.mkdir()
    (overrides / "paper.html").write_text("{{ paper.no_such_field.deeper }}")
    site.configure(f"templates: {overrides}\n")
    result = site.build()
    assert result.returncode != 0
    assert snapshot(site.output) == before


def test_killed_build_leaves_previous_output_and_the_next_build_cleans_up(site):
    site.day("2024-01-01", [{"id": f"p{i}", "title": f"Paper {i}", "abstract": "x " * 500} for i in range(300)])
    assert site.build().returncode == 0
    before = snapshot(site.output)
    site.day("2024-01-02", [{"id": "new", "title": "New"}])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "site_gen", "build", "--content", str(site.content),
                                "--output", str(site.output)], cwd=site.root, env=env)
    deadline = time.time() + 30
    while not (site.root / ".output.site-gen-b" / "papers").is_dir():
        assert time.time() < deadline and process.poll() is None, "build finished before it could be killed"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert snapshot(site.output) == before
    assert site.build().returncode == 0
    assert (site.output / "papers" / "new" / "index.html").is_file()
    assert leftovers(site) == []


def test_ids_that_would_escape_output_are_rejected(site):
    path = site.content / "papers" / "2024" / "2024-01-01.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("- id: ../../etc\n  title: X\n  date: 2024-01-01\n- id: .hidden\n  title: Y\n  date: 2024-01-01\n")
    result = site.build()
    assert result.returncode == 1
    assert f"{path}:1: id:" in result.stderr and f"{path}:4: id:" in result.stderr
    assert not (site.root / "etc").exists()


def test_unsafe_locations_are_refused_by_the_writer():
    import pytest
    from site_gen.urls import Urls
    for location in ("../x/", "/etc/passwd", "a/../../b"):
        with pytest.raises(ValueError):
            Urls.file_for(location)
    assert Urls.file_for("papers/a.b/") == "papers/a.b/index.html"
