"""Scrapy settings for sinacrawl. Every path is a setting (``POSTS_DIR``, ``REPLAY_DIR``; the
only crawl state is the posts in ``POSTS_DIR``); the README has a table of them all.
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
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# An article response yields one item and the pipelines are synchronous: Scrapy's default of
# 100 starts 100 asyncio tasks per response for nothing (0.7 ms a page, bench/run.py).
CONCURRENT_ITEMS = 1

DOWNLOADER_MIDDLEWARES = {
    # Next to the download itself, like HttpCacheMiddleware (900), so that redirect, retry and
    # HTTP-error handling see replayed responses exactly as live ones.
    "sinacrawl.middlewares.ReplayMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    # Skips articles whose post is newer than the feed's mtime (POSTS_REFRESH turns it off).
    "sinacrawl.middlewares.KnownPostsMiddleware": 550,
}
ITEM_PIPELINES = {
    "sinacrawl.pipelines.FieldsPipeline": 100,
    "sinacrawl.pipelines.BodyPipeline": 200,
    "sinacrawl.pipelines.PostWriterPipeline": 300,
}
# One line per dropped item (the item's repr is not logged).
LOG_FORMATTER = "sinacrawl.logformatter.OneLineLogFormatter"
# The spider's errbacks log each failed request once, as a WARNING with its URL and reason;
# Scrapy's own "Gave up retrying" line would say it a second time, as an ERROR.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"

# Distributed mode (README "Scaling out"): off unless REDIS_URL is set.
ADDONS = {
    "sinacrawl.distributed.DistributedAddon": 0,
}
EXTENSIONS = {
    "sinacrawl.extensions.CrawlSummary": 500,
}

# sinacrawl's own settings (README: "Settings").
POSTS_DIR = "output"
POSTS_REFRESH = False
REPLAY_DIR = None
REPLAY_RECORD = False
REDIS_URL = None
SINACRAWL_AUTHOR = "新浪财经"
SINACRAWL_DEFAULT_HEADIMG = ""
# Hosts (and their subdomains) a headimg/thumbnail may come from: Sina's image hosts (issue 13).
SINACRAWL_IMAGE_HOSTS = ["sinaimg.cn", "image2.sina.com.cn"]
SINACRAWL_CHANNELS = {
    # Roll-feed channel → its lid and the post's categories (SPEC section 2).
    "china": {"lid": 1686, "categories": ["金融", "新浪财经", "新浪财经－国內"]},
}

# No telnet console: an unattended crawler has no use for it, and concurrent crawls (tests,
# scrapyd, workers) would race for its port range and log a traceback when it runs out.
TELNETCONSOLE_ENABLED = False

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
