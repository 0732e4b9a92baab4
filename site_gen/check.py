"""`site-gen check`: validate the config, every record, the subscribers and the template overrides
without building, and report every problem at once as `file:line: field: what was expected`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import SiteConfig, load_config
from .content import day_files, load_content
from .digest.library import PaperIndex, load_library
from .digest.subscribers import load_subscribers
from .errors import Problem, ValidationError
from .render import syntax_problems


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)   # worth knowing, never fatal
    checked: list[str] = field(default_factory=list)     # what was found valid, for the summary

    def lines(self) -> list[str]:
        warnings = [f"warning: {w}" for w in self.warnings]
        if self.problems:
            return warnings + [str(p) for p in sorted(self.problems)] + [f"{len(self.problems)} problem(s)"]
        return warnings + [f"no problems: {', '.join(self.checked)}"]


def check_site(config_path: Path | None, content: Path, subscribers: Path | None) -> CheckReport:
    """`subscribers` None: the default file, checked only when it exists."""
    report = CheckReport()
    config = _checked(report, lambda: load_config(config_path), config_path.name if config_path else None)
    papers = _checked(report, lambda: load_content(content))
    if papers is not None:
        report.checked.append(f"{len(papers)} records in {len(day_files(content))} day files")
    default_subscribers = Path("subscribers.yaml")
    if subscribers is not None or default_subscribers.is_file():
        listed = _checked(report, lambda: load_subscribers(subscribers or default_subscribers))
        if listed is not None:
            report.checked.append(f"{len(listed)} subscribers")
            index = PaperIndex(papers or [])
            for subscriber in (s for s in listed if s.library):
                report.warnings += load_library(subscriber.library, subscriber.given, index).warnings
    if isinstance(config, SiteConfig) and config.templates:
        problems = syntax_problems(config.templates)
        report.problems += problems
        if not problems:
            report.checked.append(f"the templates in {config.templates}")
    return report


def _checked(report: CheckReport, load, name: str | None = None):
    try:
        value = load()
    except ValidationError as error:
        report.problems += error.problems
        return None
    if name:
        report.checked.append(name)
    return value
