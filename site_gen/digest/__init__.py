"""`site-gen digest`: the day's papers by email, exactly once per subscriber.

Without --send it writes one .eml per subscriber; with --send it delivers over SMTP and
keeps a ledger so that a re-run sends only what is missing.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..config import SiteConfig
from ..errors import Problem, SiteGenError, ValidationError
from ..files import write_atomically
from ..records import day_file_path, read_day_file
from ..state import StateStore
from .compose import DigestComposer, day_papers, message_id, papers_for
from ..content import load_content
from .ledger import Ledger
from .library import PaperIndex, load_library
from .personal import Pick, Ranker
from .send import Outcome, SmtpRunError, SmtpSender, SmtpSettings
from .subscribers import Subscriber, load_subscribers

PASSWORD_VARIABLE = "SITE_GEN_SMTP_PASSWORD"
SECRET_VARIABLE = "SITE_GEN_UNSUBSCRIBE_SECRET"


@dataclass
class DigestReport:
    sent: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    unconfirmed: list[tuple[str, str]] = field(default_factory=list)   # (email, when an earlier run claimed it)
    stopped: str | None = None        # why the run stopped before every subscriber was dealt with

    @property
    def ok(self) -> bool:
        return not self.refused and not self.deferred and not self.unconfirmed and not self.stopped

    def lines(self) -> list[str]:
        lines = [f"sent {len(self.sent)}, written {len(self.written)}, already sent {len(self.already_sent)}, "
                 f"skipped (no matching papers) {len(self.empty)}, refused {len(self.refused)}, "
                 f"deferred {len(self.deferred)}"]
        lines += [f"refused (permanent, not retried): {email}: {detail}" for email, detail in self.refused]
        lines += [f"deferred (will be retried next run): {email}: {detail}" for email, detail in self.deferred]
        lines += [f"unconfirmed (a run stopped while sending it at {when}; it may have arrived): {email}; "
                  "--resend-unconfirmed sends it again" for email, when in self.unconfirmed]
        if self.stopped:
            lines.append(f"stopped: {self.stopped}; nobody else was marked: run the same command again once "
                         "that is fixed, and it sends only what is missing")
        return lines


@dataclass(frozen=True)
class DigestOptions:
    day: dt.date
    subscribers: Path
    send: bool
    out: Path
    state: Path
    smtp_host: str | None = None
    smtp_port: int | None = None
    retries: int = 4
    backoff: float = 1.0
    resend_unconfirmed: bool = False


def _secret(subscribers: list[Subscriber], sending: bool) -> str:
    secret = os.environ.get(SECRET_VARIABLE, "")
    if not secret and sending and any(s.token is None for s in subscribers):
        raise SiteGenError(f"set {SECRET_VARIABLE} (it makes the unsubscribe tokens unguessable), "
                           "or give every subscriber a `token`")
    return secret


def _load_day(content: Path, day: dt.date):
    path = day_file_path(content, day)
    if not path.is_file():
        return []
    problems: list[Problem] = []
    papers = read_day_file(path, problems)
    if problems:
        raise ValidationError(problems, "invalid records")
    return papers


def run_digest(config: SiteConfig, content: Path, options: DigestOptions) -> DigestReport:
    subscribers = load_subscribers(options.subscribers)
    composer = DigestComposer(config, _secret(subscribers, options.send))
    papers = day_papers(options.day, _load_day(content, options.day), config)
    personal = PersonalDigest(papers.papers, config, content, options.state, subscribers)
    report = DigestReport()
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ledger = Ledger(options.state) if options.send else None
    sender = SmtpSender(SmtpSettings(
        host=options.smtp_host or config.email.host, port=options.smtp_port or config.email.port,
        security=config.email.security, username=config.email.username,
        password=os.environ.get(PASSWORD_VARIABLE), ca_file=config.email.tls_ca_file),
        options.retries, options.backoff) if options.send else None
    unconfirmed = ledger.unconfirmed(options.day) if ledger else {}
    try:
        for subscriber in tqdm(subscribers, unit="subscriber", disable=not sys.stderr.isatty(), leave=False):
            earlier = ledger.status(options.day, subscriber.email) if ledger else None
            if earlier and earlier[0] == "sent":
                report.already_sent.append(subscriber.email)
                continue
            if earlier:
                report.refused.append((subscriber.email, f"refused in an earlier run: {earlier[1]}"))
                continue
            chosen = papers_for(subscriber, papers)
            for_you = personal.picks(subscriber) if subscriber.library else []
            if subscriber.library:   # the For-you section first; the rest by the filters (none without)
                picked = {pick.paper.id for pick in for_you}
                chosen = [p for p in chosen if p.id not in picked] if subscriber.has_filters else []
            if not chosen and not for_you and not config.email.send_empty:
                report.empty.append(subscriber.email)
                continue
            message = composer.compose(subscriber, options.day, chosen, now, for_you)
            if sender is None:
                report.written.append(_write_eml(options.out, options.day, subscriber, message))
                continue
            claimed_before = unconfirmed.get(subscriber.email.lower())
            if claimed_before and not options.resend_unconfirmed:
                report.unconfirmed.append((subscriber.email, claimed_before))
                continue
            if not ledger.claim(options.day, subscriber.email, retake=bool(claimed_before)):
                report.already_sent.append(subscriber.email)   # another run is sending it
                continue
            try:
                delivery = sender.send(message, config.email.sender, subscriber.email)
            except SmtpRunError as error:
                ledger.release(options.day, subscriber.email)
                report.stopped = str(error)
                break
            if delivery.outcome is Outcome.SENT:
                ledger.record(options.day, subscriber.email, "sent", message["Message-ID"])
                report.sent.append(subscriber.email)
            elif delivery.outcome is Outcome.REFUSED:
                ledger.record(options.day, subscriber.email, "refused", message["Message-ID"], delivery.detail)
                report.refused.append((subscriber.email, delivery.detail))
            else:
                ledger.release(options.day, subscriber.email)
                report.deferred.append((subscriber.email, delivery.detail))
    finally:
        if sender:
            sender.close()
        if ledger:
            ledger.close()
    return report


class PersonalDigest:
    """The For-you picks of subscribers with a library. The day's papers are weighted once; libraries
    are matched against every paper of content/, which is read only when some subscriber has a library."""

    def __init__(self, papers: list, config: SiteConfig, content: Path, state: Path, subscribers: list[Subscriber]):
        self.store = StateStore(state)
        self.ranker = Ranker(papers, config.personal, self.store) if any(s.library for s in subscribers) else None
        self.index = PaperIndex(load_content(content)) if self.ranker else None

    def picks(self, subscriber: Subscriber) -> list[Pick]:
        library = load_library(subscriber.library, subscriber.given, self.index, self.store)
        return self.ranker.picks(subscriber, library)


def _write_eml(out: Path, day: dt.date, subscriber: Subscriber, message) -> Path:
    path = out / (message_id(day, subscriber, "x").split("@")[0].strip("<") + ".eml")
    write_atomically(path, bytes(message))
    return path
