#!/bin/bash
# Exercise the running stack (stack.sh up) for real and record what it says, as test fixtures:
#
# Into $OUT (default openstack/testdata/captured/, the conformance corpus; emptied first):
#   rest-<service>.jsonl           every REST call made here: request (method, path, headers
#                                  without the token, body) and response (status, headers,
#                                  body); passwords and tokens masked
#   notifications-<service>.jsonl  what each service's log notification driver wrote during the
#                                  run ($BASE/logs/notifications-*.jsonl)
#   amqp-<exchange>.jsonl          the raw AMQP messages off RabbitMQ, with exchange and routing
#                                  key (amqp-tap.py)
#   snapshot-*.json                list APIs while the run's resources exist (and *-after)
#   pvsc-snapshot.json             `pvsc snapshot` (pvsc's own format) while they exist
#   INDEX.md                       every event_type seen, and the calls that caused it
#
#   bash scripts/openstack/capture.sh       # ~2.5 minutes on a fresh stack; the stack stays up
#
# Plain curl (the openstack CLI costs ~3 s a call) and Debian's python3 for JSON.
set -uo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BASE=${BASE:-/tmp/pvsc-openstack}
ADMIN_PW=${ADMIN_PW:-adminpw}
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$ROOT/openstack/testdata/captured}
GO=${GO:-/usr/local/go/bin/go}
MV=${MV:-2.79}            # compute microversion sent with every Nova call
TMP=$(mktemp -d)
declare -A URL=([keystone]=http://127.0.0.1:5000 [neutron]=http://127.0.0.1:9696
                [nova]=http://127.0.0.1:8774 [glance]=http://127.0.0.1:9292)

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# ---------------------------------------------------------------- recording
read -r -d '' PYREC <<'EOF'
import json, re, sys
(svc, who, method, path, reqhdrs, body, status, hfile, bfile, t0, t1, out) = sys.argv[1:13]
SECRET = {"password", "adminPass", "original_password", "admin_password"}
def mask(o):
    if isinstance(o, dict):
        return {k: ("***" if k in SECRET and isinstance(v, str) else mask(v)) for k, v in o.items()}
    if isinstance(o, list):
        return [mask(x) for x in o]
    return o
def parse(s):
    if s == "":
        return None
    try:
        return json.loads(s)
    except ValueError:
        return s
# curl -D: one header block per response (a 100 Continue may come first); keep the last
blocks, cur = [], []
for line in open(hfile, encoding="utf-8", errors="replace").read().splitlines():
    if line.strip():
        cur.append(line)
    elif cur:
        blocks.append(cur); cur = []
if cur:
    blocks.append(cur)
hdrs = {}
for line in (blocks[-1][1:] if blocks else []):
    if ": " in line:
        k, v = line.split(": ", 1)
        if k.lower() not in ("x-subject-token", "x-auth-token"):
            hdrs[k] = v
rec = {"service": svc, "user": who, "method": method, "path": path,
       "headers": dict(h.split(": ", 1) for h in reqhdrs.split("\n") if h),
       "body": mask(parse(body)), "status": int(status),
       "response_headers": hdrs,
       "response": mask(parse(open(bfile, encoding="utf-8", errors="replace").read())),
       "started": t0, "finished": t1}
with open(out, "a") as f:
    f.write(re.sub(r"gAAAAA[A-Za-z0-9_=-]+", "***", json.dumps(rec)) + "\n")
EOF

utcnow() { date -u +'%Y-%m-%d %H:%M:%S.%6N'; }

# call SERVICE WHO METHOD PATH [JSON] -> prints the response body; $ST holds the status.
# Every call is recorded in rest-SERVICE.jsonl.
call() {
  local svc=$1 who=$2 m=$3 path=$4 body=${5:-} tok reqh t0 t1
  tok=$(tok_of "$who")
  reqh=$'Content-Type: application/json\nAccept: application/json'
  [ "$svc" = nova ] && reqh+=$'\n'"OpenStack-API-Version: compute $MV"
  local args=() h
  while IFS= read -r h; do args+=(-H "$h"); done <<< "$reqh"
  t0=$(utcnow)
  local verb=(-X "$m"); [ "$m" = HEAD ] && verb=(--head)
  ST=$(curl -s "${verb[@]}" "${args[@]}" -H "X-Auth-Token: $tok" -H 'Connection: close' \
        ${body:+--data-binary "$body"} -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' "${URL[$svc]}$path")
  t1=$(utcnow)
  [ "$m" = HEAD ] && : > "$TMP/b"    # curl --head writes the headers as the body
  python3 -c "$PYREC" "$svc" "$who" "$m" "$path" "$reqh" "$body" "$ST" "$TMP/h" "$TMP/b" "$t0" "$t1" \
    "$OUT/rest-$svc.jsonl"
  if (( ST >= 400 )); then log "  $m $path -> $ST $(head -c 300 "$TMP/b")"; fi
  cat "$TMP/b"
}
# unrecorded GET for polling
peek() { # service who path
  local mv=()
  [ "$1" = nova ] && mv=(-H "OpenStack-API-Version: compute $MV")
  curl -s -H "X-Auth-Token: $(tok_of "$2")" -H 'Connection: close' -H 'Accept: application/json' \
    "${mv[@]}" "${URL[$1]}$3"
}
j() { python3 -c 'import json,sys
d=json.load(sys.stdin)
for k in sys.argv[1:]:
    d=d[int(k)] if isinstance(d,list) else d[k]
print(d if not isinstance(d,(dict,list)) else json.dumps(d))' "$@"; }

declare -A TOK
password_token() { # user project [domain] -> token (the request is recorded, password masked)
  local dom=${3:-default}
  local body="{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"$1\",\"domain\":{\"id\":\"$dom\"},\"password\":\"$PW\"}}},\"scope\":{\"project\":{\"name\":\"$2\",\"domain\":{\"id\":\"$dom\"}}}}}"
  local t0 t1 st
  t0=$(utcnow)
  st=$(curl -s -X POST -H 'Content-Type: application/json' -H 'Connection: close' -d "$body" \
    -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' "${URL[keystone]}/v3/auth/tokens")
  t1=$(utcnow)
  python3 -c "$PYREC" keystone "$1" POST /v3/auth/tokens 'Content-Type: application/json' "$body" "$st" \
    "$TMP/h" "$TMP/b" "$t0" "$t1" "$OUT/rest-keystone.jsonl"
  awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' "$TMP/h" | tr -d '\r'
}
tok_of() { echo "${TOK[$1]}"; }

# ---------------------------------------------------------------- waiting
server_field() { # who id python-expr-on-s
  peek nova "$1" "/v2.1/servers/$2" | python3 -c "import json,sys
try: s=json.load(sys.stdin)['server']
except Exception: print('GONE'); sys.exit()
print($3)"
}
wait_server() { # who id status [host] [timeout]: until status, no task_state (and on host);
  # polled as admin (a member does not see OS-EXT-SRV-ATTR:host), the final GET made as who
  local who=$1 id=$2 want=$3 host=${4:-} t=${5:-120} end got
  end=$(( $(date +%s) + t ))
  while :; do
    got=$(server_field admin "$id" "s['status']+' '+str(s.get('OS-EXT-STS:task_state'))+' '+str(s.get('OS-EXT-SRV-ATTR:host'))")
    if [ "$got" = "GONE" ] && [ "$want" = GONE ]; then break; fi
    set -- $got
    if [ "${1:-}" = "$want" ] && [ "${2:-}" = None ] && { [ -z "$host" ] || [ "${3:-}" = "$host" ]; }; then break; fi
    if [ "${1:-}" = ERROR ] && [ "$want" != GONE ]; then log "  server $id went ERROR"; call nova admin GET "/v2.1/servers/$id" > /dev/null; return 1; fi
    (( $(date +%s) > end )) && { log "  TIMEOUT: server $id is '$got', wanted $want $host"; return 1; }
    sleep 0.5
  done
  log "  server $id: $got"
  # one recorded GET: the state after the action
  [ "$want" = GONE ] || call nova "$who" GET "/v2.1/servers/$id" > /dev/null
}
wait_port_free() { # who port: until Nova has let go of the port (device_id empty)
  local end=$(( $(date +%s) + 60 ))
  until [ "$(peek neutron "$1" "/v2.0/ports/$2" | j port device_id)" = "" ]; do
    (( $(date +%s) > end )) && { log "  TIMEOUT: port $2 still attached"; return 1; }
    sleep 0.5
  done
}
wait_port_gone() { # who port: until Neutron no longer has it (Nova deletes the ports it made)
  local end=$(( $(date +%s) + 60 ))
  while peek neutron "$1" "/v2.0/ports/$2" | grep -q '"port"'; do
    (( $(date +%s) > end )) && { log "  TIMEOUT: port $2 still there"; return 1; }
    sleep 0.5
  done
}
port_exists() { peek neutron admin "/v2.0/ports/$1" | grep -q '"port"'; }
wait_migration() { # server: until its newest migration is completed/done
  local end=$(( $(date +%s) + 90 )) st
  while :; do
    st=$(peek nova admin "/v2.1/os-migrations?instance_uuid=$1" | python3 -c 'import json,sys
m=json.load(sys.stdin)["migrations"]; m.sort(key=lambda x: x["id"]); print(m[-1]["status"] if m else "none")')
    case $st in completed|done|confirmed|finished|reverted) break ;; error|failed) log "  migration $st"; return 1 ;; esac
    (( $(date +%s) > end )) && { log "  TIMEOUT: migration is $st"; return 1; }
    sleep 0.5
  done
}

# ---------------------------------------------------------------- run
bash "$HERE/stack.sh" status > /dev/null || die "the stack is not up: bash $HERE/stack.sh up"
rm -rf "$OUT"; mkdir -p "$OUT"
declare -A START
for f in "$BASE"/logs/notifications-*.jsonl; do START[$f]=$(wc -l < "$f"); done

/usr/bin/python3 "$HERE/amqp-tap.py" "$OUT" \
  nova:versioned_notifications.info,versioned_notifications.error,notifications.info,notifications.error \
  neutron:'notifications.*' keystone:'notifications.*' glance:'notifications.*' \
  > "$TMP/tap.out" 2> "$TMP/tap.err" &
TAP=$!
for _ in $(seq 1 40); do grep -q READY "$TMP/tap.out" 2>/dev/null && break; sleep 0.25; done
grep -q READY "$TMP/tap.out" || die "amqp-tap did not start: $(cat "$TMP/tap.err")"
trap 'kill $TAP 2>/dev/null; rm -rf "$TMP"' EXIT

PW=$ADMIN_PW; TOK[admin]=$(password_token admin admin)
[ -n "${TOK[admin]}" ] || die "no admin token"
ADMIN_PROJ=$(call keystone admin GET '/v3/projects?name=admin' | j projects 0 id)
MEMBER=$(call keystone admin GET '/v3/roles?name=member' | j roles 0 id)
READER=$(call keystone admin GET '/v3/roles?name=reader' | j roles 0 id)
ADMIN_USER=$(call keystone admin GET '/v3/users?name=admin' | j users 0 id)

# names are stable on a fresh stack; a second run on the same stack gets a suffix
X=""
[ "$(call keystone admin GET '/v3/projects?name=demo' | j projects)" = "[]" ] || X="-$(date +%s)"
log "keystone: a tenant 'demo$X' for the servers"
DEMO_PROJ=$(call keystone admin POST /v3/projects "{\"project\":{\"name\":\"demo$X\",\"domain_id\":\"default\",\"description\":\"servers of the capture run\"}}" | j project id)
DEMO_USER=$(call keystone admin POST /v3/users "{\"user\":{\"name\":\"demo$X\",\"domain_id\":\"default\",\"password\":\"demopw\",\"default_project_id\":\"$DEMO_PROJ\"}}" | j user id)
call keystone admin PUT "/v3/projects/$DEMO_PROJ/users/$DEMO_USER/roles/$MEMBER" > /dev/null
PW=demopw; TOK[demo]=$(password_token "demo$X" "demo$X")
[ -n "${TOK[demo]}" ] || die "no demo token"

# ================================================================ Neutron
log "neutron: networks, subnets, bulk ports, router interfaces"
NET=$(call neutron demo POST /v2.0/networks '{"network":{"name":"demo-net","admin_state_up":true}}' | j network id)
SUBNET=$(call neutron demo POST /v2.0/subnets "{\"subnet\":{\"name\":\"demo-subnet\",\"network_id\":\"$NET\",\"ip_version\":4,\"cidr\":\"10.10.0.0/24\"}}" | j subnet id)
NET2=$(call neutron demo POST /v2.0/networks '{"network":{"name":"demo-net2"}}' | j network id)
SUBNET2=$(call neutron demo POST /v2.0/subnets "{\"subnet\":{\"name\":\"demo-subnet2\",\"network_id\":\"$NET2\",\"ip_version\":4,\"cidr\":\"10.20.0.0/24\"}}" | j subnet id)
ANET=$(call neutron admin POST /v2.0/networks '{"network":{"name":"admin-net"}}' | j network id)
call neutron admin POST /v2.0/subnets "{\"subnet\":{\"name\":\"admin-subnet\",\"network_id\":\"$ANET\",\"ip_version\":4,\"cidr\":\"10.30.0.0/24\"}}" > /dev/null

BULK=$(call neutron demo POST /v2.0/ports "{\"ports\":[{\"name\":\"bulk-1\",\"network_id\":\"$NET\"},{\"name\":\"bulk-2\",\"network_id\":\"$NET\",\"description\":\"second of a bulk create\"},{\"name\":\"bulk-3\",\"network_id\":\"$NET2\",\"fixed_ips\":[{\"subnet_id\":\"$SUBNET2\",\"ip_address\":\"10.20.0.50\"}]}]}")
B1=$(echo "$BULK" | j ports 0 id); B2=$(echo "$BULK" | j ports 1 id); B3=$(echo "$BULK" | j ports 2 id)
call neutron demo PUT "/v2.0/ports/$B1" '{"port":{"name":"bulk-1-renamed","description":"updated","admin_state_up":false}}' > /dev/null
call neutron demo PUT "/v2.0/ports/$B1" "{\"port\":{\"device_id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"device_owner\":\"compute:nova\"}}" > /dev/null
call neutron demo DELETE "/v2.0/ports/$B2" > /dev/null
ROUTER=$(call neutron demo POST /v2.0/routers '{"router":{"name":"demo-router","admin_state_up":true}}' | j router id)
call neutron demo PUT "/v2.0/routers/$ROUTER" '{"router":{"description":"capture router"}}' > /dev/null
call neutron demo PUT "/v2.0/routers/$ROUTER/add_router_interface" "{\"subnet_id\":\"$SUBNET\"}" > /dev/null
call neutron demo PUT "/v2.0/routers/$ROUTER/add_router_interface" "{\"port_id\":\"$B3\"}" > /dev/null
call neutron demo GET "/v2.0/ports?device_id=$ROUTER" > /dev/null
call neutron demo PUT "/v2.0/routers/$ROUTER/remove_router_interface" "{\"subnet_id\":\"$SUBNET\"}" > /dev/null
call neutron demo PUT "/v2.0/routers/$ROUTER/remove_router_interface" "{\"port_id\":\"$B3\"}" > /dev/null
# scratch network and subnet: create and delete
SNET=$(call neutron demo POST /v2.0/networks '{"network":{"name":"scratch-net"}}' | j network id)
SSUB=$(call neutron demo POST /v2.0/subnets "{\"subnet\":{\"name\":\"scratch-subnet\",\"network_id\":\"$SNET\",\"ip_version\":4,\"cidr\":\"10.99.0.0/24\"}}" | j subnet id)
call neutron demo PUT "/v2.0/networks/$SNET" '{"network":{"name":"scratch-net-renamed"}}' > /dev/null
call neutron demo PUT "/v2.0/subnets/$SSUB" '{"subnet":{"name":"scratch-subnet-renamed"}}' > /dev/null
call neutron demo DELETE "/v2.0/subnets/$SSUB" > /dev/null
call neutron demo DELETE "/v2.0/networks/$SNET" > /dev/null
call neutron demo DELETE "/v2.0/routers/$ROUTER" > /dev/null

log "neutron: admin creates for the demo project (project_id, tenant_id), shared networks"
PNET=$(call neutron admin POST /v2.0/networks "{\"network\":{\"name\":\"demo-net-by-admin\",\"project_id\":\"$DEMO_PROJ\"}}" | j network id)
TNET=$(call neutron admin POST /v2.0/networks "{\"network\":{\"name\":\"demo-net-by-admin-legacy\",\"tenant_id\":\"$DEMO_PROJ\"}}" | j network id)
call neutron admin POST /v2.0/subnets "{\"subnet\":{\"name\":\"demo-subnet-by-admin\",\"network_id\":\"$PNET\",\"ip_version\":4,\"cidr\":\"10.40.0.0/24\",\"project_id\":\"$DEMO_PROJ\"}}" > /dev/null
SHNET=$(call neutron admin POST /v2.0/networks '{"network":{"name":"shared-net","shared":true}}' | j network id)
call neutron admin POST /v2.0/subnets "{\"subnet\":{\"name\":\"shared-subnet\",\"network_id\":\"$SHNET\",\"ip_version\":4,\"cidr\":\"10.50.0.0/24\"}}" > /dev/null
# a member may not share (policy create_network:shared / update_network:shared is admin-only)
call neutron demo POST /v2.0/networks '{"network":{"name":"demo-shared-attempt","shared":true}}' > /dev/null
call neutron demo PUT "/v2.0/networks/$NET2" '{"network":{"shared":true}}' > /dev/null
call neutron admin PUT "/v2.0/networks/$TNET" '{"network":{"shared":true}}' > /dev/null
call neutron admin PUT "/v2.0/networks/$TNET" '{"network":{"shared":false}}' > /dev/null
# the demo project's network as others see it while shared
call neutron admin GET "/v2.0/networks?shared=true" > /dev/null
AROUTER=$(call neutron admin POST /v2.0/routers "{\"router\":{\"name\":\"demo-router-by-admin\",\"project_id\":\"$DEMO_PROJ\"}}" | j router id)
call neutron admin PUT "/v2.0/routers/$AROUTER/add_router_interface" "{\"subnet_id\":\"$SUBNET2\"}" > /dev/null

log "neutron: single ports with fixed_ips, project_id, tenant_id, device_owner/device_id"
PF=$(call neutron demo POST /v2.0/ports "{\"port\":{\"name\":\"port-fixed\",\"network_id\":\"$NET\",\"fixed_ips\":[{\"subnet_id\":\"$SUBNET\"}]}}" | j port id)
PP=$(call neutron admin POST /v2.0/ports "{\"port\":{\"name\":\"port-for-demo\",\"network_id\":\"$NET\",\"project_id\":\"$DEMO_PROJ\",\"fixed_ips\":[{\"subnet_id\":\"$SUBNET\"}]}}" | j port id)
PD=$(call neutron admin POST /v2.0/ports "{\"port\":{\"name\":\"port-dhcp\",\"network_id\":\"$NET2\",\"tenant_id\":\"$DEMO_PROJ\",\"device_owner\":\"network:dhcp\",\"device_id\":\"dhcp-test\",\"fixed_ips\":[{\"subnet_id\":\"$SUBNET2\"}]}}" | j port id)
# the network owner (a member) may create a network:* port on its own network
PD2=$(call neutron demo POST /v2.0/ports "{\"port\":{\"name\":\"port-dhcp-by-owner\",\"network_id\":\"$NET\",\"device_owner\":\"network:dhcp\",\"device_id\":\"dhcp-owner\"}}" | j port id)
log "neutron: bulk ports (admin) with project_id, tenant_id, device_owner, device_id, fixed_ips"
ABULK=$(call neutron admin POST /v2.0/ports "{\"ports\":[{\"name\":\"abulk-1\",\"network_id\":\"$NET\",\"project_id\":\"$DEMO_PROJ\",\"fixed_ips\":[{\"subnet_id\":\"$SUBNET\"}]},{\"name\":\"abulk-2\",\"network_id\":\"$NET\",\"tenant_id\":\"$DEMO_PROJ\",\"device_owner\":\"network:dhcp\",\"device_id\":\"dhcp-bulk\"},{\"name\":\"abulk-3\",\"network_id\":\"$ANET\",\"device_owner\":\"compute:nova\",\"device_id\":\"$(cat /proc/sys/kernel/random/uuid)\"}]}")
AB=$(echo "$ABULK" | python3 -c 'import json,sys; print(" ".join(p["id"] for p in json.load(sys.stdin).get("ports", [])))' 2>/dev/null)
log "neutron: port tags; host bindings (the port-bindings extension, as Nova's live migration uses it)"
call neutron demo PUT "/v2.0/ports/$PF/tags" '{"tags":["capture","blue"]}' > /dev/null
call neutron demo PUT "/v2.0/ports/$PF/tags/green" > /dev/null
call neutron demo DELETE "/v2.0/ports/$PF/tags/blue" > /dev/null
PBIND=$(call neutron admin POST /v2.0/ports "{\"port\":{\"name\":\"port-bindings\",\"network_id\":\"$ANET\",\"binding:host_id\":\"compute1\",\"device_owner\":\"compute:nova\",\"device_id\":\"$(cat /proc/sys/kernel/random/uuid)\"}}" | j port id)
call neutron admin POST "/v2.0/ports/$PBIND/bindings" '{"binding":{"host":"compute2"}}' > /dev/null
call neutron admin PUT "/v2.0/ports/$PBIND/bindings/compute2" '{"binding":{"profile":{"migrating_to":"compute2"}}}' > /dev/null
call neutron admin PUT "/v2.0/ports/$PBIND/bindings/compute2/activate" > /dev/null
call neutron admin DELETE "/v2.0/ports/$PBIND/bindings/compute1" > /dev/null
call neutron admin GET "/v2.0/ports/$PBIND/bindings" > /dev/null

# ================================================================ Nova
IMAGE=$(call glance admin GET '/v2/images?name=tiny' | j images 0 id)
log "nova: server A (admin project) on a pre-created port, forced onto compute1"
PA=$(call neutron admin POST /v2.0/ports "{\"port\":{\"name\":\"port-a\",\"network_id\":\"$ANET\"}}" | j port id)
A=$(call nova admin POST /v2.1/servers "{\"server\":{\"name\":\"server-a\",\"imageRef\":\"$IMAGE\",\"flavorRef\":\"1\",\"networks\":[{\"port\":\"$PA\"}],\"host\":\"compute1\",\"metadata\":{\"purpose\":\"capture\"}}}" | j server id)
[ -n "$A" ] || die "server A was not created"
wait_server admin "$A" ACTIVE compute1 || die "server A did not become ACTIVE"
call neutron admin GET "/v2.0/ports/$PA" > /dev/null

log "nova: server B (demo project) on a network, Nova creates the port"
B=$(call nova demo POST /v2.1/servers "{\"server\":{\"name\":\"server-b\",\"imageRef\":\"$IMAGE\",\"flavorRef\":\"1\",\"networks\":[{\"uuid\":\"$NET\"}]}}" | j server id)
[ -n "$B" ] || die "server B was not created"
wait_server demo "$B" ACTIVE || die "server B did not become ACTIVE"
call nova demo GET "/v2.1/servers/$B/os-interface" > /dev/null
PBN=$(peek neutron admin "/v2.0/ports?device_id=$B" | j ports 0 id)   # the port Nova made for B

log "nova: interface attach/detach (pre-created port) on B"
PB2=$(call neutron demo POST /v2.0/ports "{\"port\":{\"name\":\"port-b2\",\"network_id\":\"$NET2\"}}" | j port id)
call nova demo POST "/v2.1/servers/$B/os-interface" "{\"interfaceAttachment\":{\"port_id\":\"$PB2\"}}" > /dev/null
wait_server demo "$B" ACTIVE
call nova demo GET "/v2.1/servers/$B/os-interface" > /dev/null
call nova demo DELETE "/v2.1/servers/$B/os-interface/$PB2" > /dev/null
wait_port_free demo "$PB2"; wait_server demo "$B" ACTIVE
call neutron demo GET "/v2.0/ports/$PB2" > /dev/null

log "nova: interface attach by network (Nova creates the port) and detach (Nova deletes it) on B"
PNA=$(call nova demo POST "/v2.1/servers/$B/os-interface" "{\"interfaceAttachment\":{\"net_id\":\"$NET2\"}}" | j interfaceAttachment port_id)
wait_server demo "$B" ACTIVE
if [ -n "$PNA" ]; then
  call neutron demo GET "/v2.0/ports/$PNA" > /dev/null
  call nova demo DELETE "/v2.1/servers/$B/os-interface/$PNA" > /dev/null
  wait_port_gone demo "$PNA"; wait_server demo "$B" ACTIVE
  call nova demo GET "/v2.1/servers/$B/os-interface" > /dev/null
fi

log "nova: rename B"
call nova demo PUT "/v2.1/servers/$B" '{"server":{"name":"server-b-renamed"}}' > /dev/null

log "nova: live migration of A compute1 -> compute2 (host given), then host null"
call nova admin POST "/v2.1/servers/$A/action" '{"os-migrateLive":{"host":"compute2","block_migration":"auto"}}' > /dev/null
wait_server admin "$A" ACTIVE compute2 && wait_migration "$A"
call neutron admin GET "/v2.0/ports/$PA" > /dev/null
call nova admin POST "/v2.1/servers/$A/action" '{"os-migrateLive":{"host":null,"block_migration":"auto"}}' > /dev/null
wait_server admin "$A" ACTIVE compute1 && wait_migration "$A"
call nova admin GET "/v2.1/servers/$A/migrations" > /dev/null
call nova admin GET "/v2.1/os-migrations?instance_uuid=$A" > /dev/null

log "nova: cold migration of A to compute2 (host given, 2.56+) and confirm"
call nova admin POST "/v2.1/servers/$A/action" '{"migrate":{"host":"compute2"}}' > /dev/null
wait_server admin "$A" VERIFY_RESIZE compute2
call nova admin POST "/v2.1/servers/$A/action" '{"confirmResize":null}' > /dev/null
wait_server admin "$A" ACTIVE compute2 && wait_migration "$A"
call neutron admin GET "/v2.0/ports/$PA" > /dev/null

log "nova: reboot, stop, start, snapshot on B"
call nova demo POST "/v2.1/servers/$B/action" '{"reboot":{"type":"SOFT"}}' > /dev/null
wait_server demo "$B" ACTIVE
call nova demo POST "/v2.1/servers/$B/action" '{"os-stop":null}' > /dev/null
wait_server demo "$B" SHUTOFF
call nova demo POST "/v2.1/servers/$B/action" '{"os-start":null}' > /dev/null
wait_server demo "$B" ACTIVE
SNAP=$(call nova demo POST "/v2.1/servers/$B/action" '{"createImage":{"name":"server-b-snapshot","metadata":{"kind":"capture"}}}' | j image_id)
wait_server demo "$B" ACTIVE
[ -n "$SNAP" ] && call glance demo GET "/v2/images/$SNAP" > /dev/null

log "nova: resize + confirm on B (to the other host)"
BHOST=$(server_field admin "$B" "s.get('OS-EXT-SRV-ATTR:host')")
call nova demo POST "/v2.1/servers/$B/action" '{"resize":{"flavorRef":"2"}}' > /dev/null
wait_server demo "$B" VERIFY_RESIZE
call nova demo POST "/v2.1/servers/$B/action" '{"confirmResize":null}' > /dev/null
wait_server demo "$B" ACTIVE
BHOST=$(server_field admin "$B" "s.get('OS-EXT-SRV-ATTR:host')")
log "  B is on $BHOST"

log "nova: resize + revert on B (to the other host and back)"
call nova demo POST "/v2.1/servers/$B/action" '{"resize":{"flavorRef":"1"}}' > /dev/null
wait_server demo "$B" VERIFY_RESIZE
call nova demo POST "/v2.1/servers/$B/action" '{"revertResize":null}' > /dev/null
wait_server demo "$B" ACTIVE "$BHOST" && wait_migration "$B"
call neutron demo GET "/v2.0/ports?device_id=$B" > /dev/null

log "nova: shelve, shelve_offload, unshelve on B"
call nova demo POST "/v2.1/servers/$B/action" '{"shelve":null}' > /dev/null
wait_server demo "$B" SHELVED
call nova admin POST "/v2.1/servers/$B/action" '{"shelveOffload":null}' > /dev/null   # admin-only
wait_server demo "$B" SHELVED_OFFLOADED
call neutron demo GET "/v2.0/ports?device_id=$B" > /dev/null
call nova demo POST "/v2.1/servers/$B/action" '{"unshelve":null}' > /dev/null
wait_server demo "$B" ACTIVE
call neutron demo GET "/v2.0/ports?device_id=$B" > /dev/null

log "nova: shelve, shelve_offload, unshelve to a host (2.91, admin) on B"
call nova demo POST "/v2.1/servers/$B/action" '{"shelve":null}' > /dev/null
wait_server demo "$B" SHELVED
call nova admin POST "/v2.1/servers/$B/action" '{"shelveOffload":null}' > /dev/null
wait_server demo "$B" SHELVED_OFFLOADED
# a member may not pick the host (os_compute_api:os-shelve:unshelve_to_host is admin-only)
MV=2.91 call nova demo POST "/v2.1/servers/$B/action" '{"unshelve":{"availability_zone":null,"host":"compute1"}}' > /dev/null
MV=2.91 call nova admin POST "/v2.1/servers/$B/action" '{"unshelve":{"availability_zone":null,"host":"compute1"}}' > /dev/null
wait_server demo "$B" ACTIVE compute1
call neutron demo GET "/v2.0/ports?device_id=$B" > /dev/null

SVC1=$(call nova admin GET '/v2.1/os-services?binary=nova-compute&host=compute1' | j services 0 id)
SVC2=$(call nova admin GET '/v2.1/os-services?binary=nova-compute&host=compute2' | j services 0 id)
log "nova: evacuate A off compute2 (forced down) to compute1 (host given)"
call nova admin PUT "/v2.1/os-services/$SVC2" '{"forced_down":true}' > /dev/null
call nova admin POST "/v2.1/servers/$A/action" '{"evacuate":{"host":"compute1"}}' > /dev/null
wait_server admin "$A" ACTIVE compute1 && wait_migration "$A"
call nova admin GET "/v2.1/os-migrations?instance_uuid=$A&migration_type=evacuation" > /dev/null
bash "$HERE/stack.sh" restart-compute compute2
call nova admin PUT "/v2.1/os-services/$SVC2" '{"forced_down":false}' > /dev/null
call neutron admin GET "/v2.0/ports/$PA" > /dev/null

log "nova: evacuate A off compute1 (forced down), the scheduler picks the host"
call nova admin PUT "/v2.1/os-services/$SVC1" '{"forced_down":true}' > /dev/null
call nova admin POST "/v2.1/servers/$A/action" '{"evacuate":{}}' > /dev/null
wait_server admin "$A" ACTIVE compute2 && wait_migration "$A"
call nova admin GET "/v2.1/os-migrations?instance_uuid=$A&migration_type=evacuation" > /dev/null
# Nova refuses (400) to force the host up while `done` evacuation records remain: they turn
# `completed` when compute1's nova-compute restarts and destroys its copy of the server
call nova admin PUT "/v2.1/os-services/$SVC1" '{"forced_down":false}' > /dev/null
bash "$HERE/stack.sh" restart-compute compute1
call nova admin PUT "/v2.1/os-services/$SVC1" '{"forced_down":false}' > /dev/null
call nova admin GET "/v2.1/os-migrations?instance_uuid=$A&migration_type=evacuation" > /dev/null
call neutron admin GET "/v2.0/ports/$PA" > /dev/null

# list-API snapshots while the servers exist
sleep 2
peek nova admin '/v2.1/servers/detail?all_tenants=1' | python3 -m json.tool > "$OUT/snapshot-servers.json"
peek neutron admin '/v2.0/ports' | python3 -m json.tool > "$OUT/snapshot-ports.json"
peek nova admin '/v2.1/os-migrations' | python3 -m json.tool > "$OUT/snapshot-migrations.json"
peek nova admin '/v2.1/os-services' | python3 -m json.tool > "$OUT/snapshot-compute-services.json"
peek neutron admin '/v2.0/agents' | python3 -m json.tool > "$OUT/snapshot-agents.json"

# ================================================================ Keystone
log "keystone: domain, groups, memberships, domain and inherited assignments, roles"
call keystone admin GET '/v3/role_assignments?effective&include_names' > "$OUT/snapshot-role-assignments-effective-before.json"
DOM=$(call keystone admin POST /v3/domains "{\"domain\":{\"name\":\"capture-dom$X\",\"description\":\"domain of the capture run\"}}" | j domain id)
call keystone admin PATCH "/v3/domains/$DOM" '{"domain":{"description":"updated"}}' > /dev/null
U1=$(call keystone admin POST /v3/users "{\"user\":{\"name\":\"alice\",\"domain_id\":\"$DOM\",\"password\":\"alicepw\"}}" | j user id)
U2=$(call keystone admin POST /v3/users "{\"user\":{\"name\":\"bob\",\"domain_id\":\"$DOM\",\"password\":\"bobpw\"}}" | j user id)
U3=$(call keystone admin POST /v3/users "{\"user\":{\"name\":\"carol\",\"domain_id\":\"$DOM\",\"password\":\"carolpw\"}}" | j user id)
call keystone admin PATCH "/v3/users/$U1" '{"user":{"description":"updated","email":"alice@example.org"}}' > /dev/null
call keystone admin PATCH "/v3/users/$U3" '{"user":{"enabled":false}}' > /dev/null
P1=$(call keystone admin POST /v3/projects "{\"project\":{\"name\":\"capture-proj\",\"domain_id\":\"$DOM\"}}" | j project id)
P2=$(call keystone admin POST /v3/projects "{\"project\":{\"name\":\"capture-subproj\",\"domain_id\":\"$DOM\",\"parent_id\":\"$P1\"}}" | j project id)
P3=$(call keystone admin POST /v3/projects "{\"project\":{\"name\":\"capture-scratch\",\"domain_id\":\"$DOM\"}}" | j project id)
call keystone admin PATCH "/v3/projects/$P1" '{"project":{"description":"updated"}}' > /dev/null
# Keystone keeps unknown project attributes ("extra") and lists them: an avoid-list
call keystone admin PATCH "/v3/projects/$P1" "{\"project\":{\"avoid\":[\"$DEMO_PROJ\"]}}" > /dev/null
G1=$(call keystone admin POST /v3/groups "{\"group\":{\"name\":\"capture-admins\",\"domain_id\":\"$DOM\",\"description\":\"group of the capture run\"}}" | j group id)
G2=$(call keystone admin POST /v3/groups "{\"group\":{\"name\":\"capture-tmp\",\"domain_id\":\"$DOM\"}}" | j group id)
call keystone admin PATCH "/v3/groups/$G1" '{"group":{"description":"updated description"}}' > /dev/null
call keystone admin PATCH "/v3/groups/$G2" '{"group":{"name":"capture-tmp-renamed"}}' > /dev/null
call keystone admin PUT "/v3/groups/$G1/users/$U1" > /dev/null
call keystone admin PUT "/v3/groups/$G1/users/$U2" > /dev/null
call keystone admin PUT "/v3/groups/$G2/users/$U2" > /dev/null
call keystone admin HEAD "/v3/groups/$G1/users/$U1" > /dev/null
call keystone admin GET "/v3/users/$U2/groups" > /dev/null
# roles: one of the domain (domain_id), one global
DROLE=$(call keystone admin POST /v3/roles "{\"role\":{\"name\":\"capture-dom-role\",\"domain_id\":\"$DOM\",\"description\":\"a domain-specific role\"}}" | j role id)
GROLE=$(call keystone admin POST /v3/roles "{\"role\":{\"name\":\"capture-role$X\",\"description\":\"a global role\"}}" | j role id)
# user and group roles on a project and on a domain
call keystone admin PUT "/v3/projects/$P1/users/$U1/roles/$READER" > /dev/null
call keystone admin PUT "/v3/projects/$P1/groups/$G1/roles/$MEMBER" > /dev/null
call keystone admin PUT "/v3/projects/$DEMO_PROJ/groups/$G1/roles/$READER" > /dev/null
call keystone admin PUT "/v3/domains/$DOM/users/$U1/roles/$READER" > /dev/null
call keystone admin PUT "/v3/domains/$DOM/groups/$G1/roles/$READER" > /dev/null
[ -n "$GROLE" ] && call keystone admin PUT "/v3/projects/$P3/users/$U3/roles/$GROLE" > /dev/null
# inherited: domain -> its projects, project -> its subprojects; user and group variants
call keystone admin PUT "/v3/OS-INHERIT/domains/$DOM/users/$U1/roles/$MEMBER/inherited_to_projects" > /dev/null
call keystone admin PUT "/v3/OS-INHERIT/domains/$DOM/groups/$G1/roles/$MEMBER/inherited_to_projects" > /dev/null
call keystone admin PUT "/v3/OS-INHERIT/projects/$P1/users/$U2/roles/$MEMBER/inherited_to_projects" > /dev/null
call keystone admin PUT "/v3/OS-INHERIT/projects/$P1/groups/$G2/roles/$READER/inherited_to_projects" > /dev/null
call keystone admin GET "/v3/OS-INHERIT/domains/$DOM/users/$U1/roles/inherited_to_projects" > /dev/null
call keystone admin HEAD "/v3/OS-INHERIT/projects/$P1/groups/$G2/roles/$READER/inherited_to_projects" > /dev/null
call keystone admin GET '/v3/role_assignments?effective&include_names' > "$OUT/snapshot-role-assignments-effective-during.json"
call keystone admin GET "/v3/role_assignments?effective&include_names&user.id=$U2" > /dev/null
call keystone admin GET "/v3/role_assignments?include_names&scope.OS-INHERIT:inherited_to=projects" > /dev/null

# ================================================================ snapshots while everything exists
log "snapshots: list APIs and pvsc snapshot (servers on both hosts, groups, all assignment kinds)"
peek keystone admin '/v3/role_assignments?include_names' | python3 -m json.tool > "$OUT/snapshot-role-assignments.json"
peek keystone admin '/v3/groups' | python3 -m json.tool > "$OUT/snapshot-groups.json"
for g in $(peek keystone admin '/v3/groups' | python3 -c 'import json,sys; print(" ".join(g["id"] for g in json.load(sys.stdin)["groups"]))'); do
  peek keystone admin "/v3/groups/$g/users"
done | python3 -c 'import json,sys
dec=json.JSONDecoder(); s=sys.stdin.read(); i=0; out=[]
while i < len(s):
    while i < len(s) and s[i].isspace(): i+=1
    if i >= len(s): break
    o,i=dec.raw_decode(s,i); out.append(o)
print(json.dumps(out, indent=2))' > "$OUT/snapshot-group-members.json"
{ peek keystone admin '/v3/roles'; peek keystone admin "/v3/roles?domain_id=$DOM"; } | python3 -c 'import json,sys
dec=json.JSONDecoder(); s=sys.stdin.read(); i=0; roles=[]
while i < len(s):
    while i < len(s) and s[i].isspace(): i+=1
    if i >= len(s): break
    o,i=dec.raw_decode(s,i); roles += o["roles"]
print(json.dumps({"roles": roles}, indent=4))' > "$OUT/snapshot-roles.json"   # global and domain roles
for f in "$OUT"/snapshot-role-assignments-effective-*.json; do python3 -m json.tool "$f" > "$f.tmp" && mv "$f.tmp" "$f"; done
( set -a; . "$BASE/adminrc"; set +a
  cd "$ROOT" && HOME=${HOME:-/root} "$GO" run ./cmd/pvsc snapshot --out "$OUT/pvsc-snapshot.json" ) >&2 \
  || log "  pvsc snapshot FAILED"
[ -s "$OUT/pvsc-snapshot.json" ] && sed -i -E 's/gAAAAA[A-Za-z0-9_=-]+/***/g' "$OUT/pvsc-snapshot.json"

# ================================================================ take it back
log "keystone: revoke every kind of assignment, delete roles, a user, a project, the domain"
call keystone admin DELETE "/v3/groups/$G1/users/$U2" > /dev/null
call keystone admin DELETE "/v3/projects/$P1/users/$U1/roles/$READER" > /dev/null
call keystone admin DELETE "/v3/OS-INHERIT/projects/$P1/users/$U2/roles/$MEMBER/inherited_to_projects" > /dev/null
call keystone admin DELETE "/v3/OS-INHERIT/projects/$P1/groups/$G2/roles/$READER/inherited_to_projects" > /dev/null
call keystone admin DELETE "/v3/OS-INHERIT/domains/$DOM/users/$U1/roles/$MEMBER/inherited_to_projects" > /dev/null
call keystone admin DELETE "/v3/OS-INHERIT/domains/$DOM/groups/$G1/roles/$MEMBER/inherited_to_projects" > /dev/null
call keystone admin DELETE "/v3/domains/$DOM/users/$U1/roles/$READER" > /dev/null
call keystone admin DELETE "/v3/domains/$DOM/groups/$G1/roles/$READER" > /dev/null
call keystone admin DELETE "/v3/projects/$DEMO_PROJ/groups/$G1/roles/$READER" > /dev/null
call keystone admin DELETE "/v3/groups/$G2" > /dev/null
[ -n "$DROLE" ] && call keystone admin DELETE "/v3/roles/$DROLE" > /dev/null
# a role still assigned (U3 on P3): Keystone deletes the assignments with it
[ -n "$GROLE" ] && call keystone admin DELETE "/v3/roles/$GROLE" > /dev/null
call keystone admin DELETE "/v3/users/$U3" > /dev/null
call keystone admin PATCH "/v3/projects/$P3" '{"project":{"enabled":false}}' > /dev/null
call keystone admin DELETE "/v3/projects/$P3" > /dev/null
call keystone admin GET '/v3/role_assignments?effective&include_names' > "$OUT/snapshot-role-assignments-effective-after.json"
python3 -m json.tool "$OUT/snapshot-role-assignments-effective-after.json" > "$TMP/ra" && cp "$TMP/ra" "$OUT/snapshot-role-assignments-effective-after.json"
# a domain is deleted disabled; its projects, users and groups go with it
call keystone admin DELETE "/v3/domains/$DOM" > /dev/null    # refused while enabled
call keystone admin PATCH "/v3/domains/$DOM" '{"domain":{"enabled":false}}' > /dev/null
call keystone admin DELETE "/v3/domains/$DOM" > /dev/null

log "neutron: a port as Nova makes it (device_owner compute:nova, device_id = B), and the one-call move"
PN=$(call neutron demo POST /v2.0/ports "{\"port\":{\"name\":\"port-as-nova\",\"network_id\":\"$NET\",\"device_owner\":\"compute:nova\",\"device_id\":\"$B\"}}" | j port id)
# OSSA-2015-018: the network owner turns B's bound port into a network port in one call
[ -n "$PBN" ] && call neutron demo PUT "/v2.0/ports/$PBN" '{"port":{"device_owner":"network:dhcp","device_id":""}}' > /dev/null
[ -n "$PBN" ] && call neutron admin GET "/v2.0/ports/$PBN" > /dev/null   # admin: binding:* shown

log "nova: delete A and B"
call nova admin DELETE "/v2.1/servers/$A" > /dev/null
call nova demo DELETE "/v2.1/servers/$B" > /dev/null
wait_server admin "$A" GONE; wait_server demo "$B" GONE
call neutron admin GET "/v2.0/ports/$PA" > /dev/null
call neutron admin DELETE "/v2.0/ports/$PA" > /dev/null
call neutron demo DELETE "/v2.0/ports/$PB2" > /dev/null
call neutron demo DELETE "/v2.0/ports/$B1" > /dev/null
for p in $PBN $PN $PF $PP $PD $PD2 $PBIND $AB; do
  port_exists "$p" && call neutron admin DELETE "/v2.0/ports/$p" > /dev/null
done
call neutron admin PUT "/v2.0/routers/$AROUTER/remove_router_interface" "{\"subnet_id\":\"$SUBNET2\"}" > /dev/null
call neutron admin DELETE "/v2.0/routers/$AROUTER" > /dev/null
for n in $SHNET $PNET $TNET; do call neutron admin DELETE "/v2.0/networks/$n" > /dev/null; done
[ -n "$SNAP" ] && call glance demo DELETE "/v2/images/$SNAP" > /dev/null

# ================================================================ collect
log "collecting notifications (settling 5 s)"
sleep 5
peek neutron admin '/v2.0/ports' | python3 -m json.tool > "$OUT/snapshot-ports-after.json"
peek nova admin '/v2.1/servers/detail?all_tenants=1&deleted=true' | python3 -m json.tool > "$OUT/snapshot-servers-after.json"

kill "$TAP"; wait "$TAP" 2>/dev/null
for f in "$BASE"/logs/notifications-*.jsonl; do
  n=${START[$f]:-0}
  tail -n +"$((n + 1))" "$f" | sed -E 's/gAAAAA[A-Za-z0-9_=-]+/***/g' > "$OUT/$(basename "$f")"
  [ -s "$OUT/$(basename "$f")" ] || rm -f "$OUT/$(basename "$f")"
done
/usr/bin/python3 "$HERE/capture-index.py" "$OUT" > "$OUT/INDEX.md"
log "done: $(ls "$OUT" | wc -l) files in $OUT in $SECONDS s"
