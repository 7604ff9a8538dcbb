#!/bin/bash
# Re-backup after touching every file: full re-read, all chunks already stored — mirrors restic-rescan.sh.
set -eu
data=${1:-/tmp/bench-data}; repo=${2:-/tmp/bench-holdfast}
hf="$(dirname "$0")/../bin/holdfast"
export HOLDFAST_PASSWORD=bench
find "$data" -type f -exec touch {} +
"$hf" repo backup -q --repo "$repo" "$data" >/dev/null
