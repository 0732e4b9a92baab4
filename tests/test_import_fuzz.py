"""Random and mutated captures: the importer imports them or raises its own clear error, never anything else."""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, SEEDS
from site_gen.errors import ValidationError
from site_gen.importers import run_import

SAMPLES = [p.read_bytes()[:6000] for p in sorted(SEEDS.glob("*.txt"))] + \
          [p.read_bytes() for p in sorted(FIXTURES.glob("*.json")) + sorted(FIXTURES.glob("*.xml"))]


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["cut", "delete", "insert", "flip", "dup-line"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "cut":
            del data[at:]
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 200))]
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from([b"\n", b"\n\n", b"\xc2\xb7\n", b"  \xe2\x80\xa2 3 authors\n", b"<", b"{",
                                                b"Code", b", et al.", b"Feb 30", b"\x00", b"]]>", b"\xff", b"$\\frac{"]))
        elif kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        else:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def try_import(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        capture = Path(folder) / "capture"
        capture.write_bytes(data)
        try:
            run_import([capture], Path(folder) / "content", dt.date(2025, 6, 1))
        except ValidationError as exc:
            assert exc.problems and all(str(capture) in str(p) for p in exc.problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_captures_import_or_fail_clearly(data):
    try_import(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_random_bytes_import_or_fail_clearly(data):
    try_import(data)
