"""The jetstream backend's own health and picture, for `status`.

Problems (which make `status` exit 1): a configured node that does not answer, a stream with no
leader (quorum lost: it takes no writes), a replica offline or behind. Each configured server
is asked for its INFO line directly (no credentials needed), so a node that is down shows by
name even while the cluster carries on without it. The picture adds each work consumer's
figures: tasks held, redelivered, and how long ago a worker last took one.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import nats.js.errors
from nats.js import JetStreamContext

from daemon.broker import UnavailableError
from daemon.brokers.jetstream.layout import CONSUMED, Layout
from daemon.brokers.jetstream.link import servers_of
from daemon.redact import safe_url

if TYPE_CHECKING:
    from daemon.brokers.jetstream import JetStreamBroker

PROBE_SECONDS = 2.0


@dataclass
class Inspection:
    problems: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def node_answers(url: str, timeout: float = PROBE_SECONDS) -> bool:
    """A NATS server greets every connection with an INFO line, before any authentication."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4222), timeout=timeout) as conn:
            conn.settimeout(timeout)
            return conn.recv(5) == b"INFO "
    except OSError:
        return False


def inspect(broker: JetStreamBroker) -> Inspection:
    found = Inspection()
    servers = servers_of(broker.cfg)
    nodes = [{"url": safe_url(s), "up": node_answers(s)} for s in servers]
    found.details = {"backend": "jetstream", "nodes": nodes, "streams": {}, "consumers": {}}
    found.problems += [f"NATS node {n['url']} is not answering" for n in nodes if not n["up"]]
    if not any(n["up"] for n in nodes):
        return found  # nobody to ask
    try:
        link = broker.link
        info = getattr(link.nc, "_server_info", {}) or {}
        found.details["connected_to"] = str(info.get("server_name", ""))
        found.details["cluster"] = str(info.get("cluster", "")) or None
        link.call(_streams(link.js, broker.layout, found), timeout=link.timeout * 4)
    except UnavailableError as exc:
        found.problems.append(exc.problem)
    return found


async def _streams(js: JetStreamContext, layout: Layout, found: Inspection) -> None:
    # Asked all at once: without quorum each question waits out NATS_TIMEOUT, and `status`
    # should take one NATS_TIMEOUT to say so, not one per stream.
    names = layout.streams()
    answers = await asyncio.gather(*(js.stream_info(name) for name in names), return_exceptions=True)
    for name, info in zip(names, answers, strict=True):
        if isinstance(info, nats.js.errors.NotFoundError):
            found.problems.append(f"stream {name} does not exist: no stage has started against this NATS yet")
            continue
        if isinstance(info, BaseException):
            found.problems.append(f"stream {name} does not answer: it has no leader (quorum lost?)")
            continue
        cluster = info.cluster
        found.details["streams"][name] = {
            "messages": info.state.messages,
            "replicas": info.config.num_replicas or 1,
            "leader": cluster.leader if cluster else None,
        }
        found.problems += _cluster_problems(name, cluster)
    now = time.time()
    asked = [js.consumer_info(layout.work_stream(q), layout.consumer(q)) for q in CONSUMED]
    for queue, consumer in zip(CONSUMED, await asyncio.gather(*asked, return_exceptions=True), strict=True):
        if isinstance(consumer, BaseException):
            continue  # missing, or unanswered: the streams' lines above say why
        last = consumer.delivered.last_active if consumer.delivered else None
        found.details["consumers"][str(queue)] = {
            "name": consumer.name,
            "held": consumer.num_ack_pending or 0,
            "redelivered": consumer.num_redelivered or 0,
            "last_taken_age": max(0.0, now - last.timestamp()) if last else None,
        }


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
            lag = f" ({int(peer.lag)} operations behind)" if peer.lag else ""
            found.append(f"stream {name}: replica on {peer.name} is behind{lag}")
    return found
