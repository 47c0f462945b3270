#!/usr/bin/env bash
# System packages the test suite needs, installed with apt where missing:
#   chromium       Debian's Chromium, driven by Playwright for the browser tests
#                  (Playwright's own browser download is not used)
#   pango, fonts   WeasyPrint's libraries, for PDF reports
#   postgresql     a PostgreSQL server the tests start in a temporary folder (store by URL)
#   redis-server   a Redis server the tests start in a temporary folder (distributed crawl)
# Needs root (as on CI); otherwise it says what is missing and the tests that need it skip.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ldconfig -p | grep -q 'libpango-1.0.so' || need+=(libpango-1.0-0)
ldconfig -p | grep -q 'libpangoft2-1.0.so' || need+=(libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: cannot install ${need[*]} here (needs root and apt); tests that need them will skip" >&2
  exit 0
fi
echo "setup-system: installing ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
