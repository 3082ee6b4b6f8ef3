#!/bin/bash
# A real OpenStack (Keystone, Neutron ML2/openvswitch, Placement, Glance, Nova with two fake-driver
# computes, RabbitMQ, MariaDB) from Debian 12's packages on 127.0.0.1, without systemd or
# containers, for pvsc's end-to-end tests. Adapted from shared/openstack/bringup.sh so that the
# project (and its CI) carries its own.
#
#   stack.sh install   # apt-get the packages; skips apt when they are all present (root)
#   stack.sh up        # wipe $BASE, start MariaDB, RabbitMQ, Keystone :5000, Neutron :9696,
#                      # Placement :8778, Glance :9292, Nova API :8774, conductor, scheduler,
#                      # nova-compute on hosts compute1 and compute2, the OVS agent-state reporter
#   stack.sh down      # stop what `up` started, by pidfile
#   stack.sh status    # exit 0 iff every service is running and answering
#   stack.sh ensure    # install if missing, then up unless already running and healthy
#   stack.sh rabbitmqctl ARGS...   # rabbitmqctl against this stack's broker (tests use it)
#   stack.sh rabbitmq-plugins ARGS...  # rabbitmq-plugins against it (music-link.sh enables the shovel)
#   stack.sh restart-compute HOST  # stop and start nova-compute of compute1 or compute2
#
# Environment: BASE (state dir, default /tmp/pvsc-openstack), ADMIN_PW (default adminpw).
# Notifications: one JSON object per line in $BASE/logs/notifications-{keystone,neutron,nova}.jsonl
# and on RabbitMQ 127.0.0.1:5672 (guest/guest), topic exchanges "keystone", "neutron" and "nova",
# routing key "notifications.info" (nova also "versioned_notifications.info"/".error"),
# body {"oslo.version": "2.0", "oslo.message": "<json>"}.
#
# Nova runs compute_driver = fake.FakeLiveMigrateDriver (nova.virt.fake): servers, migrations,
# resizes, shelve and evacuate are real Nova/Neutron/Placement work; only the hypervisor is
# simulated. Ports are bound by ML2's openvswitch driver on compute1/compute2, for the OVS
# agents that ovs-agent-state.py reports there (no OVS runs; ports stay status DOWN).
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin      # Debian's /usr/bin/python3, not a pyenv shim
BASE=${BASE:-/tmp/pvsc-openstack}
ADMIN_PW=${ADMIN_PW:-adminpw}
DB_PW=ospw
KS_PORT=5000
NEUTRON_PORT=9696
AMQP_PORT=5672
NOVA_PORT=8774
PLACEMENT_PORT=8778
GLANCE_PORT=9292
PORTS="3306 4369 $AMQP_PORT 25672 $KS_PORT $NEUTRON_PORT $NOVA_PORT $PLACEMENT_PORT $GLANCE_PORT"
COMPUTES="compute1 compute2"
# what `up` spawns (pidfiles in $BASE/run), as `status` lists them
SERVICES="mariadb rabbitmq keystone neutron-server ovs-agent-state placement glance-api
  nova-conductor nova-scheduler nova-api nova-compute1 nova-compute2"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PACKAGES="keystone neutron-server rabbitmq-server mariadb-server python3-pymysql curl iproute2"
# Nova without a hypervisor: python3-nova and the daemons' own packages, but not nova-compute
# (it depends on nova-compute-kvm -> libvirt, qemu-system, open-iscsi, ovmf ...); nova-compute
# runs as `python3 -m nova.cmd.compute`, which is all /usr/bin/nova-compute is.
PACKAGES="$PACKAGES python3-nova nova-common nova-api nova-conductor nova-scheduler
  python3-placement placement-common placement-api python3-glance glance-common glance-api"

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

uwsgi_ini() { # name port wsgi-file env processes
  cat > "$BASE/etc/$1-uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:$2
wsgi-file = $3
env = $4
master = true
processes = $5
threads = 1
enable-threads = true
lazy-apps = true
buffer-size = 65535
die-on-term = true
need-app = true
add-header = Connection: close
logto = $BASE/logs/$1-uwsgi.log
EOF
}

logging_conf() { # name logfile-stem notifications-stem
  cat > "$BASE/etc/logging-$1.conf" <<EOF
[loggers]
keys = root, notif, rpcclient
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
[logger_rpcclient]
# "Using RPCClient manually ..." on every call in Zed's services
level = ERROR
handlers = file
qualname = oslo_messaging.rpc.client
propagate = 0
[handler_file]
class = FileHandler
args = ('$BASE/logs/$2.log', 'a')
formatter = std
[handler_notif]
class = FileHandler
args = ('$BASE/logs/$3.jsonl', 'a')
formatter = raw
[formatter_std]
format = %(asctime)s %(process)d %(levelname)s %(name)s %(message)s
[formatter_raw]
format = %(message)s
EOF
}

# keystone_authtoken-style section for a service user of project "service"
authsection() { # section user password
  cat <<EOF
[$1]
auth_url = http://127.0.0.1:$KS_PORT
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $3
region_name = RegionOne
EOF
}

write_configs() {
  mkdir -p "$BASE"/{etc/keystone/fernet-keys,etc/keystone/credential-keys,etc/neutron,logs,run,mysql/data,rabbit/mnesia,rabbit/log,neutron-state/lock}
  mkdir -p "$BASE"/{etc/nova,etc/placement,etc/glance,glance/images,glance/staging,glance/tasks,nova-state/lock}

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

  # one logging config a process: its own log, and oslo.messaging's log notification driver
  # (logger oslo.messaging.notification.<event_type>) as one JSON object per line
  logging_conf keystone keystone notifications-keystone
  logging_conf neutron neutron notifications-neutron
  logging_conf placement placement notifications-placement
  logging_conf glance glance notifications-glance
  local svc
  for svc in nova-api nova-conductor nova-scheduler $COMPUTES; do
    logging_conf "$svc" "nova-${svc#nova-}" notifications-nova
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
notify_nova_on_port_data_changes = true
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
$(authsection nova nova novapw)
endpoint_type = public
EOF

  # ovs-agent-state.py: the OVS agents' report_state RPC for hosts without OVS
  cat > "$BASE/etc/neutron/ovs-agent-state.conf" <<EOF
[DEFAULT]
transport_url = rabbit://guest:guest@127.0.0.1:$AMQP_PORT/
log_file = $BASE/logs/ovs-agent-state.log
interval = 10
[AGENT]
report_interval = 10
EOF

  cat > "$BASE/etc/neutron/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
mechanism_drivers = openvswitch
extension_drivers = port_security
[ml2_type_flat]
flat_networks = *
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:200
[ml2_type_vxlan]
vni_ranges = 1:1000
EOF

  # --- Placement (uwsgi, /usr/bin/placement-api reads $OS_PLACEMENT_CONFIG_DIR/placement.conf)
  cat > "$BASE/etc/placement/placement.conf" <<EOF
[DEFAULT]
log_config_append = $BASE/etc/logging-placement.conf
[placement_database]
connection = mysql+pymysql://os:$DB_PW@127.0.0.1/placement
[api]
auth_strategy = keystone
$(authsection keystone_authtoken placement placementpw)
www_authenticate_uri = http://127.0.0.1:$KS_PORT
EOF
  uwsgi_ini placement $PLACEMENT_PORT /usr/bin/placement-api OS_PLACEMENT_CONFIG_DIR=$BASE/etc/placement 1

  # --- Glance (eventlet glance-api, one process, file store)
  cat > "$BASE/etc/glance/glance-api.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
workers = 0
log_config_append = $BASE/etc/logging-glance.conf
transport_url = rabbit://guest:guest@127.0.0.1:$AMQP_PORT/
enabled_backends = file:file
[database]
connection = mysql+pymysql://os:$DB_PW@127.0.0.1/glance
[glance_store]
default_backend = file
[file]
filesystem_store_datadir = $BASE/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $BASE/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $BASE/glance/tasks
$(authsection keystone_authtoken glance glancepw)
www_authenticate_uri = http://127.0.0.1:$KS_PORT
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[oslo_messaging_notifications]
driver = messagingv2
driver = log
[oslo_concurrency]
lock_path = $BASE/glance
EOF

  # --- Nova: nova.conf for api/conductor/scheduler, plus one overlay a compute (host = computeN)
  cp /etc/nova/api-paste.ini "$BASE/etc/nova/api-paste.ini"
  cat > "$BASE/etc/nova/nova.conf" <<EOF
[DEFAULT]
my_ip = 127.0.0.1
state_path = $BASE/nova-state
transport_url = rabbit://guest:guest@127.0.0.1:$AMQP_PORT/
# FakeDriver, plus a source that forgets the guest after a live migration (as a real one
# does); plain FakeDriver keeps tracking it, and evacuating back onto that host then fails
# with InstanceExists
compute_driver = fake.FakeLiveMigrateDriver
vif_plugging_is_fatal = false
vif_plugging_timeout = 0
allow_resize_to_same_host = false
heal_instance_info_cache_interval = -1
# shelve leaves the server SHELVED so that shelveOffload is a call of its own
shelved_offload_time = -1
$(authsection keystone_authtoken nova novapw)
www_authenticate_uri = http://127.0.0.1:$KS_PORT
$(authsection placement placement placementpw)
$(authsection neutron neutron neutronpw)
[conductor]
workers = 1
[scheduler]
workers = 1
[wsgi]
api_paste_config = $BASE/etc/nova/api-paste.ini
[notifications]
notification_format = both
notify_on_state_change = vm_and_task_state
[oslo_messaging_notifications]
driver = messagingv2
driver = log
topics = notifications
[oslo_concurrency]
lock_path = $BASE/nova-state/lock
[vnc]
enabled = false
[compute]
live_migration_wait_for_vif_plug = false
EOF
  # the databases only for the control services: computes reach them through the conductor
  cat > "$BASE/etc/nova/nova-db.conf" <<EOF
[api_database]
connection = mysql+pymysql://os:$DB_PW@127.0.0.1/nova_api
[database]
connection = mysql+pymysql://os:$DB_PW@127.0.0.1/nova
EOF
  # nova-api-wsgi reads $OS_NOVA_CONFIG_DIR/$OS_NOVA_CONFIG_FILES; its log config comes from a
  # file of its own, as the other services' do
  printf '[DEFAULT]\nlog_config_append = %s\n' "$BASE/etc/logging-nova-api.conf" > "$BASE/etc/nova/nova-api.conf"
  uwsgi_ini nova-api $NOVA_PORT /usr/bin/nova-api-wsgi "OS_NOVA_CONFIG_DIR=$BASE/etc/nova
env = OS_NOVA_CONFIG_FILES=api-paste.ini;nova.conf;nova-db.conf;nova-api.conf" 1
  for svc in nova-conductor nova-scheduler; do
    printf '[DEFAULT]\nlog_config_append = %s\n' "$BASE/etc/logging-$svc.conf" > "$BASE/etc/nova/$svc.conf"
  done
  for svc in $COMPUTES; do
    mkdir -p "$BASE/nova-state/$svc/instances"
    cat > "$BASE/etc/nova/$svc.conf" <<EOF
[DEFAULT]
host = $svc
state_path = $BASE/nova-state/$svc
instances_path = $BASE/nova-state/$svc/instances
log_config_append = $BASE/etc/logging-$svc.conf
EOF
  done

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

# REST with the admin token against any service; prints the body; fails on HTTP >= 400
api() { # method url [json] [extra curl args...]
  local m=$1 u=$2 d=${3:-}; shift 3 2>/dev/null || shift $#
  curl -sf -X "$m" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
    -H 'Connection: close' "$u" ${d:+-d "$d"} "$@"
}

# service user (admin in project "service"), catalog service and its three endpoints
register() { # user password type url
  local uid sid i
  uid=$(ks POST /users "{\"user\":{\"name\":\"$1\",\"domain_id\":\"default\",\"password\":\"$2\"}}" | jget '["user"]["id"]')
  ks PUT "/projects/$SVC_PROJ/users/$uid/roles/$ADMIN_ROLE" > /dev/null
  sid=$(ks POST /services "{\"service\":{\"name\":\"$1\",\"type\":\"$3\"}}" | jget '["service"]["id"]')
  for i in public internal admin; do
    ks POST /endpoints "{\"endpoint\":{\"service_id\":\"$sid\",\"interface\":\"$i\",\"region_id\":\"RegionOne\",\"url\":\"$4\"}}" > /dev/null
  done
}

# run a step in the background, output in $BASE/logs/NAME.log; join waits and fails with it
bg() { local n=$1; shift; ( "$@" ) > "$BASE/logs/$n.log" 2>&1 & eval "BG_$n=$!"; }
join() {
  local n=$1 v="BG_$1"
  wait "${!v}" || { log "$n failed (see $BASE/logs/$n.log)"; tail -20 "$BASE/logs/$n.log" >&2; exit 1; }
}

# cells v2; the three schemas at once (`db sync --local_cell` is the cell database of the
# config given, so cell0 gets a config of its own)
nova_db_setup() {
  local NM="nova-manage --config-file $BASE/etc/nova/nova.conf --config-file $BASE/etc/nova/nova-db.conf"
  local cell0="mysql+pymysql://os:$DB_PW@127.0.0.1/nova_cell0" a b c
  printf '[database]\nconnection = %s\n' "$cell0" > "$BASE/etc/nova/nova-cell0-db.conf"
  ( $NM api_db sync && $NM cell_v2 map_cell0 --database_connection "$cell0" &&
    $NM cell_v2 create_cell --name cell1 --verbose ) & a=$!
  $NM db sync --local_cell & b=$!
  nova-manage --config-file "$BASE/etc/nova/nova.conf" --config-file "$BASE/etc/nova/nova-cell0-db.conf" \
    db sync --local_cell & c=$!
  wait $a && wait $b && wait $c
}

count_sql() { mariadb --defaults-file="$BASE/etc/my.cnf" -uroot -N -e "$1" 2>/dev/null; }
computes_registered() { [ "$(count_sql 'SELECT COUNT(*) FROM nova.compute_nodes WHERE deleted=0')" = 2 ]; }
computes_up() {
  api GET "http://127.0.0.1:$NOVA_PORT/v2.1/os-services?binary=nova-compute" | python3 -c '
import json,sys; s=json.load(sys.stdin)["services"]
sys.exit(0 if sum(1 for x in s if x["state"]=="up") == 2 else 1)'
}
agents_alive() {
  api GET "http://127.0.0.1:$NEUTRON_PORT/v2.0/agents?agent_type=Open+vSwitch+agent" | python3 -c '
import json,sys; a=json.load(sys.stdin)["agents"]
sys.exit(0 if sum(1 for x in a if x["alive"]) == 2 else 1)'
}

start_compute() { # host; /usr/bin/nova-compute is nova.cmd.compute:main (see PACKAGES)
  spawn "nova-$1" /usr/bin/python3 -c 'import sys; from nova.cmd.compute import main; sys.exit(main())' \
    --config-file "$BASE/etc/nova/nova.conf" --config-file "$BASE/etc/nova/$1.conf"
}

# stop and start one nova-compute, e.g. after an evacuation: Nova lets a forced-down host be
# forced up only after its compute has restarted and cleaned up the evacuated servers
do_restart_compute() { # host
  case " $COMPUTES " in *" $1 "*) ;; *) log "no compute $1 (have: $COMPUTES)"; exit 2 ;; esac
  alive "nova-$1" || { log "nova-$1 is not running"; exit 1; }
  stop_groups "nova-$1"
  start_compute "$1"
  TOKEN=$(admin_token)
  wait_for "nova-$1 restart" 60 compute_restarted "$1" "$(date -u +%Y-%m-%dT%H:%M:%S)"
}
compute_restarted() { # host since: its service record was updated after since
  api GET "http://127.0.0.1:$NOVA_PORT/v2.1/os-services?binary=nova-compute&host=$1" | python3 -c '
import json,sys; s=json.load(sys.stdin)["services"][0]
sys.exit(0 if (s["updated_at"] or "") > sys.argv[1] else 1)' "$2"
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
  local db sql="CREATE USER 'os'@'127.0.0.1' IDENTIFIED BY '$DB_PW';"
  for db in keystone neutron placement glance nova_api nova nova_cell0; do
    sql="$sql CREATE DATABASE $db; GRANT ALL ON $db.* TO 'os'@'127.0.0.1';"
  done
  mariadb --defaults-file="$BASE/etc/my.cnf" -uroot -e "$sql"

  # --- every other schema in the background while Keystone and RabbitMQ come up
  local NC="--config-file $BASE/etc/neutron/neutron.conf --config-file $BASE/etc/neutron/ml2_conf.ini"
  local NOVA="--config-file $BASE/etc/nova/nova.conf" NOVADB="--config-file $BASE/etc/nova/nova-db.conf"
  bg neutron_db neutron-db-manage $NC upgrade heads
  bg placement_db placement-manage --config-dir "$BASE/etc/placement" db sync
  bg glance_db glance-manage --config-file "$BASE/etc/glance/glance-api.conf" db_sync
  bg nova_db nova_db_setup

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
  # --- the API services as soon as their schemas are there: none of them needs Keystone
  # before its first request (nova-conductor and -scheduler do: they check Placement)
  join neutron_db
  spawn neutron-server neutron-server $NC
  join placement_db
  spawn placement uwsgi --ini "$BASE/etc/placement-uwsgi.ini"
  join glance_db
  spawn glance-api glance-api --config-file "$BASE/etc/glance/glance-api.conf"
  join nova_db
  log "schemas ready"
  spawn nova-api uwsgi --ini "$BASE/etc/nova-api-uwsgi.ini"
  wait_for keystone 60 curl -sf http://127.0.0.1:$KS_PORT/v3

  # --- service users + catalog via plain REST (the CLI costs ~3 s per call)
  TOKEN=$(admin_token)
  [ -n "$TOKEN" ] || { log "no admin token from keystone"; exit 1; }
  SVC_PROJ=$(ks POST /projects '{"project":{"name":"service","domain_id":"default"}}' | jget '["project"]["id"]')
  ADMIN_ROLE=$(ks GET '/roles?name=admin' | jget '["roles"][0]["id"]')
  register neutron neutronpw network "http://127.0.0.1:$NEUTRON_PORT"
  register placement placementpw placement "http://127.0.0.1:$PLACEMENT_PORT"
  register glance glancepw image "http://127.0.0.1:$GLANCE_PORT"
  register nova novapw compute "http://127.0.0.1:$NOVA_PORT/v2.1"
  log "catalog ready"
  spawn nova-conductor nova-conductor $NOVA $NOVADB --config-file "$BASE/etc/nova/nova-conductor.conf"
  spawn nova-scheduler nova-scheduler $NOVA $NOVADB --config-file "$BASE/etc/nova/nova-scheduler.conf"

  wait_for neutron 90 curl -sf http://127.0.0.1:$NEUTRON_PORT/
  # the first authenticated call proves keystonemiddleware works
  api GET "http://127.0.0.1:$NEUTRON_PORT/v2.0/networks" > /dev/null
  spawn ovs-agent-state /usr/bin/python3 "$HERE/ovs-agent-state.py" \
    --config-file "$BASE/etc/neutron/ovs-agent-state.conf" $(printf -- '--agent_host %s ' $COMPUTES)
  wait_for placement 60 curl -sf http://127.0.0.1:$PLACEMENT_PORT/
  local c
  for c in $COMPUTES; do start_compute "$c"; done

  # --- a tiny raw image and two flavors
  wait_for glance 60 curl -sf http://127.0.0.1:$GLANCE_PORT/versions
  local img
  img=$(api POST "http://127.0.0.1:$GLANCE_PORT/v2/images" \
    '{"name":"tiny","disk_format":"raw","container_format":"bare","visibility":"public"}' | jget '["id"]')
  printf 'pvsc tiny image\n' | curl -sf -X PUT -H "X-Auth-Token: $TOKEN" -H 'Connection: close' \
    -H 'Content-Type: application/octet-stream' --data-binary @- \
    "http://127.0.0.1:$GLANCE_PORT/v2/images/$img/file" > /dev/null
  wait_for nova-api 90 curl -sf http://127.0.0.1:$NOVA_PORT/
  api POST "http://127.0.0.1:$NOVA_PORT/v2.1/flavors" \
    '{"flavor":{"name":"m1.tiny","id":"1","ram":64,"vcpus":1,"disk":1}}' > /dev/null
  api POST "http://127.0.0.1:$NOVA_PORT/v2.1/flavors" \
    '{"flavor":{"name":"m1.small","id":"2","ram":128,"vcpus":1,"disk":1}}' > /dev/null

  # --- cells v2: map the compute nodes once both have registered
  wait_for "compute nodes" 120 computes_registered
  nova-manage $NOVA $NOVADB cell_v2 discover_hosts --verbose >> "$BASE/logs/nova-manage.log" 2>&1
  wait_for "nova-compute x2" 60 computes_up
  wait_for "OVS agents x2" 60 agents_alive
  log "all up in $(( $(date +%s) - t0 ))s; source $BASE/adminrc"
}

alive() { [ -s "$BASE/run/$1.pid" ] && kill -0 "$(cat "$BASE/run/$1.pid")" 2>/dev/null; }

# prints one line a service and returns non-zero if any is down
do_status() {
  local bad=0 name check
  for name in $SERVICES; do
    if alive "$name"; then printf '%-15s running (pid %s)\n' "$name" "$(cat "$BASE/run/$name.pid")"
    else printf '%-15s not running\n' "$name"; bad=1; fi
  done
  check() { if "${@:2}" >/dev/null 2>&1; then printf '%-15s ok\n' "$1"; else printf '%-15s FAIL\n' "$1"; bad=1; fi; }
  check ":3306" mariadb-admin --defaults-file="$BASE/etc/my.cnf" -uroot ping
  check ":$AMQP_PORT" bash -c "exec 3<>/dev/tcp/127.0.0.1/$AMQP_PORT"
  check ":$KS_PORT" curl -sf -m 5 http://127.0.0.1:$KS_PORT/v3
  check ":$NEUTRON_PORT" curl -sf -m 5 http://127.0.0.1:$NEUTRON_PORT/
  check ":$PLACEMENT_PORT" curl -sf -m 5 http://127.0.0.1:$PLACEMENT_PORT/
  check ":$GLANCE_PORT" curl -sf -m 5 http://127.0.0.1:$GLANCE_PORT/versions
  check ":$NOVA_PORT" curl -sf -m 5 http://127.0.0.1:$NOVA_PORT/
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

# TERM the process groups of several services at once, then wait (KILL after 15 s)
stop_groups() { # name...
  local n pid pids=() names=()
  for n in "$@"; do
    [ -s "$BASE/run/$n.pid" ] || continue
    pid=$(cat "$BASE/run/$n.pid")
    if kill -0 "$pid" 2>/dev/null; then kill -TERM -- "-$pid" 2>/dev/null || true; pids+=("$pid"); fi
    names+=("$n")
  done
  for _ in $(seq 1 60); do
    local left=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
    (( left )) || break; sleep 0.25
  done
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }; done
  for n in "${names[@]}"; do rm -f "$BASE/run/$n.pid"; log "stopped $n"; done
}

do_down() {
  local c computes=()
  for c in $COMPUTES; do computes+=("nova-$c"); done
  stop_groups "${computes[@]}" ovs-agent-state nova-api nova-scheduler nova-conductor glance-api placement
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
  rabbitmq-plugins) shift; ( rabbit_env; /usr/lib/rabbitmq/bin/rabbitmq-plugins -n rabbit@localhost "$@" ) ;;
  restart-compute) do_restart_compute "${2:?usage: $0 restart-compute compute1|compute2}" ;;
  *) echo "usage: $0 install|up|down|status|ensure|restart-compute HOST|rabbitmqctl ARGS...|rabbitmq-plugins ARGS..." >&2; exit 2 ;;
esac
