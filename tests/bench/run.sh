#!/usr/bin/env bash
# `make bench`: runs every bench binary; each prints "bench NAME: ... ratio R
# (goal ...)" lines, comparing our code with a reference measured in the same
# run.  Results are also kept in build/bench/results.txt.  Nothing is asserted.
set -eu
B=${1:-build/rel}
mkdir -p build/bench
: >build/bench/results.txt
for b in "$B"/tests/bench/bench_*; do
	[ -x "$b" ] || continue
	"$b" build/bench | tee -a build/bench/results.txt
done
for s in "$(dirname "$0")"/bench_*.sh; do
	[ -f "$s" ] || continue
	bash "$s" "$B" build/bench | tee -a build/bench/results.txt
done
