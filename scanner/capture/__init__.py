"""Visual evidence: pages loaded in headless Chromium (Debian's, driven by Playwright), their
full-page screenshots, and where each claim sentence is on them."""
