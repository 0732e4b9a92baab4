"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records messages and can misbehave on cue."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    def __init__(self):
        self.messages: list[tuple[list[str], object]] = []
        # address → responses to give to RCPT TO, in turn ("drop" closes the connection); then it accepts
        self.rcpt_script: dict[str, list[str]] = {}
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        script = self.rcpt_script.get(address)
        if script:
            response = script.pop(0)
            if response == "drop":
                server.transport.close()
                return "421 closing connection"
            return response
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"

    def delivered_to(self, address: str) -> list:
        return [message for rcpts, message in self.messages if address in rcpts]


class Authenticator:
    """Accepts one user name and password (AUTH PLAIN / LOGIN)."""

    def __init__(self, username: str, password: str):
        self.username, self.password = username.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and \
            (auth_data.login, auth_data.password) == (self.username, self.password)
        return AuthResult(success=ok, handled=False)


class SmtpServer:
    """With `tls` (an SSLContext): STARTTLS is offered and required; with `implicit_tls`, the whole
    connection is TLS (port 465 style). With `credentials` (user, password), AUTH is required."""

    def __init__(self, tls=None, implicit_tls=None, credentials: tuple[str, str] | None = None):
        self.handler = RecordingHandler()
        self.port = free_port()
        options = {}
        if tls is not None:
            options.update(tls_context=tls, require_starttls=True)
        if implicit_tls is not None:
            options.update(ssl_context=implicit_tls)
        if credentials:
            options.update(authenticator=Authenticator(*credentials), auth_required=True,
                           auth_require_tls=tls is not None or implicit_tls is not None)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
