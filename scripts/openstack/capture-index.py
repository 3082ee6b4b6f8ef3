#!/usr/bin/python3
"""Write captures/INDEX.md (to stdout) from the files capture.sh left in OUTDIR.

Every notification seen (log-driver files and AMQP) is listed under its event_type with the
REST call(s) of the run that caused it. The link is the request id: a REST response's
x-openstack-request-id / x-compute-request-id is the _context_request_id of the notifications
sent while serving it (also by nova-conductor/-compute over RPC), the request_id in Nova's
versioned payloads, and the global_request_id Nova sends on to Neutron and Glance; Keystone's
CADF payloads carry it as initiator.request_id. Where no id matches, the notification's
timestamp is matched to the call that was in flight ("by time"), else to the last call made
before it ("after": asynchronous work such as nova-compute's, or Nova's own calls to Neutron,
which do not pass the request id on).
"""
import collections
import glob
import json
import os
import re
import sys

OUT = sys.argv[1]
UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}')


def lines(path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def template(rec):
    path = UUID.sub('{id}', rec['path'].split('?')[0])
    body = rec.get('body')
    action = ''
    if isinstance(body, dict) and path.endswith('/action') and len(body) == 1:
        action = ' ' + next(iter(body))
    if rec['path'].startswith('/v2.0/ports') and isinstance(body, dict) and 'ports' in body:
        action = ' (bulk)'
    return '%s %s%s' % (rec['method'], path, action)


calls = {}      # request id -> "service: METHOD /path"
windows = []    # (start, end, label)
for f in sorted(glob.glob(os.path.join(OUT, 'rest-*.jsonl'))):
    for rec in lines(f):
        label = '%s: `%s`' % (rec['service'], template(rec))
        h = {k.lower(): v for k, v in rec.get('response_headers', {}).items()}
        for k in ('x-openstack-request-id', 'x-compute-request-id'):
            if k in h:
                calls[h[k]] = label
        windows.append((rec['started'], rec['finished'], label))


def ids_of(msg):
    out = []
    for k in ('_context_request_id', '_context_global_request_id'):
        if msg.get(k):
            out.append(msg[k])
    p = msg.get('payload')
    if isinstance(p, dict):
        data = p.get('nova_object.data', p)
        if isinstance(data, dict) and data.get('request_id'):
            out.append(data['request_id'])
        for k in ('request_id', 'global_request_id'):
            if p.get(k):
                out.append(p[k])
        ini = p.get('initiator')
        if isinstance(ini, dict):
            for k in ('request_id', 'global_request_id'):
                if ini.get(k):
                    out.append(ini[k])
    return out


def cause(msg):
    for i in ids_of(msg):
        if i in calls:
            return calls[i]
    ts = msg.get('timestamp', '')
    for a, b, label in windows:
        if a <= ts <= b:
            return label + ' (by time)'
    # asynchronous work (computes, conductor, Nova's own calls to Neutron/Glance): the run is
    # sequential, so the last call made before it is what set it going
    before = [w for w in windows if w[0] <= ts]
    if before:
        return 'after ' + max(before)[2]
    return None


NOTES = """## What decoders need to know (seen in this capture)

Nova (26.2.2, `notification_format = both`; versioned on topic `versioned_notifications`,
legacy on `notifications`, both on exchange `nova`):
- `publisher_id` is `nova-compute:<host>` (versioned) / `compute.<host>` (legacy) for what a
  compute does; nova-api, -conductor and -scheduler publish with this machine's hostname (`vm`).
  `instance.update` is published as `nova-compute:<hostname of whoever saved the instance>`, so
  only `payload.host` says where a server is.
- Live migration: `payload.host`/`node` stay the source until the destination's
  `instance.live_migration_post_dest.end`, the first message with the destination in `host`.
  Before that the destination is only the publisher of `instance.live_migration_pre.*` and
  `instance.live_migration_post_dest.start` (`nova-compute:<dest>`); the source publishes
  `instance.live_migration_post.*` with `host` = source. No payload field names the target,
  the same for `host` given or null. Legacy: `compute.instance.live_migration.pre.*`,
  `._post.*`, `.post.dest.*`, same host rules.
- Resize/migrate: `instance.resize_prep.*` is published by the destination with `host` = source
  and `new_flavor` set; `instance.resize.end` (source) already has `host` = destination;
  `instance.resize_finish.*` come from the destination; `instance.resize_confirm.*` from the source
  with `host` = destination.
- Resize revert: `instance.resize_revert.start` (published by the source, `host` still the
  destination) and `.end` (source, `host` = source again, the old flavor); legacy
  `compute.instance.resize.revert.*`.
- Cold migration with a host (`migrate.host`, 2.56+) emits the same messages as a resize.
- Evacuate: `instance.evacuate` (nova-api, `host` = the failed source, no target, also when the
  call names the host), then
  `instance.rebuild_scheduled` (conductor), and `instance.rebuild.start/.end` published by the
  destination but still with `host` = source; the next `instance.update` has `host` = destination.
- Ports: versioned payloads list every port of the server in `ip_addresses[]`
  (`IpPayload`: `port_uuid`, `mac`, `address`, `label` = network name, `device_name`).
  `instance.create.end` lists the ports the server booted with. `instance.interface_attach.end`
  lists all ports after the attach and `.start` all before: the attached port is the
  difference; nothing else names it. `instance.interface_detach.start/.end` likewise. Legacy
  payloads have `fixed_ips[]` without port ids, and there is no legacy interface attach/detach.
- `instance.shelve_offload.end` has `host`/`node` null; `instance.unshelve.end` has the new host
  (the same for `unshelve.host`, 2.91, which only an admin may give).
- Versioned payloads carry `request_id` (the nova-api request) and `action_initiator_user` /
  `action_initiator_project`; `tenant_id`/`user_id` are the owner's.

Neutron (21, unversioned `<resource>.<action>.start/.end`, payload `{"<resource>": {...}}`):
- A bulk `POST /v2.0/ports` with `{"ports": [..]}` yields ONE `port.create.start` and ONE
  `port.create.end` whose payload is `{"ports": [ ... ]}` (a list), not one message a port.
- Nova's changes to ports (binding:host_id, device_id/device_owner, binding:profile
  `migrating_to`) are `port.update.*` sent in the context of Nova's service user
  (`_context_user_name` = `neutron` here, the user in nova's [neutron] section, is_admin)
  and carry no Nova request id.
- Live migration uses multiple port bindings: `binding.create.*` (payload `{"binding": {host,
  vif_type, status: INACTIVE, ...}}`) and `binding.delete.*` (`{"binding_id": "<host>",
  "binding": {...}}`): neither names the port. Activating the destination binding emits
  nothing, so no `port.update.end` shows the port's new `binding:host_id` until the port's
  next update.
- A notification's resource is the caller's view of it: a member's `port.update.end` has no
  `binding:*` keys (admin-only attributes) even for a bound port, e.g. the OSSA-2015-018 move
  (`device_owner` network:dhcp, `device_id` "" by the network owner) of a VM's bound port,
  which Neutron accepts and which leaves the binding in place.
- Port bindings API: `POST /ports/{id}/bindings` -> `binding.create.*`, `PUT .../bindings/{host}`
  -> `binding.update.*` (`{"binding": {...}, "id": "<host>"}`), `DELETE` -> `binding.delete.*`,
  `activate` nothing; only for compute-owned ports (400 otherwise).
- Tags: `tag.update.*` (PUT the list), `tag.create.*` (PUT one), `tag.delete.*`, payload
  `{parent_resource: "ports", parent_resource_id, tags: [...]}`.
- Router interface add/remove: `router.interface.create` / `router.interface.delete` with
  `payload.router_interface` {id (the router), tenant_id, port_id, network_id, subnet_id,
  subnet_ids}, for "by subnet" and "by port" alike.

Keystone (22, `notification_format = cadf`):
- Group membership (`PUT`/`DELETE /v3/groups/{g}/users/{u}`) emits only
  `identity.group.updated` with `target.id` = `resource_info` = the group id: the user added or
  removed is not in the notification.
- Role assignments: `identity.role_assignment.created/.deleted`, CADF plus flat keys `role`, one
  of `user`/`group`, one of `project`/`domain`, and `inherited_to_projects` (bool).
  `target.typeURI` is `service/security/account/user` even for a group.
  The OS-INHERIT calls emit the same event with `inherited_to_projects: true` and NO
  `initiator` (so no request id); the plain ones have `initiator` with `request_id`.
- Deleting a group emits `identity.group.deleted` and no role_assignment.deleted for the
  group's assignments; deleting a role still assigned (`identity.role.deleted`) likewise.
- `identity.role.created/.deleted` carry only the id (`resource_info`), not the domain.
- `identity.user.deleted` has no `initiator`, even for a plain `DELETE /v3/users/{id}`.
- A domain is deleted only disabled (403 "Cannot delete a domain that is enabled"); deleting it
  emits `identity.project.deleted` for its projects (sub-projects first), `identity.group.deleted`
  and `identity.user.deleted` for its groups and users (none with `initiator`, no
  role_assignment.deleted), `identity.project.deleted` with `resource_info` = the domain id
  (its is_domain project), then `identity.domain.deleted`.
- Keystone keeps unknown project attributes (e.g. `avoid`) and returns them in GET/list.
"""

events = collections.OrderedDict()   # (family, event_type) -> info


def note(family, et, where, msg, priority=None):
    e = events.setdefault((family, et), {'files': set(), 'count': 0, 'causes': collections.Counter(),
                                         'publishers': set(), 'priority': set()})
    e['files'].add(where)
    e['count'] += 1
    c = cause(msg)
    e['causes'][c or '(before the run\'s first call)'] += 1
    if msg.get('publisher_id'):
        e['publishers'].add(msg['publisher_id'].split(':')[0])
    if msg.get('priority'):
        e['priority'].add(msg['priority'])


def family_of(service, msg, routing_key=None):
    if service != 'nova':
        return service
    if routing_key is not None:
        return 'nova versioned' if routing_key.startswith('versioned_') else 'nova legacy'
    p = msg.get('payload')
    return 'nova versioned' if isinstance(p, dict) and 'nova_object.name' in p else 'nova legacy'


amqp_seen = collections.Counter()
for f in sorted(glob.glob(os.path.join(OUT, 'amqp-*.jsonl'))):
    for rec in lines(f):
        env = rec.get('envelope') or {}
        msg = json.loads(env['oslo.message']) if 'oslo.message' in env else env
        fam = family_of(rec['exchange'], msg, rec['routing_key'])
        note(fam, msg.get('event_type'), '%s (`%s` %s)' % (os.path.basename(f), rec['exchange'],
                                                           rec['routing_key']), msg)
for f in sorted(glob.glob(os.path.join(OUT, 'notifications-*.jsonl'))):
    service = os.path.basename(f)[len('notifications-'):-len('.jsonl')]
    for msg in lines(f):
        # counted once: AMQP copies carry the same message_id
        fam = family_of(service, msg)
        key = (fam, msg.get('event_type'))
        e = events.setdefault(key, {'files': set(), 'count': 0, 'causes': collections.Counter(),
                                    'publishers': set(), 'priority': set()})
        e['files'].add(os.path.basename(f))
        if not any(os.path.basename(x).startswith('amqp-') or x.startswith('amqp-')
                   for x in e['files']):
            note(fam, msg.get('event_type'), os.path.basename(f), msg)

print('# Captured notifications\n')
print('Made by `scripts/openstack/capture.sh` against `scripts/openstack/stack.sh up` (Keystone 22, '
      'Neutron 21, Nova 26 with fake-driver computes `compute1`/`compute2`, Glance 25; Debian 12). '
      'Every event type seen in the run, which files hold it and which REST call of the run caused '
      'it: matched by request id, else "by time" (sent while the call was in flight), else "after" '
      '(the last call made before it: asynchronous work). Counts are messages on the AMQP tap.\n')
print('Files: `rest-<service>.jsonl` (the calls), `notifications-<service>.jsonl` (the log '
      'notification driver: the message without envelope or context), `amqp-<exchange>.jsonl` '
      '(the AMQP messages: `envelope` is `{"oslo.version","oslo.message"}`, `oslo.message` holds '
      'the message with its `_context_*` keys), `snapshot-*.json` (list APIs).\n')
print(NOTES)
order = ['nova versioned', 'nova legacy', 'neutron', 'keystone', 'glance']
fams = sorted({k[0] for k in events}, key=lambda x: order.index(x) if x in order else 99)
for fam in fams:
    print('## %s\n' % fam)
    print('| event_type | n | publisher | files | caused by |')
    print('| --- | --- | --- | --- | --- |')
    for (f2, et), e in sorted(events.items(), key=lambda kv: str(kv[0][1])):
        if f2 != fam:
            continue
        causes = '; '.join('%s ×%d' % (c, n) if n > 1 else c for c, n in e['causes'].most_common(12))
        print('| `%s` | %d | %s | %s | %s |' % (et, e['count'], ', '.join(sorted(e['publishers'])),
                                             '<br>'.join(sorted(e['files'])), causes))
    print()
