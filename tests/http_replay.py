"""A real HTTP server on 127.0.0.1 that answers each path from a script, in turn, and records what
it was asked: the sources' answers in their real formats, and the faults of real servers (429 with
Retry-After, 503, a reset connection, an answer slower than the timeout, one cut short)."""
from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None      # "reset": close with RST; "slow": wait `delay` first; "cut": send half, close
    delay: float = 0.0

    @classmethod
    def reset(cls) -> "Reply":
        return cls(fault="reset")

    @classmethod
    def slow(cls, delay: float, body: bytes) -> "Reply":
        return cls(body=body, fault="slow", delay=delay)

    @classmethod
    def cut(cls, body: bytes) -> "Reply":
        return cls(body=body, fault="cut")


@dataclass
class Asked:
    path: str
    headers: dict[str, str]
    at: float


class ReplayServer:
    def __init__(self):
        self.scripts: dict[str, list[Reply]] = {}
        self.asked: list[Asked] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, prefix: str, *replies: Reply) -> None:
        """Answer requests whose path starts with `prefix` with these replies in turn; the last repeats."""
        self.scripts[prefix] = list(replies)

    def asked_for(self, prefix: str) -> list[Asked]:
        return [a for a in self.asked if a.path.startswith(prefix)]

    def _next(self, path: str) -> Reply | None:
        with self.lock:
            matches = [p for p in self.scripts if path.startswith(p)]
            if not matches:
                return None
            replies = self.scripts[max(matches, key=len)]
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _handler(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                replay.asked.append(Asked(self.path, dict(self.headers), time.monotonic()))
                reply = replay._next(self.path) or Reply(404, b"not found")
                if reply.fault == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                if reply.fault == "slow":
                    time.sleep(reply.delay)
                etag = reply.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                body = reply.body[:len(reply.body) // 2] if reply.fault == "cut" else reply.body
                try:
                    self.wfile.write(body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if reply.fault == "cut":
                    self.close_connection = True

        return Handler

    def __enter__(self) -> "ReplayServer":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
