#!/bin/sh
# Logged against unlogged: for each store, starts `accord serve --demo` on
# loopback and, at each concurrency, runs bench/load against POST /v1/check
# (dry run) then POST /v1/decisions (logged) on the same server, and prints
# the table of bench/README.md ("Logged against unlogged"). Any error of the
# load tool (an unexpected status, a transport error) stops the script.
#
#   bench/load/run.sh [DURATION [CLIENTS [STORES]]]
#       DURATION  per cell and endpoint (default 5s)
#       CLIENTS   comma-separated (default 64,256,1024)
#       STORES    comma-separated: sqlite, postgres (default sqlite,postgres)
#   MIX=cheapest|regime|growth|mixed   request mix (default cheapest)
#   PGURL=postgres://...               PostgreSQL server (default
#       postgres://postgres@127.0.0.1:5432/test?sslmode=disable); the run
#       uses a fresh schema it creates and drops (psql is needed)
#
# Writes bench/load/results-latest.md (the table) and machine.txt; with
# WRITE_README=1 it also replaces the table between the load:begin and
# load:end markers of bench/README.md.
set -eu
cd "$(dirname "$0")/.."            # bench/
DURATION=${1:-5s}
CLIENTS=${2:-64,256,1024}
STORES=${3:-sqlite,postgres}
MIX=${MIX:-cheapest}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
PORT=${ACCORD_PORT:-18702}
TMP=$(mktemp -d /tmp/accord-load-bench.XXXXXX)
SCHEMA=accord_load_$$
SPID=
PGUSED=
stop() {
	if [ -n "$SPID" ]; then kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null || true; fi
	SPID=
}
cleanup() {
	stop
	if [ -n "$PGUSED" ]; then psql -q "$PGURL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

(cd .. && go build -o "$TMP/accord" ./cmd/accord)
go build -o "$TMP/load" ./load

# start STORE: a fresh demo server on 127.0.0.1:$PORT; sets ACCORD_TOKEN.
start() {
	data="$TMP/data-$1"
	rm -rf "$data"
	set -- "$1"
	if [ "$1" = postgres ]; then
		PGUSED=1
		psql -q -v ON_ERROR_STOP=1 "$PGURL" -c "SET client_min_messages TO warning" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" -c "CREATE SCHEMA $SCHEMA" >/dev/null
		case $PGURL in *\?*) db="$PGURL&search_path=$SCHEMA" ;; *) db="$PGURL?search_path=$SCHEMA" ;; esac
		"$TMP/accord" serve --demo --data "$data" --db "$db" --addr "127.0.0.1:$PORT" --rate-limit 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
	else
		"$TMP/accord" serve --demo --data "$data" --addr "127.0.0.1:$PORT" --rate-limit 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
	fi
	SPID=$!
	i=0
	until [ -s "$data/demo-tokens.env" ] && curl -s -o /dev/null "http://127.0.0.1:$PORT/v1/check" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ]; then
			echo "accord serve did not start in 60 s" >&2
			cat "$TMP/serve.err" >&2
			exit 1
		fi
		sleep 0.1
	done
	ACCORD_TOKEN=$(sed -n 's/^export ACCORD_TOKEN_REQUESTER=//p' "$data/demo-tokens.env")
	export ACCORD_TOKEN
}

# cell ENDPOINT CLIENTS: one run; prints "rate p99-ms".
cell() {
	"$TMP/load" --url "http://127.0.0.1:$PORT" --endpoint "$1" --mix "$MIX" --clients "$2" \
		--duration "$DURATION" --warmup 1s --cell >"$TMP/cell.txt" || {
		cat "$TMP/cell.txt" >&2
		echo "load failed: $1, $2 clients" >&2
		kill "$$"
		exit 1
	}
	cat "$TMP/cell.txt"
}

{
	go version
	echo "nproc: $(nproc)"
	grep -m1 'model name' /proc/cpuinfo || true
	echo "mix: $MIX, $DURATION per cell and endpoint"
	echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee load/machine.txt

OUT=load/results-latest.md
{
	echo "| store | clients | /v1/check /s | check p99 | /v1/decisions /s | decisions p99 | logged ÷ unlogged |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
} >"$OUT"
for store in $(echo "$STORES" | tr ',' ' '); do
	start "$store"
	for c in $(echo "$CLIENTS" | tr ',' ' '); do
		set -- $(cell check "$c")
		crate=$1 cp99=$2
		set -- $(cell decisions "$c")
		drate=$1 dp99=$2
		ratio=$(awk -v d="$drate" -v c="$crate" 'BEGIN { if (c > 0) printf "%.2f", d / c; else print "-" }')
		printf '| %s | %s | %s | %s ms | %s | %s ms | %s |\n' "$store" "$c" "$crate" "$cp99" "$drate" "$dp99" "$ratio" | tee -a "$OUT"
	done
	stop
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a load/machine.txt

if [ "${WRITE_README:-}" = 1 ]; then
	awk -v table="$OUT" '
		/<!-- load:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
		/<!-- load:end -->/ { skip = 0 }
		!skip { print }
	' README.md >"$TMP/README.md" && cp "$TMP/README.md" README.md
fi
cat "$OUT"
