"""`site-gen daily`: the day's whole job — fetch → build → deploy → digest --send — each step only
when the one before succeeded, one summary line per step, and a last line naming the step that
failed. Every step is the command of the same name (operations.py) and idempotent, so running it
again after any failure, or twice, fetches nothing new, rebuilds nothing and sends nothing twice."""
from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .config import SiteConfig
from .errors import SiteGenError, describe_os_error
from .operations import build_site, deploy, fetch_days, send_digest


@dataclass(frozen=True)
class DailyOptions:
    day: dt.date
    content: Path
    output: Path
    state: Path
    captures: Path
    subscribers: Path
    wait: float


def _fetch(config: SiteConfig, o: DailyOptions) -> tuple[bool, str]:
    report = fetch_days(config, o.content, o.state, o.captures, [o.day], None, False, False, o.wait)
    return report.ok, "\n  ".join(str(outcome) for outcome in report.outcomes)


def _build(config: SiteConfig, o: DailyOptions) -> tuple[bool, str]:
    return True, str(build_site(config, o.content, o.output, o.state, o.wait))


def _deploy(config: SiteConfig, o: DailyOptions) -> tuple[bool, str]:
    return True, deploy(config, o.output, o.state, o.wait)


def _digest(config: SiteConfig, o: DailyOptions) -> tuple[bool, str]:
    from .digest import DigestOptions
    if not o.subscribers.is_file():
        return True, f"skipped: no {o.subscribers}"
    options = DigestOptions(day=o.day, subscribers=o.subscribers, send=True, state=o.state,
                            out=o.output / "digests" / o.day.isoformat())
    report = send_digest(config, o.content, options, o.wait)
    return report.ok, "\n  ".join(report.lines())


STEPS: list[tuple[str, Callable[[SiteConfig, DailyOptions], tuple[bool, str]]]] = [
    ("fetch", _fetch), ("build", _build), ("deploy", _deploy), ("digest", _digest)]


def run_daily(config: SiteConfig, options: DailyOptions, say: Callable[[str], None] = print) -> bool:
    """Run the steps in order, stopping at the first that fails; True when all succeeded."""
    for name, step in STEPS:
        try:
            ok, summary = step(config, options)
        except SiteGenError as error:
            ok, summary = False, f"error: {error}"
        except (OSError, sqlite3.Error) as error:
            ok, summary = False, f"error: {describe_os_error(error, name)}"
        say(f"{name}: {summary}")
        if not ok:
            say(f"daily {options.day}: failed at {name}; fix that and run it again (nothing done is done twice)")
            return False
    say(f"daily {options.day}: done")
    return True
