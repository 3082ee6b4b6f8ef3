#!/bin/bash
# End-to-end tests of pvsc serve and proxy against a real Keystone + Neutron + RabbitMQ:
# installs and starts the stack when it is missing (scripts/openstack/stack.sh ensure), then
# runs the Go tests that need it (PVSC_OPENSTACK=1). The stack is left running for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
t0=$(date +%s)
bash scripts/openstack/stack.sh ensure
t1=$(date +%s)
echo "e2e: stack ready in $((t1 - t0))s"
# -p 1: the amqp package's test closes every broker connection on purpose
PVSC_OPENSTACK=1 go test -p 1 -count=1 -timeout 20m ./lab/e2e/ ./openstack/... "$@"
echo "e2e: tests took $(( $(date +%s) - t1 ))s"
