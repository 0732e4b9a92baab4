"""Each command's work under its lock: what `site-gen build`, `import`, `fetch`, `digest --send` and
`daily` run, so that a step of `daily` is exactly the command of the same name.

The locks (locks.py) make one writer at a time; an import stopped half-way is finished before
anything reads content/ (importers/journal.py).
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from . import STATE_FOLDER
from .config import SiteConfig
from .errors import SiteGenError
from .files import remove_temporaries, write_atomically
from .locks import content_lock, ledger_lock, state_lock
from .output import OutputTrees
from .state import StateStore

SERVE_STATE = Path(STATE_FOLDER) / "serve-state"   # serve's caches, apart from the production build's


def settle_content(content: Path, command: str, wait: float) -> None:
    """Finish an import that was stopped half-way before reading content/."""
    from .importers.journal import finish_interrupted_import, interrupted
    if content.is_dir() and interrupted(content):
        with content_lock(content, command, wait):
            finished = finish_interrupted_import(content)
        if finished:
            print(f"site-gen {command}: finished an interrupted import ({len(finished)} day files)", file=sys.stderr)


def build_site(config: SiteConfig, content: Path, output: Path, state: Path, wait: float,
               jobs: int | None = None, command: str = "build", check_inputs: bool = False):
    from .build import build
    settle_content(content, command, wait)
    with state_lock(state, command, wait):
        remove_temporaries(state)
        return build(config, content, output, state, jobs, check_inputs=check_inputs)


def import_captures(files: list[Path], content: Path, as_of: dt.date, fmt: str | None, dry_run: bool, wait: float):
    from .importers import run_import
    with content_lock(content, "import", wait):
        return run_import(files, content, as_of, fmt, dry_run)


def fetch_days(config: SiteConfig, content: Path, state: Path, captures: Path, days: list[dt.date],
               only: list[str] | None, missing_only: bool, dry_run: bool, wait: float):
    from .fetch import run_fetch
    with content_lock(content, "fetch", wait):
        return run_fetch(config, content, state, captures, days, only, missing_only, dry_run)


def send_digest(config: SiteConfig, content: Path, options, wait: float):
    from .digest import run_digest
    settle_content(content, "digest", wait)
    if not options.send:
        return run_digest(config, content, options)
    with ledger_lock(options.state, wait):
        return run_digest(config, content, options)


def deploy(config: SiteConfig, output: Path, state: Path, wait: float) -> str:
    """Run the `deploy:` command on the live site, once per build: a run after a deploy of the same
    tree does nothing. Raises SiteGenError when the command fails."""
    if not config.deploy:
        return "none configured (deploy: in site.yaml)"
    record = state / "deployed"
    with state_lock(state, "deploy", wait):
        live = OutputTrees(output, StateStore(state)).live_inputs()
        if live and record.is_file() and record.read_text(encoding="utf-8") == live:
            return "skipped: this build was deployed already"
        result = subprocess.run(config.deploy, shell=True,
                                env={**os.environ, "SITE_GEN_OUTPUT": str(output.resolve())})
        if result.returncode != 0:
            raise SiteGenError(f"the deploy command failed with exit status {result.returncode}: {config.deploy}")
        write_atomically(record, live.encode(), sync=True)
    return f"ran: {config.deploy}"
