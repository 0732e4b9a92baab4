"""The `site-gen` command: build, import, digest."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

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
    report = build(_config(args), args.content, args.output)
    print(f"{report}; open {args.output / 'index.html'}")
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


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="site-gen", description="Publish a daily research-papers digest.")
    commands = root.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="build the static site into output/")
    build.add_argument("--config", type=Path, help="site config (default: site.yaml if present)")
    build.add_argument("--content", type=Path, default=Path("content"), help="records folder (default: content)")
    build.add_argument("--output", type=Path, default=Path("output"), help="output folder (default: output)")
    build.add_argument("--base-url", help="override base_url from the config")
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
