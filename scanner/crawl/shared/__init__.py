"""A crawl shared by worker processes on any number of machines, through Redis.

`claimscan crawl --redis` writes the run's plan and its clinics' start entries to Redis
(`coordinator.py`); each `claimscan worker` runs Scrapy with scrapy-redis's scheduler over a
queue of our own kind (`queue.py`), which takes requests only from the sites the worker holds
a lease on (`leases.py`): one worker crawls a site at a time, so Scrapy's per-site
concurrency, delay and AutoThrottle in that worker are the site's limits for the whole crawl.
Popped requests stay recorded as in flight until the spider has handled their response, so a
killed worker's requests are taken up again by the others.
"""
