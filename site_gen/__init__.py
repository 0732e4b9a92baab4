"""site-gen: a daily research-papers digest as a static site, feeds and email."""

__version__ = "0.2.0"

# Where build caches, output-tree manifests and the digest ledger live, unless --state says otherwise.
STATE_FOLDER = ".site-gen"
