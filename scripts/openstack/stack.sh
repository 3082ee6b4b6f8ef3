#!/bin/bash
# A real OpenStack control plane (Keystone + Neutron with ML2 and no agents, RabbitMQ, MariaDB)
# from Debian 12's packages on 127.0.0.1, without systemd or containers, for pvsc's end-to-end
# tests. Adapted from shared/openstack/bringup.sh so that the project (and its CI) carries its own.
#
#   stack.sh install   # apt-get the packages; skips apt when they are all present (root)
#   stack.sh up        # wipe $BASE, start MariaDB, RabbitMQ, Keystone :5000, Neutron :9696
#   stack.sh down      # stop what `up` started, by pidfile
#   stack.sh status    # exit 0 iff every service is running and answering
#   stack.sh ensure    # install if missing, then up unless already running and healthy
#   stack.sh rabbitmqctl ARGS...   # rabbitmqctl against this stack's broker (tests use it)
#
# Environment: BASE (state dir, default /tmp/pvsc-openstack), ADMIN_PW (default adminpw).
# Notifications: one JSON object per line in $BASE/logs/notifications-{keystone,neutron}.jsonl
# and on RabbitMQ 127.0.0.1:5672 (guest/guest), topic exchanges "keystone" and "neutron",
# routing key "notifications.info", body {"oslo.version": "2.0", "oslo.message": "<json>"}.
#
# Nova is left out on purpose: booting a server needs Glance, Placement and a compute driver;
# a VM attach is modelled as the port update that sets device_id and device_owner=compute:nova.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin      # Debian's /usr/bin/python3, not a pyenv shim
BASE=${BASE:-/tmp/pvsc-openstack}
ADMIN_PW=${ADMIN_PW:-adminpw}
DB_PW=ospw
KS_PORT=5000
NEUTRON_PORT=9696
AMQP_PORT=5672
PORTS="3306 4369 $AMQP_PORT 25672 $KS_PORT $NEUTRON_PORT"
PACKAGES="keystone neutron-server rabbitmq-server mariadb-server python3-pymysql curl iproute2"

log() { echo "[$(date +%T)] $*" >&2; }

wait_for() { # desc timeout_s cmd...
  local desc=$1 t=$2; shift 2
  local end=$(( $(date +%s) + t ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) > end )); then log "TIMEOUT waiting for $desc (logs in $BASE/logs)"; return 1; fi
    sleep 0.25
  done
  log "$desc ready"
}

# start a command in its own session; the pidfile holds the session leader's pid (== pgid),
# so `down` can stop the whole process group (uwsgi and neutron fork workers)
spawn() { # name cmd...
  local name=$1; shift
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$BASE/run/$name.pid" "$@" \
    < /dev/null > "$BASE/logs/$name.out" 2>&1 &
}

installed() { # true iff every package is installed
  local p
  for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || return 1
  done
}

do_install() {
  if installed; then log "packages already installed"; return 0; fi
  [ "$(id -u)" = 0 ] || { log "install needs root"; exit 1; }
  # policy-rc.d exiting 101 keeps the packages from starting their own daemons on the
  # default ports; remove it afterwards only if we were the ones who put it there
  local ours=
  if [ ! -x /usr/sbin/policy-rc.d ] || ! grep -q 'exit 101' /usr/sbin/policy-rc.d; then
    [ -e /usr/sbin/policy-rc.d ] && mv /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.pvsc-saved
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    ours=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  local t0=$(date +%s) rc=0
  { apt-get update && apt-get install -y --no-install-recommends $PACKAGES; } || rc=$?
  if [ -n "$ours" ]; then
    rm -f /usr/sbin/policy-rc.d
    [ -e /usr/sbin/policy-rc.d.pvsc-saved ] && mv /usr/sbin/policy-rc.d.pvsc-saved /usr/sbin/policy-rc.d
  fi
  (( rc == 0 )) || { log "apt-get failed ($rc)"; exit $rc; }
  log "installed in $(( $(date +%s) - t0 ))s"
}

write_configs() {
  mkdir -p "$BASE"/{etc/keystone/fernet-keys,etc/keystone/credential-keys,etc/neutron,logs,run,mysql/data,rabbit/mnesia,rabbit/log,neutron-state/lock}

  cat > "$BASE/etc/my.cnf" <<EOF
[mysqld]
datadir = $BASE/mysql/data
socket = $BASE/run/mysql.sock
pid-file = $BASE/run/mysqld.pid
bind-address = 127.0.0.1
port = 3306
user = root
log-error = $BASE/logs/mysqld.err
skip-name-resolve
innodb_buffer_pool_size = 128M
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite = 0
max_connections = 500
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
[client]
socket = $BASE/run/mysql.sock
EOF

  cat > "$BASE/etc/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
loopback_users = none
log.console = false
EOF
  echo '[].' > "$BASE/rabbit/enabled_plugins"

  local svc
  for svc in keystone neutron; do
    cat > "$BASE/etc/logging-$svc.conf" <<EOF
[loggers]
keys = root, notif
[handlers]
keys = file, notif
[formatters]
keys = std, raw
[logger_root]
level = INFO
handlers = file
[logger_notif]
level = INFO
handlers = notif
qualname = oslo.messaging.notification
propagate = 0
[handler_file]
class = FileHandler
args = ('$BASE/logs/$svc.log', 'a')
formatter = std
[handler_notif]
class = FileHandler
args = ('$BASE/logs/notifications-$svc.jsonl', 'a')
formatter = raw
[formatter_std]
format = %(asctime)s %(process)d %(levelname)s %(name)s %(message)s
[formatter_raw]
format = %(message)s
EOF
  done

  cat > "$BASE/etc/keystone/keystone.conf" <<EOF
[DEFAULT]
log_config_append = $BASE/etc/logging-keystone.conf
transport_url = rabbit://guest:guest@127.0.0.1:$AMQP_PORT/
notification_format = cadf
[database]
connection = mysql+pymysql://os:$DB_PW@127.0.0.1/keystone
[token]
provider = fernet
[fernet_tokens]
key_repository = $BASE/etc/keystone/fernet-keys
[fernet_receipts]
key_repository = $BASE/etc/keystone/fernet-keys
[credential]
key_repository = $BASE/etc/keystone/credential-keys
[identity]
password_hash_rounds = 4
[oslo_messaging_notifications]
driver = messagingv2
driver = log
topics = notifications
[cache]
enabled = false
EOF

  cat > "$BASE/etc/keystone/uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:$KS_PORT
wsgi-file = /usr/bin/keystone-wsgi-public
env = OS_KEYSTONE_CONFIG_DIR=$BASE/etc/keystone
env = OS_KEYSTONE_CONFIG_FILES=keystone.conf
master = true
processes = 2
threads = 2
enable-threads = true
lazy-apps = true
buffer-size = 65535
die-on-term = true
need-app = true
add-header = Connection: close
pidfile = $BASE/run/keystone-uwsgi.pid
logto = $BASE/logs/keystone-uwsgi.log
EOF

  cat > "$BASE/etc/neutron/neutron.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $NEUTRON_PORT
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
state_path = $BASE/neutron-state
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
transport_url = rabbit://guest:guest@127.0.0.1:$AMQP_PORT/
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
log_config_append = $BASE/etc/logging-neutron.conf
[database]
connection = mysql+pymysql://os:$DB_PW@127.0.0.1/neutron
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:$KS_PORT
auth_url = http://127.0.0.1:$KS_PORT
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = neutron
password = neutronpw
region_name = RegionOne
[oslo_messaging_notifications]
driver = messagingv2
driver = log
topics = notifications
[oslo_concurrency]
lock_path = $BASE/neutron-state/lock
[agent]
root_helper = true
EOF

  cat > "$BASE/etc/neutron/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
mechanism_drivers =
extension_drivers = port_security
[ml2_type_flat]
flat_networks = *
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:200
[ml2_type_vxlan]
vni_ranges = 1:1000
EOF

  cat > "$BASE/adminrc" <<EOF
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export OS_AUTH_URL=http://127.0.0.1:$KS_PORT/v3
export OS_USERNAME=admin
export OS_PASSWORD=$ADMIN_PW
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_IDENTITY_API_VERSION=3
export OS_REGION_NAME=RegionOne
export OS_INTERFACE=public
EOF
}

# RabbitMQ keeps its Erlang cookie under HOME, so rabbitmqctl must see the same environment
rabbit_env() {
  export HOME=$BASE/rabbit
  export RABBITMQ_NODENAME=rabbit@localhost
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$AMQP_PORT
  export RABBITMQ_DIST_PORT=25672
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_MNESIA_BASE=$BASE/rabbit/mnesia
  export RABBITMQ_LOG_BASE=$BASE/rabbit/log
  export RABBITMQ_CONFIG_FILE=$BASE/etc/rabbitmq.conf
  export RABBITMQ_ENABLED_PLUGINS_FILE=$BASE/rabbit/enabled_plugins
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_PID_FILE=$BASE/run/rabbit-beam.pid
}

rabbitmqctl() { ( rabbit_env; /usr/lib/rabbitmq/bin/rabbitmqctl -n rabbit@localhost "$@" ); }

# call keystone with the admin token; prints the response; fails on HTTP >= 400
ks() { # method path [json]
  curl -sf -X "$1" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
    "http://127.0.0.1:$KS_PORT/v3$2" ${3:+-d "$3"}
}
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }

admin_token() {
  curl -sf -D - -o /dev/null -X POST http://127.0.0.1:$KS_PORT/v3/auth/tokens \
    -H 'Content-Type: application/json' \
    -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"},\"password\":\"$ADMIN_PW\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"}}}}}" \
    | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r'
}

do_up() {
  installed || { log "packages missing; run '$0 install' first"; exit 1; }
  local p
  for p in $PORTS; do
    if ss -ltnH "sport = :$p" | grep -q .; then log "port $p already in use; run '$0 down' first"; exit 1; fi
  done
  rm -rf "$BASE"; write_configs
  local t0=$(date +%s)

  # --- MariaDB
  mariadb-install-db --defaults-file="$BASE/etc/my.cnf" --auth-root-authentication-method=normal \
    --skip-test-db > "$BASE/logs/mysql-install.log" 2>&1
  spawn mariadb mariadbd --defaults-file="$BASE/etc/my.cnf"
  # --- epmd (own process so we know its pid) + RabbitMQ
  spawn epmd epmd -address 127.0.0.1 -port 4369
  ( rabbit_env; spawn rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server )
  wait_for mariadb 60 mariadb-admin --defaults-file="$BASE/etc/my.cnf" -uroot ping
  mariadb --defaults-file="$BASE/etc/my.cnf" -uroot -e "
    CREATE DATABASE keystone; CREATE DATABASE neutron;
    CREATE USER 'os'@'127.0.0.1' IDENTIFIED BY '$DB_PW';
    GRANT ALL ON keystone.* TO 'os'@'127.0.0.1'; GRANT ALL ON neutron.* TO 'os'@'127.0.0.1';"

  # --- Keystone schema + keys while RabbitMQ boots; bootstrap waits for it so that the
  # bootstrap's own notifications reach the broker
  local KC="--config-file $BASE/etc/keystone/keystone.conf"
  keystone-manage $KC db_sync > "$BASE/logs/keystone-manage.log" 2>&1
  keystone-manage $KC fernet_setup --keystone-user root --keystone-group root >> "$BASE/logs/keystone-manage.log" 2>&1
  keystone-manage $KC credential_setup --keystone-user root --keystone-group root >> "$BASE/logs/keystone-manage.log" 2>&1
  rabbitmqctl -q await_startup --timeout 90 > "$BASE/logs/rabbit-wait.log" 2>&1 \
    || { log "rabbitmq did not start (see $BASE/rabbit/log)"; exit 1; }
  log "rabbitmq ready"
  keystone-manage $KC bootstrap --bootstrap-password "$ADMIN_PW" \
    --bootstrap-admin-url http://127.0.0.1:$KS_PORT/v3/ \
    --bootstrap-internal-url http://127.0.0.1:$KS_PORT/v3/ \
    --bootstrap-public-url http://127.0.0.1:$KS_PORT/v3/ \
    --bootstrap-region-id RegionOne >> "$BASE/logs/keystone-manage.log" 2>&1
  spawn keystone uwsgi --ini "$BASE/etc/keystone/uwsgi.ini"

  # --- Neutron schema (while keystone starts)
  local NC="--config-file $BASE/etc/neutron/neutron.conf --config-file $BASE/etc/neutron/ml2_conf.ini"
  neutron-db-manage $NC upgrade heads > "$BASE/logs/neutron-db-manage.log" 2>&1
  wait_for keystone 60 curl -sf http://127.0.0.1:$KS_PORT/v3

  # --- service user + catalog entry for neutron, via plain REST (the CLI costs ~3 s per call)
  TOKEN=$(admin_token)
  [ -n "$TOKEN" ] || { log "no admin token from keystone"; exit 1; }
  local svc_proj neutron_user admin_role svc_id i
  svc_proj=$(ks POST /projects '{"project":{"name":"service","domain_id":"default"}}' | jget '["project"]["id"]')
  neutron_user=$(ks POST /users '{"user":{"name":"neutron","domain_id":"default","password":"neutronpw"}}' | jget '["user"]["id"]')
  admin_role=$(ks GET '/roles?name=admin' | jget '["roles"][0]["id"]')
  ks PUT "/projects/$svc_proj/users/$neutron_user/roles/$admin_role" > /dev/null
  svc_id=$(ks POST /services '{"service":{"name":"neutron","type":"network"}}' | jget '["service"]["id"]')
  for i in public internal admin; do
    ks POST /endpoints "{\"endpoint\":{\"service_id\":\"$svc_id\",\"interface\":\"$i\",\"region_id\":\"RegionOne\",\"url\":\"http://127.0.0.1:$NEUTRON_PORT\"}}" > /dev/null
  done

  spawn neutron-server neutron-server $NC
  wait_for neutron 90 curl -sf http://127.0.0.1:$NEUTRON_PORT/
  # the first authenticated call proves keystonemiddleware works
  curl -sf -H "X-Auth-Token: $TOKEN" http://127.0.0.1:$NEUTRON_PORT/v2.0/networks > /dev/null
  log "all up in $(( $(date +%s) - t0 ))s; source $BASE/adminrc"
}

alive() { [ -s "$BASE/run/$1.pid" ] && kill -0 "$(cat "$BASE/run/$1.pid")" 2>/dev/null; }

# prints one line a service and returns non-zero if any is down
do_status() {
  local bad=0 name check
  for name in mariadb rabbitmq keystone neutron-server; do
    if alive "$name"; then printf '%-15s running (pid %s)\n' "$name" "$(cat "$BASE/run/$name.pid")"
    else printf '%-15s not running\n' "$name"; bad=1; fi
  done
  check() { if "${@:2}" >/dev/null 2>&1; then printf '%-15s ok\n' "$1"; else printf '%-15s FAIL\n' "$1"; bad=1; fi; }
  check ":3306" mariadb-admin --defaults-file="$BASE/etc/my.cnf" -uroot ping
  check ":$AMQP_PORT" bash -c "exec 3<>/dev/tcp/127.0.0.1/$AMQP_PORT"
  check ":$KS_PORT" curl -sf -m 5 http://127.0.0.1:$KS_PORT/v3
  check ":$NEUTRON_PORT" curl -sf -m 5 http://127.0.0.1:$NEUTRON_PORT/
  return $bad
}

do_ensure() {
  do_install
  if do_status >/dev/null 2>&1; then log "stack already running and healthy"; return 0; fi
  do_down
  do_up
}

kill_pidfile() { # name [group]
  local f=$BASE/run/$1.pid pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    if [ "${2:-}" = group ]; then kill -TERM -- "-$pid" 2>/dev/null || true; else kill -TERM "$pid" 2>/dev/null || true; fi
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$f"; log "stopped $1"
}

do_down() {
  kill_pidfile neutron-server group
  kill_pidfile keystone group
  kill_pidfile rabbit-beam        # beam.smp itself (RABBITMQ_PID_FILE); the launcher may be gone
  kill_pidfile rabbitmq group
  kill_pidfile epmd
  kill_pidfile mariadb
}

case "${1:-}" in
  install) do_install ;;
  up) do_up ;;
  down) do_down ;;
  status) do_status ;;
  ensure) do_ensure ;;
  rabbitmqctl) shift; rabbitmqctl "$@" ;;
  *) echo "usage: $0 install|up|down|status|ensure|rabbitmqctl ARGS..." >&2; exit 2 ;;
esac
