"""`site-gen fetch`: the day's papers straight from the sources configured in site.yaml.

For each day and source: ask (http.py), save every answer unchanged under captures/YYYY-MM-DD/
(the operator's audit trail, which `site-gen import` can read again), judge it (sources.py), and
import what it holds through the same importers as a capture saved by hand. A malformed answer is
kept as NAME.rejected and nothing of it is imported; a source that fails does not stop the others.
fetch-log.json in the state folder remembers which (source, day) pairs were fetched completely.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..config import SiteConfig
from ..errors import SiteGenError, ValidationError
from ..files import write_atomically
from ..importers import run_import
from .http import FetchFailed, Fetched, PoliteClient
from .log import FetchLog
from .sources import KINDS, Judgement, Malformed, Source, Verdict


@dataclass(frozen=True)
class Outcome:
    day: dt.date
    source: str
    status: str          # imported | no papers announced | unchanged | skipped | FAILED
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "FAILED"

    def __str__(self) -> str:
        return f"{self.day} {self.source}: {self.status}" + (f": {self.detail}" if self.detail else "")


@dataclass
class FetchReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(o.failed for o in self.outcomes)

    def summary(self) -> str:
        counts = Counter(o.status for o in self.outcomes)
        return ", ".join(f"{n} {status}" for status, n in counts.items()) or "nothing to fetch"


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


class Fetcher:
    def __init__(self, config: SiteConfig, content: Path, state: Path, captures: Path, dry_run: bool = False):
        self.content, self.dry_run = content, dry_run
        self.captures = Path(tempfile.mkdtemp(prefix="site-gen-dry-run-")) if dry_run else captures
        self.log = FetchLog(state)
        self.client = PoliteClient(config.fetch, config.base_url)
        # this run's answers by URL: a feed asked for several days is fetched once
        self.answers: dict[str, tuple[Fetched, str | None]] = {}

    def run(self, sources: dict[str, Source], days: list[dt.date], missing_only: bool) -> FetchReport:
        report = FetchReport()
        try:
            for day in days:
                for name, source in sources.items():
                    if not (missing_only and self.log.is_complete(name, day)):
                        report.outcomes.append(self.fetch(source, day))
                        if not self.dry_run:
                            self.log.save()      # after each source: a run stopped half-way keeps what it did
        finally:
            self.client.close()
            if self.dry_run:
                shutil.rmtree(self.captures, ignore_errors=True)
        return report

    def _get(self, url: str) -> tuple[Fetched, str | None]:
        """The answer, and the day that the validators sent with it were remembered for."""
        if url not in self.answers:
            validators, for_day = self.log.validators(url)
            self.answers[url] = (self.client.get(url, validators), for_day)
        return self.answers[url]

    def fetch(self, source: Source, day: dt.date) -> Outcome:
        folder = self.captures / day.isoformat()
        request, saved, answers = source.first(day), [], []
        while request is not None:
            try:
                fetched, for_day = self._get(request.url)
            except FetchFailed as error:
                return Outcome(day, source.name, "FAILED", str(error))
            if fetched.body is None:   # 304: the same as what was fetched for `for_day`
                if for_day == day.isoformat():
                    return self._done(source, day, "unchanged", "the same as last fetched (HTTP 304)")
                return Outcome(day, source.name, "FAILED", f"stale: unchanged since it was fetched for {for_day}")
            path = folder / request.name
            write_atomically(path, fetched.body)
            try:
                judgement: Judgement = source.judge(day, request, fetched.body)
            except Malformed as error:
                return Outcome(day, source.name, "FAILED", f"{request.url}: {error}; kept as {self._reject(path)}")
            if judgement.verdict is Verdict.OTHER_DAY:
                path.unlink()
                return Outcome(day, source.name, "skipped", judgement.detail)
            if judgement.verdict is Verdict.STALE:
                return Outcome(day, source.name, "FAILED", f"stale: {judgement.detail}; kept as {self._reject(path)}")
            answers.append((request.url, fetched))
            if judgement.verdict is Verdict.QUIET:
                return self._done(source, day, Verdict.QUIET.value, judgement.detail, answers)
            saved.append(path)
            request = judgement.next
        return self._import(source, day, saved, answers)

    def _import(self, source: Source, day: dt.date, saved: list[Path], answers: list) -> Outcome:
        try:
            result = run_import(saved, self.content, day, source.format, self.dry_run)
        except ValidationError as error:
            named = {problem.file for problem in error.problems}
            kept = [self._reject(path) for path in saved if str(path) in named]
            return Outcome(day, source.name, "FAILED", f"{error}\nnothing of it was imported; kept as "
                                                       + ", ".join(map(str, kept)))
        counts = sum((summary.counts for summary in result.summaries), start=Counter())
        detail = ", ".join(f"{counts[k]} {k}" for k in ("new", "updated", "unchanged", "skipped") if counts[k])
        return self._done(source, day, "imported", detail, answers)

    def _done(self, source: Source, day: dt.date, status: str, detail: str, answers: list = ()) -> Outcome:
        if not self.dry_run:
            self.log.mark_complete(source.name, day)
            for url, fetched in answers:
                self.log.remember(url, fetched.validators, day)
        return Outcome(day, source.name, status, detail)

    @staticmethod
    def _reject(path: Path) -> Path:
        rejected = path.with_name(path.name + ".rejected")
        os.replace(path, rejected)
        return rejected


def run_fetch(config: SiteConfig, content: Path, state: Path, captures: Path, days: list[dt.date],
              only: list[str] | None = None, missing_only: bool = False, dry_run: bool = False) -> FetchReport:
    """Fetch these days from the configured sources (or those `only` names). The caller holds the content lock."""
    unknown = sorted(set(only or ()) - set(config.sources))
    if unknown:
        raise SiteGenError(f"no source {', '.join(unknown)} in {config.source} (configured: "
                           f"{', '.join(config.sources) or 'none'})")
    if not config.sources:
        raise SiteGenError(f"no sources in {config.source}: add a `sources:` section (see site.yaml's comments)")
    sources = {name: KINDS[name](settings) for name, settings in config.sources.items() if not only or name in only}
    return Fetcher(config, content, state, captures, dry_run).run(sources, days, missing_only)
