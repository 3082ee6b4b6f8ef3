#!/usr/bin/python3
"""Report "Open vSwitch agent" state to neutron-server for hosts that have no OVS.

ML2's openvswitch mechanism driver binds a port on a host only when an alive OVS agent of that
host has reported state with matching configurations (tunnel_types for vxlan segments,
bridge_mappings for flat/vlan ones). This process sends the very report_state RPC that
neutron-openvswitch-agent sends (neutron.agent.rpc.PluginReportStateAPI, topic q-reports-plugin,
same payload keys) for every host given, every --interval seconds, and nothing else: no OVS,
no flows, no port status updates (ports stay DOWN; Nova is told not to wait for vif-plugged).

    python3 ovs-agent-state.py --config-file neutron.conf --agent-host compute1 --agent-host compute2

Must run under Debian's /usr/bin/python3 (neutron's own modules).
"""
import sys
import time

from oslo_config import cfg
from oslo_log import log as logging

from neutron.agent import rpc as agent_rpc
from neutron.common import config as common_config
from neutron.conf.agent import common as agent_config
from neutron_lib.agent import topics
from neutron_lib import constants as n_const
from neutron_lib import context


LOG = logging.getLogger('ovs-agent-state')

OPTS = [
    cfg.MultiStrOpt('agent_host', default=[], help='host to report an OVS agent for'),
    cfg.FloatOpt('interval', default=10.0, help='seconds between reports'),
    cfg.StrOpt('tunneling_ip', default='127.0.0.1'),
]


def state_for(host):
    return {
        'binary': n_const.AGENT_PROCESS_OVS,
        'host': host,
        'topic': n_const.L2_AGENT_TOPIC,
        'agent_type': n_const.AGENT_TYPE_OVS,
        'start_flag': True,
        'configurations': {
            'bridge_mappings': {'physnet1': 'br-ex'},
            'tunnel_types': ['vxlan'],
            'tunneling_ip': cfg.CONF.tunneling_ip,
            'integration_bridge': 'br-int',
            'l2_population': False,
            'arp_responder_enabled': False,
            'enable_distributed_routing': False,
            'log_agent_heartbeats': False,
            'extensions': [],
            'datapath_type': 'system',
            # what ovs-vswitchd reports in Open_vSwitch's datapath_types/iface_types columns
            'ovs_capabilities': {
                'datapath_types': ['netdev', 'system'],
                'iface_types': ['erspan', 'geneve', 'gre', 'internal', 'ip6erspan', 'ip6gre',
                                'lisp', 'patch', 'stt', 'system', 'tap', 'vxlan'],
            },
            'vhostuser_socket_dir': '/var/run/openvswitch',
            'ovs_hybrid_plug': False,
            'baremetal_smartnic': False,
            'resource_provider_bandwidths': {},
            'resource_provider_inventory_defaults': {},
            'resource_provider_hypervisors': {},
            'devices': 0,
            'in_distributed_mode': False,
        },
    }


def main():
    cfg.CONF.register_cli_opts(OPTS)
    agent_config.register_agent_state_opts_helper(cfg.CONF)
    common_config.register_common_config_options()
    common_config.init(sys.argv[1:])
    logging.setup(cfg.CONF, 'ovs-agent-state')
    hosts = cfg.CONF.agent_host or ['compute1']
    api = agent_rpc.PluginReportStateAPI(topics.REPORTS)
    ctx = context.get_admin_context_without_session()
    states = {h: state_for(h) for h in hosts}
    first = {h: True for h in hosts}
    while True:
        for h, st in states.items():
            try:
                # a call, like the real agent: errors surface here
                res = api.report_state(ctx, st, use_call=True)
                if first[h]:
                    LOG.info('reported OVS agent state for %s: %s', h, res)
                    first[h] = False
                    st.pop('start_flag', None)
            except Exception:
                LOG.exception('report_state for %s failed', h)
        time.sleep(cfg.CONF.interval)


if __name__ == '__main__':
    sys.exit(main())
