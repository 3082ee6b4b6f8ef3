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
#   exchange pvsc.alerts.in (topic, durable): what the links deliver to X (--alerts-in binds to it);
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

# eval runs an Erlang expression on the broker; declarations there are idempotent.
declare_exchange() { # vhost name
  ctl eval "rabbit_exchange:declare(rabbit_misc:r(<<\"$1\">>, exchange, <<\"$2\">>), topic, true, false, false, [], <<\"$LINK_USER\">>), ok." >/dev/null
}
declare_queue() { # vhost name
  ctl eval "rabbit_amqqueue:declare(rabbit_misc:r(<<\"$1\">>, queue, <<\"$2\">>), true, false, [], none, <<\"$LINK_USER\">>), ok." >/dev/null
}
bind_queue() { # vhost exchange queue key
  ctl eval "ok = rabbit_binding:add({binding, rabbit_misc:r(<<\"$1\">>, exchange, <<\"$2\">>), <<\"$4\">>, rabbit_misc:r(<<\"$1\">>, queue, <<\"$3\">>), []}, <<\"$LINK_USER\">>)." >/dev/null
}

ensure_user() { # name password
  if ! ctl list_users | awk '{print $1}' | grep -qx "$1"; then
    ctl add_user "$1" "$2" >/dev/null
  fi
}

ensure_vhost() { # name
  if ! ctl list_vhosts | grep -qx "$1"; then
    ctl add_vhost "$1" >/dev/null
  fi
}

enable_shovel() {
  if ! grep -q rabbitmq_shovel "${BASE:-/tmp/pvsc-openstack}/rabbit/enabled_plugins" 2>/dev/null; then
    bash "$stack" rabbitmq-plugins enable rabbitmq_shovel >/dev/null
    log "rabbitmq_shovel enabled"
  fi
}

cloud_up() { # vhost
  local v=$1
  ensure_vhost "$v"
  ensure_user "$v" "${MUSIC_PASSWORD:-$v}"
  ctl set_permissions -p "$v" "$v" '.*' '.*' '.*' >/dev/null
  ctl set_permissions -p "$v" "$LINK_USER" '.*' '.*' '.*' >/dev/null
  declare_exchange "$v" pvsc.alerts
  declare_exchange "$v" pvsc.alerts.in
}

link_up() { # from to
  local q="pvsc.alerts.to.$2"
  declare_queue "$1" "$q"
  bind_queue "$1" pvsc.alerts "$q" "#"
  local uri="amqp://$LINK_USER:$LINK_PW@$AMQP"
  ctl set_parameter -p "$1" shovel "alerts-to-$2" "{\"src-protocol\": \"amqp091\", \"src-uri\": \"$uri/$1\", \"src-queue\": \"$q\",
    \"dest-protocol\": \"amqp091\", \"dest-uri\": \"$uri/$2\", \"dest-exchange\": \"pvsc.alerts.in\",
    \"ack-mode\": \"on-confirm\", \"reconnect-delay\": 1}" >/dev/null
}

# wait_running waits until every shovel of these clouds reports running.
wait_running() { # count
  local want=$1
  for _ in $(seq 1 60); do
    local n
    n=$(ctl shovel_status | grep -c 'alerts-to-.*running' || true)
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
      link_up "$a" "$b"
      links=$((links + 1))
    done
  done
  wait_running "$links"
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
