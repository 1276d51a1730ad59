#!/bin/sh
# Measures the same gdsi decision over HTTP on loopback: accord serve
# (POST /v1/check, dry run; then POST /v1/decisions, logged) against an OPA
# server built from the OPA version in bench/go.mod, loaded with
# bench/rego/gdsi.rego and its data. Same load generator (./http), same
# concurrency, same duration. Both servers are started here and stopped on
# exit. Usage (from anywhere):
#
#   bench/http/run.sh [DURATION [CLIENTS]]     # defaults: 10s  64,8
set -eu
cd "$(dirname "$0")/.."            # bench/
DURATION=${1:-10s}
CLIENTS=${2:-64,8}
TMP=$(mktemp -d /tmp/accord-http-bench.XXXXXX)
AP=${ACCORD_PORT:-18701}
OP=${OPA_PORT:-18181}
APID= OPID=
stop() {
	[ -n "$APID" ] && kill "$APID" 2>/dev/null && wait "$APID" 2>/dev/null || true
	[ -n "$OPID" ] && kill "$OPID" 2>/dev/null && wait "$OPID" 2>/dev/null || true
	rm -rf "$TMP"
}
trap stop EXIT INT TERM

# The OPA server binary, built from the OPA module version bench/ uses (the
# `opa` command needs modules bench/go.sum does not list, so it is built in
# module mode from OPA's own go.mod, at the same version).
OPAV=$(go list -m -f '{{.Version}}' github.com/open-policy-agent/opa)
(cd "$TMP" && GOBIN="$TMP" GOFLAGS= go install "github.com/open-policy-agent/opa@$OPAV")
(cd .. && go build -o "$TMP/accord" ./cmd/accord)
go build -o "$TMP/load" ./http
"$TMP/load" -write-data "$TMP"

"$TMP/accord" serve --demo --data "$TMP/data" --addr "127.0.0.1:$AP" --rate-limit 0 >"$TMP/accord.out" 2>"$TMP/accord.err" &
APID=$!
"$TMP/opa" run --server --addr "127.0.0.1:$OP" --log-level error rego/gdsi.rego "$TMP/accord_data.rego" >"$TMP/opa.out" 2>&1 &
OPID=$!

# Wait (at most 30 s) for the demo tokens and for both servers to answer.
i=0
until [ -s "$TMP/data/demo-tokens.env" ] && curl -fs "http://127.0.0.1:$OP/health" >/dev/null 2>&1 \
	&& curl -s -o /dev/null "http://127.0.0.1:$AP/v1/check" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ]; then
		echo "servers did not start in 30 s" >&2
		cat "$TMP/accord.err" "$TMP/opa.out" >&2
		exit 1
	fi
	sleep 0.1
done
. "$TMP/data/demo-tokens.env"

{
	go version
	echo "nproc: $(nproc)"
	grep -m1 'model name' /proc/cpuinfo || true
	echo "opa: $OPAV"
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee http/machine.txt

"$TMP/load" -accord "http://127.0.0.1:$AP" -token "$ACCORD_TOKEN_REQUESTER" -opa "http://127.0.0.1:$OP" \
	-clients "$CLIENTS" -duration "$DURATION" -json http/results.json | tee http/results-latest.txt
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a http/machine.txt
