#!/usr/bin/env bash
# Regenerate the sample content/ from the real captures in tests/fixtures/captures with `site-gen import`.
# The --as-of date of each capture decides the year of dates shown without one:
#   000 (listing-text): its newest dated paper is Jan 28, 2025 and the capture is from a later
#        year, so 2026; Apr 27 is its latest yearless date  → 2026-04-30
#   001 (daily-text): the page is dated Dec 17 of the year its yearless dates belong to; it
#        shows 2024 dates with their year, so that year is 2025 → 2025-12-17
#   002 (daily-text): page dated Jul 29, no dates of its own; the same season as 001 → 2025-07-29
#   003 (daily-text): no page date and no paper dates; its newest papers are from 2025 → 2025-10-01
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${SEEDS:-tests/fixtures/captures}
content=${CONTENT:-content}
rm -rf "$content/papers"
site-gen import --content "$content" --as-of 2026-04-30 "$seeds"/000_*.txt
site-gen import --content "$content" --as-of 2025-12-17 "$seeds"/001_*.txt
site-gen import --content "$content" --as-of 2025-07-29 "$seeds"/002_*.txt
site-gen import --content "$content" --as-of 2025-10-01 "$seeds"/003_*.txt
