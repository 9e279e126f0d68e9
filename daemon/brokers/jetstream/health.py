"""The jetstream backend's own health, for `status`: nodes that do not answer, streams that
cannot take writes (no leader: quorum lost) or have a replica offline or behind.

Each configured server is asked for its INFO line directly (no credentials needed), so a node
that is down shows by name even while the cluster carries on without it.
"""

from __future__ import annotations

import contextlib
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import nats.js.errors
from nats.js import JetStreamContext

from daemon.broker import UnavailableError
from daemon.brokers.jetstream.layout import Layout
from daemon.brokers.jetstream.link import servers_of
from daemon.redact import safe_url

if TYPE_CHECKING:
    from daemon.brokers.jetstream import JetStreamBroker

PROBE_SECONDS = 2.0


def node_answers(url: str, timeout: float = PROBE_SECONDS) -> bool:
    """A NATS server greets every connection with an INFO line, before any authentication."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4222), timeout=timeout) as conn:
            conn.settimeout(timeout)
            return conn.recv(5) == b"INFO "
    except OSError:
        return False


def broker_problems(broker: JetStreamBroker) -> list[str]:
    servers = servers_of(broker.cfg)
    problems = [f"NATS node {safe_url(s)} is not answering" for s in servers if not node_answers(s)]
    if len(problems) == len(servers):
        return problems  # nothing to ask
    try:
        link = broker.link
        problems += link.call(stream_problems(link.js, broker.layout), timeout=link.timeout * 4)
    except UnavailableError as exc:
        problems.append(exc.problem)
    return problems


async def stream_problems(js: JetStreamContext, layout: Layout) -> list[str]:
    problems = []
    for name in layout.streams():
        try:
            info = await js.stream_info(name)
        except nats.js.errors.NotFoundError:
            problems.append(f"stream {name} does not exist: no stage has started against this NATS yet")
            continue
        except nats.js.errors.ServiceUnavailableError:
            problems.append(f"stream {name} does not answer: it has no leader (quorum lost?)")
            continue
        problems += _cluster_problems(name, info.cluster)
    return problems


def _cluster_problems(name: str, cluster: Any) -> list[str]:
    if cluster is None:
        return []  # a single server: nothing to lose but itself, which the probe sees
    if not cluster.leader:
        return [f"stream {name} has no leader: it has lost quorum and takes no writes"]
    found = []
    for peer in cluster.replicas or []:
        if peer.offline:
            found.append(f"stream {name}: replica on {peer.name} is offline")
        elif not peer.current:
            lag = ""
            with contextlib.suppress(TypeError, ValueError):
                lag = f" ({int(peer.lag)} operations behind)" if peer.lag else ""
            found.append(f"stream {name}: replica on {peer.name} is behind{lag}")
    return found
