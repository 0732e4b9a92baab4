# Pelican's side of the benchmark: one page per paper, paginated (50) index, category and tag
# pages, RSS for everything and for every category and tag. Default theme. The papers have no
# authors (see bench/peers.py).
SITENAME = "Bench Papers"
SITEURL = "https://bench.example.org"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 50
PAGINATED_TEMPLATES = {"index": None, "tag": None, "category": None}
FEED_DOMAIN = SITEURL
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_RSS = "feeds/{slug}.rss.xml"
TAG_FEED_RSS = "feeds/tag-{slug}.rss.xml"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
FEED_MAX_ITEMS = 50
RELATIVE_URLS = False
LOAD_CONTENT_CACHE = False
