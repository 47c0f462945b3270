"""The shared dupefilter: scrapy-redis's Redis set, keyed the way a clinic's frontier is.

A page is the same page for a clinic whatever its www prefix, fragment or tracking
parameters (`scope.url_key`), and two clinics sharing a host each crawl it within their own
budget, so the fingerprint is (clinic, url key). Requests without a clinic (none at present)
fall back to scrapy-redis's own fingerprint.
"""

from __future__ import annotations

import hashlib

from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter

from scanner.crawl.scope import url_key


def page_fingerprint(clinic_id: str, url: str) -> str:
    return hashlib.sha1(f"{clinic_id}\n{url_key(url)}".encode()).hexdigest()


class ClinicDupeFilter(RFPDupeFilter):
    def request_fingerprint(self, request: Request) -> str:
        clinic_id = request.meta.get("clinic_id")
        if clinic_id is None:
            return str(super().request_fingerprint(request))
        return page_fingerprint(clinic_id, request.url)

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints: other workers still use them (the coordinator removes a
        finished run's keys)."""
