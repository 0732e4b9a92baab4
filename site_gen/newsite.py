"""`site-gen init`: a new site in a folder, as `hugo new site` or `mkdocs new` make one.

It writes site.yaml (every option, commented, with its default), content/ (empty, or the sample
papers), an override folder templates/ with a README, subscribers.example.yaml, .gitignore and a
GitHub Actions workflow for the daily job. It never overwrites a file unless told to.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import __version__
from .errors import SiteGenError
from .resources import SAMPLE, SCAFFOLD


@dataclass(frozen=True)
class NewFile:
    location: str          # inside the new site
    text: str


def _site_yaml(sample: bool) -> str:
    text = (SCAFFOLD / "site.yaml").read_text(encoding="utf-8")
    if not sample:
        return text
    topics = yaml.safe_load((SAMPLE / "site.yaml").read_text(encoding="utf-8"))["topics"]
    block = yaml.safe_dump({"topics": topics}, sort_keys=False, allow_unicode=True, width=100)
    return text.replace("topics: []\n", block, 1)


def _scaffold(name: str) -> str:
    return (SCAFFOLD / name).read_text(encoding="utf-8")


def new_files(sample: bool) -> list[NewFile]:
    files = [
        NewFile("site.yaml", _site_yaml(sample)),
        NewFile("templates/README.md", _scaffold("templates-README.md")),
        NewFile("subscribers.example.yaml", _scaffold("subscribers.example.yaml")),
        NewFile(".gitignore", _scaffold("gitignore")),
        NewFile(".github/workflows/daily.yml", _scaffold("daily.yml").replace("{version}", __version__)),
    ]
    if sample:
        papers = SAMPLE / "content" / "papers"
        files += [NewFile(f"content/papers/{path.relative_to(papers).as_posix()}", path.read_text(encoding="utf-8"))
                  for path in sorted(papers.glob("*/*.yaml"))]
    return files


def create_site(folder: Path, sample: bool = False, force: bool = False) -> list[Path]:
    """Write a new site into `folder`; raise SiteGenError naming every file that exists already
    (nothing is written then) unless `force`. Returns the files written."""
    files = new_files(sample)
    existing = [folder / f.location for f in files if (folder / f.location).exists()]
    if existing and not force:
        raise SiteGenError("these files exist already (nothing was written; --force overwrites them):\n"
                           + "\n".join(f"  {path}" for path in existing))
    for file in files:
        path = folder / file.location
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()   # never write through a link to somewhere else
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file.text, encoding="utf-8")
    (folder / "content" / "papers").mkdir(parents=True, exist_ok=True)
    return [folder / f.location for f in files]
