"""site-gen: a daily research-papers digest as a static site, feeds and email."""

__version__ = "0.1.0"
