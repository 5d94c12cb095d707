#!/usr/bin/env bash
# Runs the whole demo (apps/demo): keygate-server on PGlite, Express/Fastify/Hono APIs, a
# @keygate/client caller and the Next.js app (the page and the fourth API) on http://127.0.0.1:4400
# (DEMO_PORT). Loopback only; Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
# What `pnpm demo` does, without pnpm in between: pnpm gets Ctrl-C too and then reports
# "ELIFECYCLE Command failed" although every process stopped cleanly.
pnpm exec turbo run build --filter=@keygate/demo... --output-logs=new-only
exec node apps/demo/src/start.mjs
