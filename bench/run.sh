#!/bin/sh
# Runs the Accord / OPA / cedar-go comparison and regenerates the table in
# README.md. Run from anywhere; takes about 6 minutes on 2 cores.
#
#   results.txt   raw `go test -bench` output (6 runs of every benchmark)
#   benchstat.txt benchstat's summary (medians with 95% confidence intervals)
#   results.csv   the same as CSV, read by cmd/table
set -eu
cd "$(dirname "$0")"
BENCHSTAT="go run golang.org/x/perf/cmd/benchstat@latest"

# Correctness first: every engine must agree with every case.
go test ./...

{
	go version
	echo "nproc: $(nproc)"
	grep -m1 'model name' /proc/cpuinfo || true
} > machine.txt

go test -run '^$' -bench . -benchmem -count 6 -benchtime 200ms -timeout 30m . | tee results.txt
$BENCHSTAT results.txt > benchstat.txt
$BENCHSTAT -format csv results.txt > results.csv 2>/dev/null
go run ./cmd/table -in results.csv -readme README.md
cat machine.txt
