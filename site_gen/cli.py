"""The `site-gen` command: init, check, fetch, import, build, digest, daily, serve."""
from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
from pathlib import Path

from . import STATE_FOLDER, __version__
from .config import SiteConfig, load_config
from .errors import SiteGenError, describe_os_error
from .locks import DEFAULT_WAIT
from .operations import SERVE_STATE, build_site, fetch_days, import_captures, send_digest, settle_content
from .runtime import stopped_like_interrupted

DEFAULT_CONFIG = Path("site.yaml")
MISSING_DAYS = 7    # how far back `fetch --missing` looks without --since


def _config_path(args: argparse.Namespace) -> Path | None:
    """--config, else site.yaml where there is one, else None (the defaults)."""
    return args.config or (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)


def _config(args: argparse.Namespace) -> SiteConfig:
    config = load_config(_config_path(args))
    if getattr(args, "base_url", None):
        config = config.with_base_url(args.base_url)
    return config


def cmd_build(args: argparse.Namespace) -> int:
    report = build_site(_config(args), args.content, args.output, args.state, args.wait, args.jobs,
                        check_inputs=args.check_inputs)
    print(f"{report}; the site is in {args.output}/")
    if args.timings:
        for stage, seconds in report.stages:
            print(f"  {stage:<20} {seconds:8.2f}s")
    return 0


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def cmd_import(args: argparse.Namespace) -> int:
    result = import_captures(args.files, args.content, args.as_of, args.format, args.dry_run, args.wait)
    for summary in result.summaries:
        print(summary)
    if args.dry_run:
        print("dry run: nothing written")
    else:
        print(f"wrote {len(result.written)} day file(s) under {args.content}")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from .digest import DigestOptions
    out = args.out or args.output / "digests" / args.day.isoformat()
    options = DigestOptions(day=args.day, subscribers=args.subscribers, send=args.send, out=out, state=args.state,
                            smtp_host=args.smtp_host, smtp_port=args.smtp_port,
                            resend_unconfirmed=args.resend_unconfirmed)
    report = send_digest(_config(args), args.content, options, args.wait)
    for line in report.lines():
        print(line)
    if report.written:
        print(f"wrote {len(report.written)} message(s) to {out}")
    return 0 if report.ok else 1


def _fetch_days(args: argparse.Namespace) -> list[dt.date]:
    from .fetch import days_between
    today = dt.datetime.now(dt.timezone.utc).date()
    if args.missing:
        return days_between(args.since or today - dt.timedelta(days=MISSING_DAYS), today)
    if args.first or args.last:
        if not (args.first and args.last) or args.first > args.last:
            raise SiteGenError("--from and --to go together, --from first")
        return days_between(args.first, args.last)
    return [args.day or today]


def cmd_fetch(args: argparse.Namespace) -> int:
    report = fetch_days(_config(args), args.content, args.state, args.captures, _fetch_days(args), args.source,
                        args.missing, args.dry_run, args.wait)
    for outcome in report.outcomes:
        print(outcome, file=sys.stdout if not outcome.failed else sys.stderr)
    print(("dry run, nothing written: " if args.dry_run else "") + report.summary())
    return 0 if report.ok else 1


def cmd_daily(args: argparse.Namespace) -> int:
    from .daily import DailyOptions, run_daily
    day = args.day or dt.datetime.now(dt.timezone.utc).date()
    options = DailyOptions(day, args.content, args.output, args.state, args.captures, args.subscribers, args.wait)
    return 0 if run_daily(_config(args), options) else 1


def cmd_init(args: argparse.Namespace) -> int:
    from .newsite import create_site
    written = create_site(args.folder, args.sample, args.force)
    where = args.folder if args.folder != Path(".") else Path.cwd()
    print(f"wrote a new site in {where} ({len(written)} files{', with the sample papers' if args.sample else ''})")
    step = f"cd {args.folder} && " if args.folder != Path(".") else ""
    print(f"next: {step}site-gen build && python -m http.server 8000 -d output   (then open http://localhost:8000/)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .check import check_site
    settle_content(args.content, "check", args.wait)
    report = check_site(_config_path(args), args.content, args.subscribers)
    for line in report.lines():
        print(line, file=sys.stderr if report.problems else sys.stdout)
    return 1 if report.problems else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve
    if args.output.absolute() == Path("output").absolute():
        raise SiteGenError("serve builds for http://127.0.0.1/ and must not write the production output/: "
                           "give --output another folder (default: .site-gen/serve)")

    def build_preview(config: SiteConfig, content: Path, output: Path):   # locks only while it rebuilds
        return build_site(config, content, output, SERVE_STATE, args.wait, command="serve")

    try:
        serve(_config_path(args), args.content, args.output, args.port, build_preview)
    except KeyboardInterrupt:
        pass
    return 0


def _site_options(command: argparse.ArgumentParser) -> None:
    """What fetch and daily read and write."""
    command.add_argument("--config", type=Path, help="site config (default: site.yaml if present)")
    command.add_argument("--content", type=Path, default=Path("content"), help="records folder (default: content)")
    command.add_argument("--captures", type=Path, default=Path("captures"),
                         help="where every answer is saved, by day (default: captures)")
    command.add_argument("--state", type=Path, default=Path(STATE_FOLDER),
                         help="state folder: the fetch log, build caches, ledger (default: .site-gen)")
    _wait_option(command)


def _wait_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--wait", type=float, default=DEFAULT_WAIT, metavar="SECONDS",
                         help="how long to wait while another site-gen command uses the same folder "
                              f"(default: {DEFAULT_WAIT:g})")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="site-gen", description="Publish a daily research-papers digest.")
    root.add_argument("--version", action="version", version=f"site-gen {__version__}")
    commands = root.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="start a new site in a folder")
    init.add_argument("folder", nargs="?", type=Path, default=Path("."), metavar="DIR",
                      help="where to write it (default: the current folder)")
    init.add_argument("--sample", action="store_true", help="with the sample papers, to try it out")
    init.add_argument("--force", action="store_true", help="overwrite files that exist already")
    init.set_defaults(run=cmd_init)

    check = commands.add_parser("check", help="validate config, records, subscribers and templates; build nothing")
    check.add_argument("--config", type=Path, help="site config (default: site.yaml if present)")
    check.add_argument("--content", type=Path, default=Path("content"), help="records folder (default: content)")
    check.add_argument("--subscribers", type=Path,
                       help="subscribers file (default: subscribers.yaml, when it exists)")
    _wait_option(check)
    check.set_defaults(run=cmd_check)

    build = commands.add_parser("build", help="build the static site into output/")
    build.add_argument("--config", type=Path, help="site config (default: site.yaml if present)")
    build.add_argument("--content", type=Path, default=Path("content"), help="records folder (default: content)")
    build.add_argument("--output", type=Path, default=Path("output"), help="output folder (default: output)")
    build.add_argument("--base-url", help="override base_url from the config")
    build.add_argument("--state", type=Path, default=Path(STATE_FOLDER),
                       help="build cache for incremental builds (default: .site-gen)")
    build.add_argument("--jobs", type=int, help="worker processes (default: every core)")
    build.add_argument("--timings", action="store_true", help="print how long each stage took")
    build.add_argument("--check-inputs", action="store_true",
                       help="the dependency check: render every file, and fail if one reads a paper its "
                            "fingerprint does not declare or a kept file renders differently; slow: for tests")
    _wait_option(build)
    build.set_defaults(run=cmd_build)

    from .importers import READERS
    imp = commands.add_parser("import", help="turn saved listings into records in content/")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--content", type=Path, default=Path("content"), help="records folder (default: content)")
    imp.add_argument("--as-of", type=_day, default=dt.date.today(),
                     help="when the files were captured, for dates shown without a year (default: today)")
    imp.add_argument("--format", choices=sorted(READERS), help="skip detection: read every file as this format")
    imp.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    _wait_option(imp)
    imp.set_defaults(run=cmd_import)

    digest = commands.add_parser("digest", help="email the day's papers to subscribers")
    digest.add_argument("--day", type=_day, required=True, help="the digest day, YYYY-MM-DD")
    digest.add_argument("--config", type=Path, help="site config (default: site.yaml if present)")
    digest.add_argument("--content", type=Path, default=Path("content"), help="records folder (default: content)")
    digest.add_argument("--subscribers", type=Path, default=Path("subscribers.yaml"),
                        help="subscribers file (default: subscribers.yaml)")
    digest.add_argument("--send", action="store_true", help="deliver over SMTP (default: write .eml files)")
    digest.add_argument("--output", type=Path, default=Path("output"), help=argparse.SUPPRESS)
    digest.add_argument("--out", type=Path, help="folder for .eml files (default: output/digests/DAY/)")
    digest.add_argument("--smtp-host", help="override email.host")
    digest.add_argument("--smtp-port", type=int, help="override email.port")
    digest.add_argument("--state", type=Path, default=Path(STATE_FOLDER),
                        help="folder of the delivery ledger (default: .site-gen)")
    digest.add_argument("--resend-unconfirmed", action="store_true",
                        help="send again to recipients a stopped run was sending to (they may get it twice)")
    _wait_option(digest)
    digest.set_defaults(run=cmd_digest)

    fetch = commands.add_parser("fetch", help="fetch papers from the sources in site.yaml into content/")
    fetch.add_argument("--day", type=_day, help="the day to fetch (default: today, UTC)")
    fetch.add_argument("--from", dest="first", type=_day, metavar="DAY", help="backfill from this day …")
    fetch.add_argument("--to", dest="last", type=_day, metavar="DAY", help="… to this one")
    fetch.add_argument("--missing", action="store_true",
                       help=f"every day not yet fetched completely, from --since (default: {MISSING_DAYS} days ago)")
    fetch.add_argument("--since", type=_day, metavar="DAY", help="with --missing: the first day")
    fetch.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable)")
    fetch.add_argument("--dry-run", action="store_true", help="fetch and check, write nothing")
    _site_options(fetch)
    fetch.set_defaults(run=cmd_fetch)

    daily = commands.add_parser("daily", help="fetch, build, deploy and mail one day, each step after the last")
    daily.add_argument("--day", type=_day, help="the day (default: today, UTC)")
    _site_options(daily)
    daily.add_argument("--output", type=Path, default=Path("output"), help="output folder (default: output)")
    daily.add_argument("--subscribers", type=Path, default=Path("subscribers.yaml"),
                       help="subscribers file (default: subscribers.yaml; no file, no mail)")
    daily.set_defaults(run=cmd_daily)

    serve = commands.add_parser("serve", help="build, serve on 127.0.0.1, rebuild and reload on change")
    serve.add_argument("--config", type=Path, help="site config (default: site.yaml if present)")
    serve.add_argument("--content", type=Path, default=Path("content"), help="records folder (default: content)")
    serve.add_argument("--output", type=Path, default=Path(STATE_FOLDER) / "serve",
                       help="where to build the served site (default: .site-gen/serve, so output/ keeps the "
                            "production build)")
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000)")
    _wait_option(serve)
    serve.set_defaults(run=cmd_serve)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    stopped_like_interrupted()
    try:
        return args.run(args)
    except SiteGenError as exc:
        print(f"site-gen {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error) as exc:
        print(f"site-gen {args.command}: error: {describe_os_error(exc, args.command)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"site-gen {args.command}: interrupted; nothing was changed", file=sys.stderr)
        return 130
