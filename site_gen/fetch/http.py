"""Polite, robust HTTP for fetching sources (httpx).

- A User-Agent naming site-gen, its version and the site, so a source's operator knows who asks.
- Connect and read timeouts.
- Retries with exponential backoff and jitter on connection errors, timeouts, 429 and 5xx,
  honouring Retry-After (seconds or a date) up to a limit.
- Conditional GET: the ETag and Last-Modified of the last good response are sent back, so an
  unchanged resource costs a 304.
- One request at a time, and at least `delay` seconds between two requests to one host.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import random
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from .. import __version__
from ..config import FetchConfig

RETRY_STATUSES = {429, 500, 502, 503, 504}


class FetchFailed(Exception):
    """A request that failed for good (after its retries); the message says why."""


@dataclass(frozen=True)
class Validators:
    """What the server said identifies the version it sent (for the next conditional GET)."""
    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Fetched:
    body: bytes | None            # None: 304, unchanged since the validators were given
    validators: Validators
    attempts: int


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait as a Retry-After header says (delta-seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, when.timestamp() - now)


class PoliteClient:
    def __init__(self, settings: FetchConfig, site_url: str, sleep=time.sleep):
        self.settings = settings
        self.sleep = sleep
        self.last_request: dict[str, float] = {}   # host → monotonic time of its last request
        self.client = httpx.Client(
            timeout=httpx.Timeout(settings.timeout),
            headers={"User-Agent": f"site-gen/{__version__} (+{site_url})"},
            follow_redirects=True,
        )

    def _wait_turn(self, url: str) -> None:
        host = urlsplit(url).netloc
        last = self.last_request.get(host)
        if last is not None:
            self.sleep(max(0.0, last + self.settings.delay - time.monotonic()))
        self.last_request[host] = time.monotonic()

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff * 2 ** attempt
        return base / 2 + random.uniform(0, base / 2)   # "equal jitter": never all at once, never too soon

    def get(self, url: str, validators: Validators = Validators()) -> Fetched:
        reason = ""
        for attempt in range(self.settings.retries + 1):
            self._wait_turn(url)
            try:
                response = self.client.get(url, headers=validators.headers())
                response.read()
            except httpx.TransportError as error:   # refused, reset, timed out, cut short
                reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                wait = self._backoff(attempt)
            else:
                if response.status_code == 304:
                    return Fetched(None, validators, attempt + 1)
                if response.status_code == 200:
                    return Fetched(response.content, Validators(response.headers.get("ETag"),
                                                                response.headers.get("Last-Modified")), attempt + 1)
                reason = f"HTTP {response.status_code} {response.reason_phrase}"
                if response.status_code not in RETRY_STATUSES:
                    raise FetchFailed(f"{url}: {reason}")
                asked = retry_after(response.headers.get("Retry-After"), time.time())
                if asked is not None and asked > self.settings.max_wait:
                    raise FetchFailed(f"{url}: {reason}, and it asks to wait {asked:.0f}s "
                                      f"(more than fetch.max_wait, {self.settings.max_wait:g}s)")
                wait = asked if asked is not None else self._backoff(attempt)
            if attempt < self.settings.retries:
                self.sleep(wait)
        raise FetchFailed(f"{url}: {reason} (after {self.settings.retries + 1} tries)")

    def close(self) -> None:
        self.client.close()
