"""JetStream's key-value store behind calls that block: what state shared by hosts is kept in.

Every write that must not be lost to a concurrent one is compare-and-set (create: only if
absent; update: only if the revision is still the one read). A Lease is a lock across hosts:
a key created only where none is, in a bucket whose TTL frees it if its holder dies holding it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import nats.js.errors
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

from daemon.broker import UnavailableError
from daemon.brokers.jetstream.layout import token
from daemon.brokers.jetstream.link import Link
from daemon.brokers.jetstream.streams import age_text
from daemon.errors import StartupError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    value: bytes
    revision: int
    written_at: float  # epoch seconds


def key_of(*parts: str) -> str:
    """A key from parts that may hold dots (task names, ids): dots become `=`, parts join with `.`."""
    return ".".join(token(p) for p in parts)


class Bucket:
    def __init__(self, link: Link, name: str, *, replicas: int, ttl: float = 0.0) -> None:
        self.link = link
        self.name = name
        self._kv: KeyValue = link.call(self._open(replicas, ttl), timeout=link.timeout * 4)

    async def _open(self, replicas: int, ttl: float) -> KeyValue:
        js = self.link.js
        try:
            info = await js.stream_info(f"KV_{self.name}")
        except nats.js.errors.NotFoundError:
            config = KeyValueConfig(
                bucket=self.name, history=1, ttl=ttl or None, storage=StorageType.FILE, replicas=replicas, direct=True
            )
            return await js.create_key_value(config)
        found = info.config
        problems = []
        if (found.num_replicas or 1) != replicas:
            problems.append(f"replicas is {found.num_replicas} but callpipe needs {replicas}")
        if age_text(found.max_age) != age_text(ttl):
            problems.append(f"ttl is {age_text(found.max_age)} but callpipe needs {age_text(ttl)}")
        if problems:
            raise StartupError(
                f"key-value bucket {self.name} exists with other settings: {'; '.join(problems)}. "
                "callpipe never re-creates it (it holds call state): set NATS_REPLICAS back, or edit the bucket"
            )
        return await js.key_value(self.name)

    def get(self, key: str) -> Item | None:
        async def read() -> Item | None:
            try:
                entry = await self._kv.get(key)
            except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
                return None
            return Item(entry.value or b"", entry.revision or 0, _epoch(entry.created))

        return self.link.call(read())

    def put(self, key: str, value: bytes) -> int:
        return self.link.call(self._kv.put(key, value))

    def create(self, key: str, value: bytes) -> int | None:
        """Only where the key is absent (or deleted); None when it holds a value."""

        async def write() -> int | None:
            try:
                return await self._kv.create(key, value)
            except nats.js.errors.KeyWrongLastSequenceError:
                return None

        return self.link.call(write())

    def update(self, key: str, value: bytes, revision: int) -> int | None:
        """Only if the key is still at `revision`; None when someone wrote it meanwhile."""

        async def write() -> int | None:
            try:
                return await self._kv.update(key, value, last=revision)
            except nats.js.errors.KeyWrongLastSequenceError:
                return None

        return self.link.call(write())

    def delete(self, key: str, revision: int | None = None) -> bool:
        async def remove() -> bool:
            try:
                return await self._kv.delete(key, last=revision)
            except (nats.js.errors.KeyWrongLastSequenceError, nats.js.errors.BadRequestError):
                return False

        return self.link.call(remove())

    def items(self, prefix: str) -> dict[str, Item]:
        """Every live key under `prefix` with its value: one watch, not one request per key."""

        async def read_all() -> dict[str, Item]:
            found: dict[str, Item] = {}
            watcher = await self._kv.watch(f"{prefix}.>", include_history=False)
            try:
                while True:
                    entry = await watcher.updates(timeout=self.link.timeout)
                    if entry is None:  # the end of what was there when the watch began
                        return found
                    if entry.operation is None and entry.value is not None:
                        found[entry.key] = Item(entry.value, entry.revision or 0, _epoch(entry.created))
                    else:
                        found.pop(entry.key, None)
            finally:
                await watcher.stop()

        return self.link.call(read_all(), timeout=self.link.timeout * 12)


class Lease:
    """A lock held across hosts. The bucket's TTL is the longest a dead holder can block others."""

    def __init__(self, bucket: Bucket, key: str, holder: str, *, wait: float) -> None:
        self.bucket = bucket
        self.key = key
        self.holder = holder.encode()
        self.wait = wait
        self._revision: int | None = None

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        pause = 0.005
        while True:
            revision = self.bucket.create(self.key, self.holder)
            if revision is not None:
                self._revision = revision
                return
            if time.monotonic() > deadline:
                raise UnavailableError(
                    f"the call-state lock {self.bucket.name}/{self.key} stayed taken for {self.wait:.0f} s"
                )
            time.sleep(pause)
            pause = min(0.1, pause * 2)

    def release(self) -> None:
        if self._revision is not None:
            if not self.bucket.delete(self.key, self._revision):
                log.warning("the call-state lock had expired before it was released: it was held too long")
            self._revision = None


def _epoch(created: object) -> float:
    stamp = getattr(created, "timestamp", None)
    return float(stamp()) if callable(stamp) else 0.0
