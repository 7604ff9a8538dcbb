#!/bin/bash
# Fresh Holdfast repo (v2, compression auto) and one full backup of DATA — mirrors restic-full.sh.
set -eu
data=${1:-/tmp/bench-data}; repo=${2:-/tmp/bench-holdfast}
hf="$(dirname "$0")/../bin/holdfast"
export HOLDFAST_PASSWORD=bench
rm -rf "$repo"; "$hf" repo init -q --repo "$repo" >/dev/null
"$hf" repo backup -q --repo "$repo" "$data" >/dev/null
