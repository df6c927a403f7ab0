"""sinacrawl's Scrapy commands (setting ``COMMANDS_MODULE``)."""
