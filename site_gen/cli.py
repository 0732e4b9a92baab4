"""The `site-gen` command: init, check, import, build, digest, serve."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from . import STATE_FOLDER, __version__
from .config import SiteConfig, load_config
from .errors import SiteGenError

DEFAULT_CONFIG = Path("site.yaml")


def _config(args: argparse.Namespace) -> SiteConfig:
    path = args.config
    if path is None:
        path = DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None
    config = load_config(path)
    if getattr(args, "base_url", None):
        config = config.with_base_url(args.base_url)
    return config


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build
    report = build(_config(args), args.content, args.output, args.state, args.jobs)
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
    from .importers import run_import
    result = run_import(args.files, args.content, args.as_of, args.format, args.dry_run)
    for summary in result.summaries:
        print(summary)
    if args.dry_run:
        print("dry run: nothing written")
    else:
        print(f"wrote {len(result.written)} day file(s) under {args.content}")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from .digest import DigestOptions, run_digest
    out = args.out or args.output / "digests" / args.day.isoformat()
    options = DigestOptions(day=args.day, subscribers=args.subscribers, send=args.send, out=out, state=args.state,
                            smtp_host=args.smtp_host, smtp_port=args.smtp_port)
    report = run_digest(_config(args), args.content, options)
    for line in report.lines():
        print(line)
    if report.written:
        print(f"wrote {len(report.written)} message(s) to {out}")
    return 0 if report.ok else 1


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
    config_path = args.config or (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    report = check_site(config_path, args.content, args.subscribers)
    for line in report.lines():
        print(line, file=sys.stderr if report.problems else sys.stdout)
    return 1 if report.problems else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .build import build
    from .serve import serve
    config_path = args.config or (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    try:
        serve(config_path, args.content, args.output, args.port, build)
    except KeyboardInterrupt:
        pass
    return 0


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
    build.set_defaults(run=cmd_build)

    from .importers import READERS
    imp = commands.add_parser("import", help="turn saved listings into records in content/")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--content", type=Path, default=Path("content"), help="records folder (default: content)")
    imp.add_argument("--as-of", type=_day, default=dt.date.today(),
                     help="when the files were captured, for dates shown without a year (default: today)")
    imp.add_argument("--format", choices=sorted(READERS), help="skip detection: read every file as this format")
    imp.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
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
    digest.set_defaults(run=cmd_digest)

    serve = commands.add_parser("serve", help="build, serve on 127.0.0.1, rebuild and reload on change")
    serve.add_argument("--config", type=Path, help="site config (default: site.yaml if present)")
    serve.add_argument("--content", type=Path, default=Path("content"), help="records folder (default: content)")
    serve.add_argument("--output", type=Path, default=Path(STATE_FOLDER) / "serve",
                       help="where to build the served site (default: .site-gen/serve, so output/ keeps the "
                            "production build)")
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000)")
    serve.set_defaults(run=cmd_serve)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except SiteGenError as exc:
        print(f"site-gen {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"site-gen {args.command}: interrupted; nothing was changed", file=sys.stderr)
        return 130
