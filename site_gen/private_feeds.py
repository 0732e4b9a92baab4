"""Private feeds: for every subscriber with a library, an RSS and an Atom feed of their For-you papers
of the last `personal.days` days (the digest's picks, day by day, newest first), at
feeds/for/<token>/ — a folder named by their unsubscribe token (an HMAC of the address), so the
address cannot be guessed. They are never in the sitemap, the feeds page or the search index, and
robots.txt disallows feeds/for/. A subscriber removed from the file loses their feed at the next
build (the manifest no longer lists it).

A feed is fingerprinted by what its ranking reads (the library's texts, the followed authors, the
excluded keywords, the window's papers): an unchanged feed is neither ranked nor rendered again.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog
from .config import SiteConfig
from .digest import SECRET_VARIABLE
from .digest.compose import private_feed
from .digest.library import PaperIndex, load_library
from .digest.personal import Ranker
from .digest.subscribers import Subscriber, load_subscribers
from .errors import SiteGenError
from .feeds import FeedWriter
from .incremental import fingerprint
from .output import Tree
from .state import StateStore

DEFAULT_SUBSCRIBERS = Path("subscribers.yaml")


@dataclass(frozen=True)
class PrivateFeed:
    location: str
    fingerprint: str
    data: bytes | None       # None: the same as the live tree's, which is linked


def _readers(config: SiteConfig) -> list[Subscriber]:
    path = config.email.subscribers or DEFAULT_SUBSCRIBERS
    with_library = [s for s in load_subscribers(path) if s.library] if path.is_file() else []
    if with_library and not os.environ.get(SECRET_VARIABLE) and any(s.token is None for s in with_library):
        raise SiteGenError(f"{path}: subscribers with a library get a private feed named by their unsubscribe "
                           f"token: set {SECRET_VARIABLE}, as for the digest, or give each a `token`")
    return with_library


def private_inputs(config: SiteConfig) -> tuple[str, list[Path]]:
    """What the private feeds are made from besides the records, for the build's "nothing changed"
    test: a digest of the unsubscribe secret (it names their folders), and the subscribers file with
    the BibTeX files it names."""
    path = config.email.subscribers or DEFAULT_SUBSCRIBERS
    if not path.is_file():
        return "", []
    try:
        readers = [s for s in load_subscribers(path) if s.library]
    except SiteGenError:
        return "", [path]       # the build reports the problems
    secret = hashlib.blake2b(os.environ.get(SECRET_VARIABLE, "").encode(), digest_size=8).hexdigest()
    return secret, [path] + [path.parent / item for s in readers for item in s.library if item.endswith(".bib")]


def plan_private_feeds(catalog: Catalog, config: SiteConfig, writer: FeedWriter, signature: str,
                       live: Tree, store: StateStore) -> list[PrivateFeed]:
    readers = _readers(config)
    if not readers:
        return []
    secret = os.environ.get(SECRET_VARIABLE, "")
    window = catalog.days[:config.personal.days]
    index = PaperIndex(catalog.papers)
    rankers: dict[int, Ranker] = {}
    feeds = []
    for reader in readers:
        library = load_library(reader.library, reader.given, index, store)
        inputs = fingerprint(signature, config.personal, [e.text for e in library.comparable()], reader.authors,
                             reader.exclude_keywords, [[p.digest for p in day.papers] for day in window])
        locations = [private_feed(reader, secret, kind) for kind in FeedWriter.ENTRY_KINDS]
        if all(live.has(location, inputs) for location in locations):
            feeds += [PrivateFeed(location, inputs, None) for location in locations]
            continue
        picks = [pick for n, day in enumerate(window)
                 for pick in rankers.setdefault(n, Ranker(day.papers, config.personal, store)).picks(reader, library)]
        files = writer.private_files(f"{config.title}: for you", locations, picks)
        feeds += [PrivateFeed(location, inputs, data) for location, data in files]
    return feeds


def write_private_feeds(feeds: list[PrivateFeed], live: Tree, tree: Tree) -> dict[str, str]:
    """Each feed into the tree (linked from the live tree when unchanged); their fingerprints by location."""
    for feed in feeds:
        if feed.data is None and not tree.has(feed.location, feed.fingerprint):
            if not tree.link_from(live, feed.location):
                raise SiteGenError(f"{live.path(feed.location)}: missing from the live site; build again")
        elif feed.data is not None:
            tree.write(feed.location, feed.data)
    return {feed.location: feed.fingerprint for feed in feeds}
