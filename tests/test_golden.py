"""Golden output: the whole build of a small fixture site, byte for byte.

After an intended change of output, regenerate with
`SITE_GEN_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py` and review the diff.
"""
from __future__ import annotations

import difflib
import os

from conftest import FIXTURES, run_cli, snapshot

SITE = FIXTURES / "golden-site"
GOLDEN = FIXTURES.parent / "golden" / "golden-site.txt"


def dump(files: dict[str, bytes]) -> str:
    return "".join(f"=== {name}\n{data.decode('utf-8')}\n" for name, data in files.items())


def test_fixture_site_matches_golden_output(tmp_path):
    output = tmp_path / "output"
    result = run_cli("build", "--config", str(SITE / "site.yaml"), "--content", str(SITE / "content"),
                     "--output", str(output), "--state", str(tmp_path / "state"))
    assert result.returncode == 0, result.stderr
    actual = dump(snapshot(output))
    if os.environ.get("SITE_GEN_UPDATE_GOLDEN"):
        GOLDEN.write_text(actual, encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "golden", "built", n=2))
        raise AssertionError("output differs from the golden copy:\n" + diff[:6000])
