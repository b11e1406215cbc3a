#!/usr/bin/env bash
# Builds the benchmarks in Release and runs the consume benchmark with its default parameters,
# writing load-tests/results/consume.json and printing a Markdown table. Extra arguments are
# passed to the benchmark (e.g. --rounds 7, --max-buffered-per-partition 30000).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
dotnet build -c Release load-tests/ActorStream.Benchmarks
dotnet run -c Release --no-build --project load-tests/ActorStream.Benchmarks -- \
  consume --out load-tests/results/consume.json "$@"
