"""Scrapy settings for sinacrawl. Every path is a setting (``POSTS_DIR``, ``REPLAY_DIR``; the
crawl state is the posts in ``POSTS_DIR``, with the run lock and report in its hidden
``.sinacrawl/``); the README has a table of them all.
"""

BOT_NAME = "sinacrawl"
SPIDER_MODULES = ["sinacrawl.spiders"]
NEWSPIDER_MODULE = "sinacrawl.spiders"
# Our `scrapy crawl` checks the spider arguments first (exit 2) and exits 1 when the crawl
# failed as a whole (sinacrawl/commands/crawl.py).
COMMANDS_MODULE = "sinacrawl.commands"

# Polite by default (SPEC section 5): robots.txt, AutoThrottle, an honest User-Agent.
ROBOTSTXT_OBEY = True
USER_AGENT = "sinacrawl/0.1 (Hexo post crawler; Scrapy)"
AUTOTHROTTLE_ENABLED = True
# The politeness floor (issue 16): one request a second per host at most, AutoThrottle only
# slows down from there. A replayed crawl is not slowed (ReplayMiddleware answers before the
# downloader's per-host delay).
DOWNLOAD_DELAY = 1.0
# The delay is a floor: Scrapy's default jitter (±50%) sent two requests to a host as little as
# 0.5 s apart (attack trial, stop 19).
DOWNLOAD_DELAY_JITTER = 0
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# An article response yields one item and the pipelines are synchronous: Scrapy's default of
# 100 starts 100 asyncio tasks per response for nothing (0.7 ms a page, bench/run.py).
CONCURRENT_ITEMS = 1

DOWNLOADER_MIDDLEWARES = {
    # In place of Scrapy's offsite filter, before robots.txt (100): every request, whatever made
    # it (spider, Redis queue, redirect, meta refresh, robots.txt), is http(s) to a Sina host or
    # is refused before any download or replay (issue 13 items 6 and 7). Scrapy's filter skips
    # dont_filter requests (the feed's) and drops the others when they are scheduled, without
    # a WARNING or an errback: a redirect off Sina lost its article silently (issue 11 item 8).
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "sinacrawl.middlewares.RequestGuardMiddleware": 50,
    # Next to the download itself, like HttpCacheMiddleware (900), so that redirect, retry and
    # HTTP-error handling see replayed responses exactly as live ones.
    "sinacrawl.middlewares.ReplayMiddleware": 950,
    # Scrapy's, in its place (580), without decoding each whole page to look at its first
    # 4,096 characters (issue 16).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "sinacrawl.metarefresh.HeadMetaRefreshMiddleware": 580,
}
SPIDER_MIDDLEWARES = {
    # Skips articles whose post is newer than the feed's mtime (POSTS_REFRESH turns it off).
    "sinacrawl.middlewares.KnownPostsMiddleware": 550,
    # SINACRAWL_MAX_ARTICLES; after KnownPostsMiddleware, so skipped articles do not count.
    "sinacrawl.articlecap.ArticleCapMiddleware": 540,
}
ITEM_PIPELINES = {
    "sinacrawl.pipelines.FieldsPipeline": 100,
    "sinacrawl.pipelines.BodyPipeline": 200,
    # SINACRAWL_IMAGES_DIR (off by default): the post's images stored locally before it is
    # written (issue 15 item 1).
    "sinacrawl.images.LocalImagesPipeline": 250,
    "sinacrawl.pipelines.PostWriterPipeline": 300,
    # Checks each written post's fields against the front-matter schema (monitor front_matter):
    # Spidermon's ItemValidationPipeline, reading only the schema's fields (issue 16).
    "sinacrawl.validation.FrontMatterValidationPipeline": 800,
}
# One line per dropped item (the item's repr is not logged).
LOG_FORMATTER = "sinacrawl.logformatter.OneLineLogFormatter"
# The spider's errbacks log each failed request once, as a WARNING with its URL and reason;
# Scrapy's own "Gave up retrying" line would say it a second time, as an ERROR.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"

# Scrapy's downloader, except that a request counts against its host's concurrency from the
# moment it starts: Scrapy 2.19 started every queued request to a host at once when
# DOWNLOAD_DELAY is 0 (issue 16, sinacrawl/downloader.py).
DOWNLOADER = "sinacrawl.downloader.SlotLimitedDownloader"

# Distributed mode (README "Scaling out"): off unless REDIS_URL is set.
ADDONS = {
    "sinacrawl.distributed.DistributedAddon": 0,
}
EXTENSIONS = {
    "sinacrawl.extensions.CrawlSummary": 500,
    # An unreachable host: one line naming it, not robots.txt's traceback (issue 14).
    "sinacrawl.reachability.Reachability": 0,
    # One crawl per spider and POSTS_DIR at a time; the hook after a crawl that changed posts.
    "sinacrawl.runlock.RunLock": 10,
    # Close-of-run order: summary (500), monitors (600), hook (700), run report (900).
    "sinacrawl.extensions.UnexpectedErrors": 500,
    "sinacrawl.monitors.RunMonitors": 600,
    "sinacrawl.hook.OnNewPosts": 700,
    "sinacrawl.report.RunReport": 900,
}

# sinacrawl's own settings (README: "Settings").
POSTS_DIR = "output"
POSTS_REFRESH = False
SINACRAWL_POSTS_LAYOUT = "flat"
# Replace post files sinacrawl did not write, or that were edited since (README "Security").
SINACRAWL_OVERWRITE_FOREIGN = False
REPLAY_DIR = None
REPLAY_RECORD = False
REDIS_URL = None
# Distributed mode: requests/second per Sina host for all workers together (0 = each worker
# keeps only its own DOWNLOAD_DELAY/AutoThrottle).
SINACRAWL_SHARED_RATE = 1.0
SINACRAWL_AUTHOR = "新浪财经"
SINACRAWL_DEFAULT_HEADIMG = ""
# Opt-in front-matter keys after thumbnail (issue 15); off, the posts are SPEC section 1's.
SINACRAWL_UPDATED = False
SINACRAWL_TAGS = False
SINACRAWL_DESCRIPTION = False
# Also the stock names of the article's news_keyword_pub list as tags (issue 15 item 2).
SINACRAWL_STOCK_TAGS = False
# Opt-in body changes (issue 15): a captioned image becomes <figure>/<figcaption>; <!-- more -->
# after the first paragraph (Hexo's excerpt); a last line 来源：<outlet> · 原文链接.
SINACRAWL_FIGURES = False
SINACRAWL_MORE = False
SINACRAWL_CREDIT = False
# Local copies of the posts' images (issue 15 item 1): the folder the blog serves at
# SINACRAWL_IMAGES_URL (Hexo: source/images beside source/_posts); empty = off, posts keep
# Sina's URLs. SINACRAWL_IMAGES_MAXSIZE: bytes per image.
SINACRAWL_IMAGES_DIR = ""
SINACRAWL_IMAGES_URL = "/images/"
SINACRAWL_IMAGES_MAXSIZE = 5 * 1024 * 1024
# Hosts (and their subdomains) a headimg/thumbnail may come from: Sina's image hosts (issue 13).
SINACRAWL_IMAGE_HOSTS = ["sinaimg.cn", "image2.sina.com.cn"]
SINACRAWL_RUN_LOCK = True
SINACRAWL_MAX_ARTICLES = 0
SINACRAWL_ON_NEW_POSTS = ""
SINACRAWL_ON_NEW_POSTS_TIMEOUT = 600
# Monitors and the run report (README "Running it unattended").
SPIDERMON_ENABLED = True
SPIDERMON_VALIDATION_SCHEMAS = ["sinacrawl.monitors.FRONT_MATTER_SCHEMA"]
# A template change drops nearly every page; pages that give no post (video pages, no date)
# are read again each tick, so a tick of few new articles can drop a third without drift.
SINACRAWL_MONITOR_MAX_DRIFT_SHARE = 0.5
SINACRAWL_MONITOR_MAX_BLOCKED_SHARE = 0.3
SINACRAWL_MONITOR_MAX_FEED_AGE = 12
SINACRAWL_MONITOR_MIN_MEDIAN_BODY = 100
SINACRAWL_MONITOR_MIN_PAGES = 5
SINACRAWL_MONITOR_NOW = None
SINACRAWL_MONITOR_ACTIONS: list[str] = []
SINACRAWL_WEBHOOK_URL = ""
SINACRAWL_REPORT_FILE = ""
SINACRAWL_CHANNELS = {
    # Roll-feed channel key → its feed (pageid, lid), the post's categories, in order (SPEC
    # section 2; china keeps the reference post's 国內), and the URL paths of its articles
    # (`-a urls`: the longest matching prefix wins; README "Channels"). Issue 12; RSSHub's
    # sina/finance routes use the same pageid/lid pairs.
    "china": {
        "pageid": 155,
        "lid": 1686,
        "categories": ["金融", "新浪财经", "新浪财经－国內"],
        "paths": ["/china/"],
    },
    "macro": {
        "pageid": 155,
        "lid": 1687,
        "categories": ["金融", "新浪财经", "新浪财经－宏观经济"],
        "paths": ["/china/hgjj/"],
    },
    "finance": {
        "pageid": 155,
        "lid": 1690,
        "categories": ["金融", "新浪财经", "新浪财经－金融新闻"],
        "paths": ["/china/jrxw/"],
    },
    "local": {
        "pageid": 155,
        "lid": 1688,
        "categories": ["金融", "新浪财经", "新浪财经－地方经济"],
        "paths": ["/china/dfjj/"],
    },
    "ministries": {
        "pageid": 155,
        "lid": 1689,
        "categories": ["金融", "新浪财经", "新浪财经－部委动态"],
        "paths": ["/china/bwdt/"],
    },
    "top10": {
        "pageid": 155,
        "lid": 3231,
        "categories": ["金融", "新浪财经", "新浪财经－今日财经TOP10"],
        "paths": [],
    },
    "roll": {
        "pageid": 384,
        "lid": 2519,
        "categories": ["金融", "新浪财经", "新浪财经－财经"],
        "paths": [],
    },
    "stock": {
        "pageid": 384,
        "lid": 2671,
        "categories": ["金融", "新浪财经", "新浪财经－股市"],
        "paths": ["/stock/"],
    },
    "usstock": {
        "pageid": 384,
        "lid": 2672,
        "categories": ["金融", "新浪财经", "新浪财经－美股"],
        "paths": ["/stock/usstock/"],
    },
    "chinastock": {
        "pageid": 384,
        "lid": 2673,
        "categories": ["金融", "新浪财经", "新浪财经－中国概念股"],
        "paths": [],
    },
    "hkstock": {
        "pageid": 384,
        "lid": 2674,
        "categories": ["金融", "新浪财经", "新浪财经－港股"],
        "paths": ["/stock/hkstock/"],
    },
    "research": {
        "pageid": 384,
        "lid": 2675,
        "categories": ["金融", "新浪财经", "新浪财经－研究报告"],
        "paths": [],
    },
    "global": {
        "pageid": 384,
        "lid": 2676,
        "categories": ["金融", "新浪财经", "新浪财经－全球市场"],
        "paths": [],
    },
    "forex": {
        "pageid": 384,
        "lid": 2487,
        "categories": ["金融", "新浪财经", "新浪财经－外汇"],
        "paths": ["/money/forex/"],
    },
}

# Spider sina_7x24 (issue 12): zhibo channel id → the digest posts' title (before ` · YYYY-MM-DD`)
# and categories; 152 (财经) is the default channel.
SINACRAWL_7X24_CHANNELS = {
    "151": {"title": "新浪财经7x24 政经", "categories": ["金融", "新浪财经", "新浪财经－7x24"]},
    "152": {"title": "新浪财经7x24", "categories": ["金融", "新浪财经", "新浪财经－7x24"]},
    "153": {"title": "新浪财经7x24 综合", "categories": ["金融", "新浪财经", "新浪财经－7x24"]},
    "155": {"title": "新浪财经7x24 市场", "categories": ["金融", "新浪财经", "新浪财经－7x24"]},
    "164": {"title": "新浪财经7x24 国际", "categories": ["金融", "新浪财经", "新浪财经－7x24"]},
    "242": {"title": "新浪财经7x24 行业", "categories": ["金融", "新浪财经", "新浪财经－7x24"]},
}
# Seconds after Beijing midnight during which yesterday's digest may still grow.
SINACRAWL_7X24_GRACE = 3600
# The moment sina_7x24 takes as now (ISO 8601, Beijing time without an offset); for replays.
SINACRAWL_7X24_NOW = None

# Only http and https can be fetched: Scrapy's file://, data:, s3:// and ftp:// handlers are off,
# so no URL, however it got in, reads a local file or another store (issue 13 item 6).
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}
# Hosts allowed besides Sina's (sinacrawl.urlguard.SINA_DOMAINS), with their subdomains.
SINACRAWL_EXTRA_DOMAINS: list[str] = []
# Certificates are verified for https (Scrapy's default is not to): a man in the middle
# must not publish on the blog (issue 13 item 8). False turns the check off.
DOWNLOAD_VERIFY_CERTIFICATES = True
# Sina article pages are 27 to 320 KB (../shared/corpus, 91 pages: median 228 KB), feed pages
# under 20 KB. 16 MB is 50 times the largest page; 8 MB (warning) is above the 5 MB pages the
# extraction is tested on (tests/test_bad_input.py); Scrapy's 1 GiB default let a 1.7 KB brotli
# bomb take 4 GB of memory. The limit applies to decompressed bodies (HttpCompressionMiddleware)
# and to replayed ones (ReplayMiddleware) too (issue 13 item 14).
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
# Feed entries read per feed page at most; sinacrawl asks for 50, extras are dropped and counted.
SINACRAWL_FEED_MAX_ENTRIES = 500

# No telnet console: an unattended crawler has no use for it, and concurrent crawls (tests,
# scrapyd, workers) would race for its port range and log a traceback when it runs out.
TELNETCONSOLE_ENABLED = False
# No remote control either: Scrapy 2.19's RemoteControl extension (on by default) serves an HTTP
# endpoint on localhost that runs any Python code POSTed to /execute inside the crawl
# (issue 13 item 10), and writes its token into the user's profile folder.
REMOTE_CONTROL_ENABLED = False

# Scrapy re-parses a generator callback's source to warn about a `return value` in it: our
# callbacks have none, and the check cost a tenth of Scrapy's share of a replay (issue 16).
WARN_ON_GENERATOR_RETURN_VALUE = False

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
# `scrapy crawl sina_finance -O posts.jsonl` exports the post, never the page bytes or the
# parsed tree the item also carries (issue 14). `comments` is always false.
FEED_EXPORT_FIELDS = [
    "url", "docid", "filename", "title", "categories", "author", "date", "headimg",
    "thumbnail", "body",
]  # fmt: skip
