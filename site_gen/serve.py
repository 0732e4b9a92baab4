"""`site-gen serve`: build, serve on 127.0.0.1, rebuild on change and reload open pages.

The live-reload script is added to HTML responses as they are served, so it never reaches a
normal build. A failed rebuild keeps serving the last good site, with the error shown on
every page and in the terminal.
"""
from __future__ import annotations

import html
import threading
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from watchfiles import watch

from .config import SiteConfig, load_config
from .errors import SiteGenError

EVENTS_PATH = "/__site-gen/events"
RELOAD_SCRIPT = (f'<script>new EventSource("{EVENTS_PATH}").onmessage = function () {{ location.reload(); }};'
                 "</script>")


class BuildState:
    """The generation of the last build and its error, shared by the watcher and the request threads."""

    def __init__(self):
        self.generation = 0
        self.error: str | None = None
        self.changed = threading.Condition()

    def finished(self, error: str | None) -> None:
        with self.changed:
            self.generation += 1
            self.error = error
            self.changed.notify_all()

    def wait_for_change(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen, timeout)
            return self.generation


def _handler(state: BuildState, directory: Path):
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, format: str, *args) -> None:  # keep the terminal for build output
            pass

        def do_GET(self) -> None:
            if self.path == EVENTS_PATH:
                return self.stream_events()
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                path = path / "index.html"
            if path.suffix == ".html" and path.is_file():
                return self.send_html(path.read_bytes())
            if not path.exists() and (directory / "404.html").is_file():
                return self.send_html((directory / "404.html").read_bytes(), status=404)
            return super().do_GET()

        def send_html(self, body: bytes, status: int = 200) -> None:
            extra = RELOAD_SCRIPT
            if state.error:
                extra += ('<pre role="alert" style="position:fixed;inset:auto 0 0 0;max-height:50vh;overflow:auto;'
                          'margin:0;padding:1rem;background:#8b0000;color:#fff;white-space:pre-wrap;z-index:9999">'
                          f"site-gen build failed:\n{html.escape(state.error)}</pre>")
            body = body.replace(b"</body>", extra.encode() + b"</body>", 1)
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def stream_events(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = state.generation
            try:
                while True:
                    now = state.wait_for_change(seen, timeout=15)
                    message = b"data: reload\n\n" if now != seen else b": keep-alive\n\n"
                    seen = now
                    self.wfile.write(message)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
    return Handler


WATCHER_WAKE_MS = 250


def watched_paths(config_path: Path | None, content: Path, config: SiteConfig) -> list[Path]:
    from .render import BUILTIN_TEMPLATES
    paths = [content, BUILTIN_TEMPLATES] + ([config.templates] if config.templates else [])
    return [p for p in paths + ([config_path] if config_path else []) if p.exists()]


def _server(port: int, state: BuildState, output: Path) -> ThreadingHTTPServer:
    """Bound before the first build, so a busy port is said at once, not after a whole build."""
    output.mkdir(parents=True, exist_ok=True)
    try:
        # not resolved: output/ is a link that each build moves to the newest tree
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(state, output.absolute()))
    except OSError as error:
        raise SiteGenError(f"cannot serve on 127.0.0.1:{port}: {error.strerror}; "
                           "choose another port with --port") from None
    server.daemon_threads = True
    return server


def serve(config_path: Path | None, content: Path, output: Path, port: int,
          build: Callable[[SiteConfig, Path, Path], object], stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    state = BuildState()
    base_url = f"http://127.0.0.1:{port}/"
    server = _server(port, state, output)

    def rebuild() -> SiteConfig | None:
        try:
            config = replace(load_config(config_path), base_url=base_url)
            report = build(config, content, output)
            print(f"site-gen serve: {report}", flush=True)
            state.finished(None)
            return config
        except (SiteGenError, OSError) as exc:   # the last good site stays served
            message = str(exc) if isinstance(exc, SiteGenError) else f"{exc.filename or ''}: {exc.strerror or exc}"
            print(f"site-gen serve: build failed: {message}", flush=True)
            state.finished(message)
            return None

    config = rebuild() or SiteConfig()
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        # The site is served once the watcher is at work (its first batch, empty, comes when it has
        # waited WATCHER_WAKE_MS): an edit made as soon as a reader sees the site is not missed.
        for changes in watch(*watched_paths(config_path, content, config), stop_event=stop, debounce=200,
                             rust_timeout=WATCHER_WAKE_MS, yield_on_timeout=True):
            if serving.ident is None:   # not begun yet
                serving.start()
                print(f"site-gen serve: http://127.0.0.1:{port}/ (Ctrl-C to stop)", flush=True)
            if changes:
                config = rebuild() or config
    finally:
        if serving.ident is not None:   # shutdown() waits for a serve_forever() that was never begun
            server.shutdown()
        server.server_close()
