"""sinacrawl: a Scrapy project that turns Sina Finance news into Hexo posts."""
