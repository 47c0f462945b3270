"""The baseline for benchmarks/crawl.py: a bare CrawlSpider that only follows links.

python benchmarks/bare_spider.py START_URL STATS.json [SETTING=VALUE ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class BareSpider(CrawlSpider):
    name = "bare"
    rules = (Rule(LinkExtractor(), follow=True),)


def main() -> None:
    start_url, stats_file, *pairs = sys.argv[1:]
    settings = {"LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False}
    settings.update(dict(pair.split("=", 1) for pair in pairs))
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(
        crawler, start_urls=[start_url], allowed_domains=[urlsplit(start_url).hostname or ""]
    )
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    Path(stats_file).write_text(json.dumps(stats, default=str))


if __name__ == "__main__":
    main()
