#!/usr/bin/env bash
# bench-http: POST /v1/decide of pvsc serve against OPA's own server (opa run --server,
# from the OPA module lab/opa pins), same property (no_bypass), same data, same bodies,
# driven by pvsc load in its own process, both at each rate in the same run.
# usage: scripts/bench-http.sh OUTDIR [RATES] [DURATION]
set -euo pipefail
out=${1:-bench-out/http}
rates=${2:-5000,10000,20000}
duration=${3:-10s}
bin=$(cd "$(dirname "$0")/.." && pwd)/bin
mkdir -p "$out"
"$bin/pvsc" gen-cloud -per-tenant -tenants 1000 -ports-per-tenant 10 -ops 20000 -progress off \
  -o "$out/cloud.json" -ops-out "$out/ops.jsonl"
"$bin/pvsc-opa" -snapshot "$out/cloud.json" -write-data "$out/opa-data.json"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$out/token"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
"$bin/pvsc" serve --spec specs/openstack --property no_bypass --snapshot "$out/cloud.json" \
  --auth bearer --bearer-token-file "$out/token" --listen 127.0.0.1:9797 >"$out/serve.log" 2>&1 &
pids+=($!)
"$bin/opa" run --server --addr 127.0.0.1:8181 --log-level error \
  lab/opa/policy/no_bypass.rego "$out/opa-data.json" >"$out/opa.log" 2>&1 &
pids+=($!)
for url in http://127.0.0.1:9797/healthz http://127.0.0.1:8181/health; do
  for _ in $(seq 100); do curl -fs "$url" >/dev/null && break; sleep 0.2; done
  curl -fs "$url" >/dev/null || { echo "bench-http: $url did not come up" >&2; cat "$out"/*.log >&2; exit 1; }
done
{
  echo "# POST /v1/decide: pvsc serve against opa run --server ($(date -u +%FT%TZ), $(nproc) cores)"
  echo
  "$bin/pvsc" load --url http://127.0.0.1:9797/v1/decide --bearer-token-file "$out/token" \
    --vs http://127.0.0.1:8181/v1/data/pvsc/no_bypass/decision --bodies "$out/ops.jsonl" \
    --rates "$rates" --duration "$duration"
} | tee "$out/http.txt"
