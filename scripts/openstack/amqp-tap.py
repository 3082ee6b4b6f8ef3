#!/usr/bin/python3
"""Copy the notifications on this stack's RabbitMQ into one JSON-lines file per exchange.

Declares its own exclusive, auto-delete queue, binds it to the topic exchanges given (declared
as oslo.messaging declares them: topic, durable=false, auto_delete=false, so binding works
before a service has sent anything) and writes every message as
    {"exchange": ..., "routing_key": ..., "content_type": ..., "properties": {...},
     "body": "<the AMQP body as received>", "envelope": <body parsed>}
to OUTDIR/amqp-<exchange>.jsonl until SIGTERM/SIGINT ("READY" goes to stdout once bound).
Keystone tokens found in a body are replaced by "***".

    amqp-tap.py OUTDIR nova:versioned_notifications.info,versioned_notifications.error,notifications.info \
                neutron:notifications.* keystone:notifications.*

Uses Debian's python3-kombu (a dependency of oslo.messaging).
"""
import json
import re
import signal
import socket
import sys

import kombu

URL = 'amqp://guest:guest@127.0.0.1:5672//'
# Keystone's fernet tokens (Nova's legacy scheduler.select_destinations payload carries the
# request context's auth_token): masked, the only change made to a message
FERNET = re.compile(r'gAAAAA[A-Za-z0-9_=-]+')


def main():
    outdir, specs = sys.argv[1], sys.argv[2:]
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    files = {}
    with kombu.Connection(URL) as conn:
        ch = conn.channel()
        q = kombu.Queue('pvsc-capture-%s' % socket.gethostname(), exclusive=True,
                        auto_delete=True, durable=False, channel=ch)
        q.declare()
        for spec in specs:
            name, keys = spec.split(':', 1)
            ex = kombu.Exchange(name, type='topic', durable=False, auto_delete=False, channel=ch)
            ex.declare()
            for key in keys.split(','):
                q.bind_to(exchange=ex, routing_key=key)
            files[name] = open('%s/amqp-%s.jsonl' % (outdir, name), 'a')

        def on_message(body, message):
            di = message.delivery_info
            raw = message.body
            if isinstance(raw, bytes):
                raw = raw.decode('utf-8')
            raw = FERNET.sub('***', raw)
            try:
                env = json.loads(raw)
            except ValueError:
                env = None
            rec = {'exchange': di.get('exchange'), 'routing_key': di.get('routing_key'),
                   'content_type': message.content_type,
                   'properties': {k: v for k, v in message.properties.items()
                                  if k not in ('delivery_info',)},
                   'body': raw, 'envelope': env}
            f = files.get(di.get('exchange'))
            if f is None:
                f = files[di.get('exchange')] = open(
                    '%s/amqp-%s.jsonl' % (outdir, di.get('exchange')), 'a')
            f.write(json.dumps(rec, default=str) + '\n')
            f.flush()
            message.ack()

        with kombu.Consumer(ch, queues=[q], callbacks=[on_message], accept=None, no_ack=False):
            print('READY', flush=True)
            while not stop:
                try:
                    conn.drain_events(timeout=0.5)
                except socket.timeout:
                    pass
    for f in files.values():
        f.close()


if __name__ == '__main__':
    main()
