"""Delivering messages over one SMTP connection.

What goes wrong is told apart by whose it is:
- the run's: the server cannot be reached, TLS fails (an untrusted certificate), login is refused,
  or the sender is refused (MAIL FROM, e.g. 530 "must issue STARTTLS first"). Nothing would reach
  anybody, so the run stops at once with one message (SmtpRunError) and no recipient is marked;
- a recipient's: the server's reply to RCPT or DATA. 5xx is permanent (recorded, never retried),
  4xx transient (retried with backoff, then left for the next run);
- the connection dropping mid-run: reconnect and retry that message.
"""
from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from enum import Enum
from pathlib import Path

from ..errors import SiteGenError


class Outcome(Enum):
    SENT = "sent"
    REFUSED = "refused"      # permanent (5xx): recorded, never retried
    DEFERRED = "deferred"    # transient failures outlasted the retries: left for the next run


class SmtpRunError(SiteGenError):
    """The server cannot take mail from this run at all; no recipient is to blame."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str            # starttls | ssl | none
    username: str | None
    password: str | None
    ca_file: Path | None = None   # trust this CA (a private one) instead of the system's
    timeout: float = 30.0

    def tls_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        except (OSError, ssl.SSLError) as error:
            raise SmtpRunError(f"email.tls_ca_file {self.ca_file}: cannot be read as PEM certificates: {error}") from None


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    detail: str = ""


def _code_of(error: Exception) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return max(codes) if codes else None
    return getattr(error, "smtp_code", None)


def _reply(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
    return f"{error.smtp_code} {text}"


class SmtpSender:
    """Keeps one connection open for the run and reconnects only when the server drops it."""

    def __init__(self, settings: SmtpSettings, attempts: int = 4, backoff: float = 1.0):
        self.settings = settings
        self.attempts = attempts
        self.backoff = backoff
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        """A logged-in connection, or SmtpRunError saying why there is none."""
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            if s.security == "ssl":
                connection = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=s.tls_context())
            else:
                connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    connection.starttls(context=s.tls_context())
            if s.username:
                connection.login(s.username, s.password or "")
            return connection
        except ssl.SSLCertVerificationError as error:
            raise SmtpRunError(f"SMTP server {where}: its TLS certificate is not trusted ({error.verify_message}); "
                               "if it is signed by a private CA, set email.tls_ca_file") from None
        except smtplib.SMTPAuthenticationError as error:
            raise SmtpRunError(f"SMTP server {where} refused the login of {s.username!r} ({_reply(error)}): "
                               "check email.username and SITE_GEN_SMTP_PASSWORD") from None
        except smtplib.SMTPNotSupportedError as error:
            raise SmtpRunError(f"SMTP server {where}: {error} (check email.security)") from None
        except smtplib.SMTPResponseException as error:
            raise SmtpRunError(f"SMTP server {where} refused the session: {_reply(error)}") from None
        except (ssl.SSLError, smtplib.SMTPException, OSError) as error:
            raise SmtpRunError(f"cannot reach the SMTP server {where}: {error}") from None

    def _drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def send(self, message: EmailMessage, sender: str, recipient: str) -> Delivery:
        """The recipient's outcome; raises SmtpRunError when the run cannot go on."""
        detail = ""
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            if self.connection is None:
                self.connection = self._connect()
            try:
                self.connection.send_message(message, from_addr=sender, to_addrs=[recipient])
                return Delivery(Outcome.SENT)
            except smtplib.SMTPSenderRefused as error:
                if not 400 <= error.smtp_code < 500:
                    raise SmtpRunError(f"SMTP server {self.settings.host}:{self.settings.port} refused the sender "
                                       f"{sender}: {_reply(error)} (check email.from and email.security)") from None
                detail = _reply(error)
                self._reset()
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                code = _code_of(error) or 0
                detail = f"{code} {error}"
                self._reset()
                if 500 <= code < 600:
                    return Delivery(Outcome.REFUSED, detail)
            except OSError as error:  # a dropped connection or a timeout (smtplib's errors included)
                self._drop()
                detail = f"connection lost: {error}"
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
