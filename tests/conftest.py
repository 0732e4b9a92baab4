from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = FIXTURES / "captures"   # real captured listings (docs/captures.md)


def write_day(content: Path, day: str, records: list[dict]) -> Path:
    """Write a day file by hand, as a person with an editor would."""
    path = content / "papers" / day[:4] / f"{day}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    for record in records:
        record.setdefault("date", day)
    path.write_text(yaml.safe_dump(records, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "site_gen", *args], cwd=cwd or REPO,
                          capture_output=True, text=True, env=env)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def site(tmp_path: Path):
    """A scratch site: content/, site.yaml, output/ under tmp_path."""
    class Site:
        root = tmp_path
        content = tmp_path / "content"
        output = tmp_path / "output"
        config = tmp_path / "site.yaml"

        def day(self, day: str, records: list[dict]) -> Path:
            return write_day(self.content, day, records)

        def configure(self, text: str) -> None:
            self.config.write_text(text, encoding="utf-8")

        def build(self, *extra: str) -> subprocess.CompletedProcess:
            args = ["build", "--content", str(self.content), "--output", str(self.output)]
            if self.config.exists():
                args += ["--config", str(self.config)]
            return run_cli(*args, *extra, cwd=self.root)

        def read(self, location: str) -> str:
            return (self.output / location).read_text(encoding="utf-8")

    Site.content.mkdir()
    return Site()


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The repository's sample site (site.yaml + content/), built once."""
    output = tmp_path_factory.mktemp("sample") / "output"
    result = run_cli("build", "--config", str(REPO / "site.yaml"), "--content", str(REPO / "content"),
                     "--output", str(output))
    assert result.returncode == 0, result.stderr
    return output
