"""site-gen as people install it: a wheel in a fresh venv, `init`, `check`, `--version`."""
from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import REPO, run_cli
from site_gen import __version__
from site_gen.config import EmailConfig, FetchConfig, PersonalConfig, SiteConfig, SourceConfig


def run(*args, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """A command as a user runs it: no PYTHONPATH, from a folder outside the repository."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env)
    if check:
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, REPO, cwd=dist)
    return next(dist.glob("site_gen-*.whl"))


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv (no system site-packages, so not the repository's editable install) with the wheel."""
    root = tmp_path_factory.mktemp("venv") / "env"
    run(sys.executable, "-m", "venv", root, cwd=root.parent)
    run(root / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel, cwd=root.parent)
    return root / "bin"


def test_the_wheel_holds_the_templates_and_sample_and_no_tests(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("site_gen/templates/base.html", "site_gen/templates/email/digest.html",
                   "site_gen/templates/static/style.css", "site_gen/sample/site.yaml",
                   "site_gen/scaffold/daily.yml", "site_gen/scaffold/site.yaml"):
        assert needed in names
    templates = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "templates").rglob("*") if p.is_file())
    assert sorted(n.removeprefix("site_gen/") for n in names if n.startswith("site_gen/templates/")) == templates
    sample_days = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "content" / "papers").glob("*/*.yaml"))
    assert sorted(n.removeprefix("site_gen/sample/") for n in names if n.startswith("site_gen/sample/content/")) \
        == sample_days
    assert not [n for n in names if re.match(r"(tests|bench|output|docs)/", n) or "/tests/" in n]


def test_the_sdist_holds_no_tests_or_benchmarks(tmp_path):
    run(sys.executable, "-m", "build", "--sdist", "-o", tmp_path, REPO, cwd=tmp_path)
    with tarfile.open(next(tmp_path.glob("site_gen-*.tar.gz"))) as sdist:
        names = [name.split("/", 1)[1] for name in sdist.getnames() if "/" in name]
    assert "templates/base.html" in names and "site_gen/cli.py" in names
    assert not [n for n in names if n.split("/")[0] in ("tests", "bench", "scripts", "output", "node_modules")]


def test_the_installed_wheel_starts_checks_builds_and_mails_a_site(venv, tmp_path):
    where = run(venv / "python", "-c", "import sys, site_gen.resources as r; print(r.TEMPLATES); print(sys.path)",
                cwd=tmp_path).stdout
    assert where.splitlines()[0].startswith(str(venv.parent)), where
    assert str(REPO) not in where
    assert run(venv / "site-gen", "--version", cwd=tmp_path).stdout.strip() == f"site-gen {__version__}"

    run(venv / "site-gen", "init", "mysite", "--sample", cwd=tmp_path)
    site = tmp_path / "mysite"
    assert "no problems" in run(venv / "site-gen", "check", cwd=site).stdout
    built = run(venv / "site-gen", "build", cwd=site)
    assert "the site is in output/" in built.stdout
    some_paper = yaml.safe_load(next((site / "content" / "papers").glob("*/*.yaml")).read_text())[0]
    assert (site / "output" / "papers" / some_paper["id"] / "index.html").is_file()
    assert (site / "output" / "pagefind").is_dir()            # search works from the wheel's Pagefind
    assert "Diffusion models" in (site / "output" / "topics" / "index.html").read_text()

    day = some_paper["date"]
    run(venv / "site-gen", "digest", "--day", str(day), "--subscribers", "subscribers.example.yaml", cwd=site)
    messages = list((site / "output" / "digests" / str(day)).glob("*.eml"))
    assert [m for m in messages if "To: Ada Lovelace <ada@example.org>" in m.read_text()]   # she has no filters
    assert all("multipart/alternative" in m.read_text() for m in messages)


def test_init_never_overwrites_without_force(tmp_path):
    assert run_cli("init", str(tmp_path / "s")).returncode == 0
    site_yaml = tmp_path / "s" / "site.yaml"
    site_yaml.write_text("title: Mine\n")
    again = run_cli("init", str(tmp_path / "s"), "--sample")
    assert again.returncode == 1
    for name in ("site.yaml", ".gitignore", "templates/README.md", ".github/workflows/daily.yml"):
        assert str(tmp_path / "s" / name) in again.stderr
    assert site_yaml.read_text() == "title: Mine\n"
    assert not list((tmp_path / "s" / "content" / "papers").iterdir())   # nothing of the sample either
    assert "Traceback" not in again.stderr
    assert run_cli("init", str(tmp_path / "s"), "--sample", "--force").returncode == 0
    assert "title: Mine" not in site_yaml.read_text()
    assert list((tmp_path / "s" / "content" / "papers").glob("*/*.yaml"))


def _documented_keys(text: str) -> set[str]:
    """Keys named in site.yaml, set or commented out (`# reply_to: …` documents reply_to)."""
    return set(re.findall(r"^\s*#?\s*([a-z_]+):", text, re.MULTILINE))


def test_a_new_site_yaml_lists_every_option_and_loads_as_the_defaults(tmp_path):
    assert run_cli("init", str(tmp_path)).returncode == 0
    text = (tmp_path / "site.yaml").read_text()
    options = {f.name for f in dataclasses.fields(SiteConfig)} - {"source"}
    email = {"from" if f.name == "sender" else f.name for f in dataclasses.fields(EmailConfig)}
    nested = {f.name for kind in (FetchConfig, SourceConfig, PersonalConfig) for f in dataclasses.fields(kind)}
    assert options | email | nested <= _documented_keys(text), (options | email | nested) - _documented_keys(text)
    from site_gen.config import load_config
    config = load_config(tmp_path / "site.yaml")
    defaults = SiteConfig()
    for name in options - {"templates", "email", "sources"}:   # every other option is set to its default
        assert getattr(config, name) == getattr(defaults, name), name
    assert config.templates == (tmp_path / "templates").resolve()


def test_the_workflow_passes_actionlint_and_a_broken_one_does_not(tmp_path):
    assert run_cli("init", str(tmp_path)).returncode == 0
    workflow = tmp_path / ".github" / "workflows" / "daily.yml"
    linter = shutil.which("actionlint")
    assert linter, "actionlint is a test dependency (see pyproject.toml)"
    result = subprocess.run([linter, "-no-color", str(workflow)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"site-gen=={__version__}" in workflow.read_text()
    workflow.write_text(workflow.read_text().replace("runs-on:", "runs_on:"))
    broken = subprocess.run([linter, "-no-color", str(workflow)], capture_output=True, text=True, cwd=tmp_path)
    assert broken.returncode == 1 and "runs_on" in broken.stdout


def test_check_reports_a_bad_record_subscriber_and_template_with_file_and_line(site):
    site.configure("title: T\ntemplates: overrides\n")
    (site.root / "overrides").mkdir()
    (site.root / "overrides" / "card.html").write_text("<p>\n{% if card.title %}\n{{ card.title }\n")
    day = site.day("2024-01-01", [{"id": "ok", "title": "Fine"}, {"id": "bad", "title": ""}])
    subscribers = site.root / "subscribers.yaml"
    subscribers.write_text("- email: ann@example.org\n- email: not an address\n")
    result = run_cli("check", "--config", str(site.config), "--content", str(site.content),
                     "--subscribers", str(subscribers), cwd=site.root)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith(f"{day}:5: title: ") for line in lines), lines
    assert any(line.startswith(f"{subscribers}:2: [1].email: expected one plain email address") for line in lines)
    assert any(line.startswith(f"{site.root / 'overrides' / 'card.html'}:3: template syntax: ") for line in lines)
    assert "Traceback" not in result.stderr
    assert not site.output.exists()


def test_check_passes_on_the_repository_sample():
    result = run_cli("check", "--config", "site.yaml", "--content", "content", "--subscribers", "subscribers.yaml")
    assert result.returncode == 0, result.stderr
    assert re.search(r"no problems: site\.yaml, \d+ records in \d+ day files, 3 subscribers", result.stdout)
