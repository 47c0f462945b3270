"""Scrapy settings for a claimscan crawl, from the user's CrawlOptions: polite by default."""

from __future__ import annotations

from typing import Any

from scanner import __version__
from scanner.models import CrawlOptions

DEFAULT_USER_AGENT = (
    f"claimscan/{__version__} (+https://github.com/claimscan/claimscan; "
    "research crawler for health-claim audits)"
)


def crawl_settings(options: CrawlOptions) -> dict[str, Any]:
    settings = _settings(options)
    if options.render:  # pages through headless Chromium (crawl/render.py)
        from scanner.crawl.render import render_settings

        settings.update(render_settings(options))
        settings["DOWNLOADER_MIDDLEWARES"]["scanner.crawl.render.RenderMiddleware"] = 960
    return settings


def _settings(options: CrawlOptions) -> dict[str, Any]:
    return {
        "BOT_NAME": "claimscan",
        "USER_AGENT": options.user_agent or DEFAULT_USER_AGENT,
        "ROBOTSTXT_OBEY": options.obey_robots,
        "ROBOTSTXT_USER_AGENT": "claimscan",
        # Many clinics in parallel, each one gently: the download slot is the clinic's site
        # (set per request), so per-domain limits apply per site.
        "CONCURRENT_REQUESTS": options.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.per_site,
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "DOWNLOAD_DELAY": options.delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if options.delay > 0 else 0.0,
        "AUTOTHROTTLE_ENABLED": options.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(options.delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_TIMEOUT": options.timeout,
        "DNS_TIMEOUT": min(options.timeout, 20),
        "RETRY_ENABLED": options.retries > 0,
        "RETRY_TIMES": options.retries,
        "DOWNLOAD_MAXSIZE": options.max_size,
        "DOWNLOAD_WARNSIZE": options.max_size // 2,
        "REDIRECT_MAX_TIMES": 10,  # robots.txt and sitemaps; pages' redirects are the spider's
        "HTTPERROR_ALLOW_ALL": True,  # 4xx/5xx pages are evidence too: stored and recorded
        "DEPTH_LIMIT": 0,  # depth is enforced per clinic by the frontier
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "REACTOR_THREADPOOL_MAXSIZE": 20,
        "LOG_LEVEL": "INFO",
        "LOG_INSTALL_ROOT_HANDLER": False,  # the CLI sets up logging
        "LOGSTATS_INTERVAL": 60.0,
        "DOWNLOADER_MIDDLEWARES": {
            "scanner.crawl.middleware.ClinicBudgetMiddleware": 950,
            # Scrapy's retries, but a Retry-After is waited for (or the page recorded)
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "scanner.crawl.retry.RetryAfterMiddleware": 550,
            # robots.txt that does not answer: the site is not crawled (robots.py)
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "scanner.crawl.robots.ConservativeRobotsTxtMiddleware": 100,
            "scanner.crawl.robots.RobotsTimeoutMiddleware": 340,
        },
        "ITEM_PIPELINES": {"scanner.crawl.pipeline.StorePipeline": 300},
        "EXTENSIONS": {"scanner.crawl.progress.CrawlProgress": 500},
    }
