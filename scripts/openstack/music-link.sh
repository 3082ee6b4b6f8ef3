#!/bin/bash
# The links between MuSIC community clouds' alert exchanges on the stack's RabbitMQ: each cloud
# is a vhost of its own, and a shovel (the rabbitmq_shovel plugin, enabled at run time) carries
# its alerts to every other cloud. Idempotent: run it again to add clouds or repair a link.
#
#   music-link.sh up CLOUD CLOUD...    # vhosts, users, exchanges, queues and a shovel per ordered pair
#   music-link.sh down CLOUD CLOUD...  # remove what up made for these clouds
#   music-link.sh status               # the shovels and their state
#
# Per cloud X (a vhost X, e.g. music-a):
#   user X (password $MUSIC_PASSWORD, default the name) with rights on vhost X only: the pvsc of X
#     publishes to exchange pvsc.alerts and consumes from a queue bound to pvsc.alerts.in;
#   exchange pvsc.alerts (topic, durable): what X's pvsc publishes (--alerts-out);
#   exchange pvsc.alerts.in (topic, durable): what the links deliver to X, into the durable queue
#     pvsc.alerts.in that X's pvsc consumes (--alerts-in; dead letters to pvsc.alerts.in.dlq);
#   for every other cloud Y, a durable queue pvsc.alerts.to.Y bound to pvsc.alerts with "#" and the
#     shovel "alerts-to-Y" (in vhost X) moving it to vhost Y's pvsc.alerts.in, acknowledging only
#     once Y's broker confirmed (ack-mode on-confirm): an alert waits in the queue while Y is away.
# Outgoing and incoming exchanges are apart so that nothing a link delivers is sent on again.
# The shovels connect as user music-link (password $MUSIC_LINK_PASSWORD, default music-link).
#
# The vhosts live beside OpenStack's "/" and touch nothing of it. The shovel plugin is enabled
# with `rabbitmq-plugins enable` (online, written to the stack's enabled_plugins file), so this
# works on a broker just installed and on one already running; `stack.sh up` starts a fresh
# broker, after which this script is run again. Exchanges, queues and bindings are declared
# through `rabbitmqctl eval` (rabbitmqctl has no declare command and the management plugin is not
# enabled): written for the RabbitMQ 3.10 of Debian 12.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stack="$here/stack.sh"
AMQP=${AMQP:-127.0.0.1:5672}
LINK_USER=music-link
LINK_PW=${MUSIC_LINK_PASSWORD:-music-link}

ctl() { bash "$stack" rabbitmqctl -q "$@"; }
log() { echo "[$(date +%T)] music-link: $*" >&2; }

# The declarations and permissions of every cloud are collected as Erlang terms and run in
# one `rabbitmqctl eval` (each rabbitmqctl call costs most of a second); all are idempotent.
ERL=()
bin() { printf '<<"%s">>' "$1"; }
res() { printf 'rabbit_misc:r(%s, %s, %s)' "$(bin "$1")" "$2" "$(bin "$3")"; } # vhost kind name
declare_exchange() { # vhost name type
  ERL+=("rabbit_exchange:declare($(res "$1" exchange "$2"), $3, true, false, false, [], $(bin $LINK_USER))")
}
declare_queue() { # vhost name [dead-letter exchange]
  local args="[]"
  [ -n "${3:-}" ] && args="[{<<\"x-dead-letter-exchange\">>, longstr, $(bin "$3")}]"
  ERL+=("rabbit_amqqueue:declare($(res "$1" queue "$2"), true, false, $args, none, $(bin $LINK_USER))")
}
bind_queue() { # vhost exchange queue key
  ERL+=("rabbit_binding:add({binding, $(res "$1" exchange "$2"), $(bin "$4"), $(res "$1" queue "$3"), []}, $(bin $LINK_USER))")
}
permit() { # vhost user
  ERL+=("rabbit_auth_backend_internal:set_permissions($(bin "$2"), $(bin "$1"), <<\".*\">>, <<\".*\">>, <<\".*\">>, $(bin $LINK_USER))")
}
run_erl() {
  local IFS=,
  ctl eval "[${ERL[*]}], ok." >/dev/null
  ERL=()
}

# the broker's users and vhosts, listed once a run
USERS="" VHOSTS=""
ensure_user() { # name password
  [ -n "$USERS" ] || USERS=$(ctl list_users | awk '{print $1}')
  if ! grep -qx "$1" <<<"$USERS"; then
    ctl add_user "$1" "$2" >/dev/null
  fi
}

ensure_vhost() { # name
  [ -n "$VHOSTS" ] || VHOSTS=$(ctl list_vhosts)
  if ! grep -qx "$1" <<<"$VHOSTS"; then
    ctl add_vhost "$1" >/dev/null
  fi
}

enable_shovel() {
  if ! grep -q rabbitmq_shovel "${BASE:-/tmp/pvsc-openstack}/rabbit/enabled_plugins" 2>/dev/null; then
    bash "$stack" rabbitmq-plugins enable rabbitmq_shovel >/dev/null
    log "rabbitmq_shovel enabled"
  fi
}

# cloud_up makes the vhost and its user, and collects its exchanges and its incoming queue
# pvsc.alerts.in (with the dead-letter pair pvsc serve --alerts-in declares alike), so that an
# alert delivered before the cloud's pvsc first starts waits for it.
cloud_up() { # vhost
  local v=$1
  ensure_vhost "$v"
  ensure_user "$v" "${MUSIC_PASSWORD:-$v}"
  permit "$v" "$v"
  permit "$v" "$LINK_USER"
  declare_exchange "$v" pvsc.alerts topic
  declare_exchange "$v" pvsc.alerts.in topic
  declare_exchange "$v" pvsc.alerts.in.dlx fanout
  declare_queue "$v" pvsc.alerts.in.dlq
  bind_queue "$v" pvsc.alerts.in.dlx pvsc.alerts.in.dlq ""
  declare_queue "$v" pvsc.alerts.in pvsc.alerts.in.dlx
  bind_queue "$v" pvsc.alerts.in pvsc.alerts.in "#"
}

link_queue() { # from to
  declare_queue "$1" "pvsc.alerts.to.$2"
  bind_queue "$1" pvsc.alerts "pvsc.alerts.to.$2" "#"
}

# link_up collects the shovel from one cloud's queue for the other to the other's incoming
# exchange (rabbitmqctl set_parameter's own call, so the same JSON definition).
link_up() { # from to
  local uri="amqp://$LINK_USER:$LINK_PW@$AMQP" def
  # shellcheck disable=SC2059 # the format is the JSON with its quotes escaped for Erlang
  def=$(printf '{\\"src-protocol\\": \\"amqp091\\", \\"src-uri\\": \\"%s\\", \\"src-queue\\": \\"%s\\", \\"dest-protocol\\": \\"amqp091\\", \\"dest-uri\\": \\"%s\\", \\"dest-exchange\\": \\"pvsc.alerts.in\\", \\"ack-mode\\": \\"on-confirm\\", \\"reconnect-delay\\": 1, \\"dest-add-forward-headers\\": true}' \
    "$uri/$1" "pvsc.alerts.to.$2" "$uri/$2")
  ERL+=("rabbit_runtime_parameters:parse_set($(bin "$1"), <<\"shovel\">>, $(bin "alerts-to-$2"), <<\"$def\">>, $(bin $LINK_USER))")
}

# wait_running waits until every shovel of these clouds (by the vhost it runs in) reports running.
wait_running() { # count clouds...
  local want=$1 n
  shift
  for _ in $(seq 1 60); do
    n=$(ctl shovel_status | awk -v set=" $* " '/alerts-to-/ && /running/ { if (index(set, " " $NF " ")) c++ } END { print c + 0 }')
    [ "$n" -ge "$want" ] && return 0
    sleep 0.5
  done
  ctl shovel_status >&2
  log "the shovels did not all start"
  return 1
}

do_up() {
  [ $# -ge 2 ] || { echo "usage: $0 up CLOUD CLOUD..." >&2; exit 2; }
  enable_shovel
  ensure_user "$LINK_USER" "$LINK_PW"
  for c in "$@"; do cloud_up "$c"; done
  local links=0
  for a in "$@"; do
    for b in "$@"; do
      [ "$a" = "$b" ] && continue
      link_queue "$a" "$b"
      link_up "$a" "$b"
      links=$((links + 1))
    done
  done
  run_erl
  wait_running "$links" "$@"
  log "$# clouds, $links links running: $*"
}

do_down() {
  for c in "$@"; do
    if ctl list_vhosts | grep -qx "$c"; then
      ctl delete_vhost "$c" >/dev/null # its shovels, exchanges and queues with it
    fi
    if ctl list_users | awk '{print $1}' | grep -qx "$c"; then
      ctl delete_user "$c" >/dev/null
    fi
  done
  log "removed: $*"
}

case "${1:-}" in
  up) shift; do_up "$@" ;;
  down) shift; do_down "$@" ;;
  status) ctl shovel_status ;;
  *) echo "usage: $0 up|down CLOUD CLOUD...|status" >&2; exit 2 ;;
esac
