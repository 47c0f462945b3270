"""Which URLs belong to a clinic's own site, and which links to fetch first."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

# Links whose URL or anchor text carries one of these are the likeliest to hold claims.
CLAIM_LIKELY = (
    "treatment", "therap", "condition", "stem", "cell", "regenerat", "exosome", "prp",
    "platelet", "testimonial", "review", "stories", "story", "success", "result", "faq",
    "question", "pricing", "price", "cost", "patient", "osteo", "bone", "arthrit", "joint",
    "knee", "hip", "shoulder", "spine", "back", "disc", "neuro", "copd", "autism", "anti-aging",
    "service", "procedure", "protocol", "program", "infusion", "iv-", "injection",
)  # fmt: skip
# ... and these are the least likely (accounts, legal boilerplate, archives, feeds).
CLAIM_UNLIKELY = (
    "login", "log-in", "signin", "sign-in", "cart", "checkout", "account", "privacy", "terms",
    "cookie", "career", "jobs", "wp-admin", "wp-json", "xmlrpc", "/feed", "/tag/", "/author/",
    "replytocom", "calendar", "/page/", "accessibility", "sitemap",
)  # fmt: skip


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def www_variants(host: str) -> set[str]:
    """A host and its www twin (`clinic.com` <-> `www.clinic.com`); IP hosts stand alone."""
    if _is_ip(host):
        return {host}
    bare = host.removeprefix("www.")
    return {bare, f"www.{bare}"}


def site_key(url: str) -> str:
    """One key per site, for politeness: the host without `www.`, and a non-default port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{host}:{parts.port}" if parts.port else host


def url_key(url: str) -> str:
    """Two URLs of a site with the same key are the same page (scheme and www ignored)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    return f"{host}{port}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


class SiteScope:
    """The hosts of a clinic's own site: its start URLs' hosts and their www variants."""

    def __init__(self, start_urls: Iterable[str]) -> None:
        self.hosts: frozenset[str] = frozenset(
            h for url in start_urls for h in www_variants(host_of(url))
        )

    def __contains__(self, url: str) -> bool:
        return host_of(url) in self.hosts


def link_priority(url: str, anchor_text: str, depth: int) -> int:
    """Higher for links likely to carry claims; lower the deeper they sit."""
    parts = urlsplit(url)
    haystack = f"{parts.path}?{parts.query} {anchor_text}".lower()
    hits = sum(term in haystack for term in CLAIM_LIKELY)
    score = 10 * min(hits, 3) - 3 * depth
    if any(term in haystack for term in CLAIM_UNLIKELY):
        score -= 30
    return score


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
