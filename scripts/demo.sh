#!/usr/bin/env bash
# Runs the demo on embedded defaults (in-memory stores, loopback only).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
pnpm demo
