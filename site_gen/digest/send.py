"""Delivering messages over one SMTP connection: transient failures retried with backoff, permanent ones recorded."""
from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from enum import Enum


class Outcome(Enum):
    SENT = "sent"
    REFUSED = "refused"      # permanent (5xx): recorded, never retried
    DEFERRED = "deferred"    # transient failures outlasted the retries: left for the next run


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str            # starttls | ssl | none
    username: str | None
    password: str | None
    timeout: float = 30.0


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    detail: str = ""


def _code_of(error: Exception) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return max(codes) if codes else None
    return getattr(error, "smtp_code", None)


class SmtpSender:
    """Keeps one connection open for the run and reconnects only when the server drops it."""

    def __init__(self, settings: SmtpSettings, attempts: int = 4, backoff: float = 1.0):
        self.settings = settings
        self.attempts = attempts
        self.backoff = backoff
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            connection = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.security == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if s.username:
            connection.login(s.username, s.password or "")
        return connection

    def _drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def send(self, message: EmailMessage, sender: str, recipient: str) -> Delivery:
        detail = ""
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                if self.connection is None:
                    self.connection = self._connect()
                self.connection.send_message(message, from_addr=sender, to_addrs=[recipient])
                return Delivery(Outcome.SENT)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                code = _code_of(error) or 0
                detail = f"{code} {error}"
                self._reset()
                if 500 <= code < 600:
                    return Delivery(Outcome.REFUSED, detail)
            except OSError as error:  # dropped connection, timeout, refused connect (smtplib errors included)
                self._drop()
                detail = f"connection failed: {error}"
        return Delivery(Outcome.DEFERRED, detail)

    def _reset(self) -> None:
        """After a refused transaction, start the next one cleanly (RSET), or reconnect if that fails."""
        try:
            if self.connection is not None:
                self.connection.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None
