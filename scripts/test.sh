#!/usr/bin/env bash
# Runs every test of the monorepo (the README's test command). Postgres/Redis tests read
# DATABASE_URL / REDIS_URL; without them they fall back to embedded PGlite or skip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
pnpm test
