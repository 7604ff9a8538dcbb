#!/bin/bash
# Restore the latest snapshot into a fresh folder — mirrors restic-restore.sh.
set -eu
repo=${1:-/tmp/bench-holdfast}; target=${2:-/tmp/bench-restore-holdfast}
hf="$(dirname "$0")/../bin/holdfast"
export HOLDFAST_PASSWORD=bench
rm -rf "$target"; "$hf" repo restore -q latest --repo "$repo" --target "$target" >/dev/null
