"""Call state in JetStream's key-value store, for dialers and intakes on several hosts.

With BROKER=jetstream, the no-double-dial guarantee cannot rest on one host's disk and file
lock: a second dialer (or intake) on another host would not see them. KvCallStore keeps the
same records (LeadCalls as JSON, execution links) in the bucket <prefix>_CALLS and offers the
same public methods as CallStore, so the tracker and the stages are unchanged:

- `locked()` is a lock across hosts (a Lease in <prefix>_CALL_LOCKS): the dialer's
  read-decide-write of a lead and the intake's upsert of a call run one at a time, cluster
  wide, exactly as they do under the file lock on one host. Edits take milliseconds.
- every write of a lead is compare-and-set on the revision read under that lock; so even a
  lock that lapsed (its holder stalled past the bucket's TTL) cannot let a second dial's
  record overwrite the first: the late writer gets StateError and dials nobody.

Why not keep the dialer a singleton with a lease instead: its call state would still live on
the leader's disk, and the host taking over after a failover would not know which leads were
already being rung.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

import orjson

from calls.store import CallStore, LeadCalls, StateError, _check_key, decode_lead, json_object
from daemon.broker import Broker
from daemon.config import Config
from daemon.fsutil import is_safe_name

log = logging.getLogger(__name__)

LOCK_TTL = 30.0  # the longest a holder that died holding the lock blocks everyone else
LOCK_WAIT = 35.0  # how long an edit waits for the lock before giving up (UnavailableError)


class KvCallStore(CallStore):
    """CallStore's public methods over two key-value buckets (records, and the lock)."""

    def __init__(self, broker: Any) -> None:  # a JetStreamBroker: its connection and buckets
        # Deliberately no super().__init__(): nothing of this store lives on the local disk.
        from daemon.brokers.jetstream.kv import Lease

        self._records = broker.bucket("CALLS")
        locks = broker.bucket("CALL_LOCKS", ttl=LOCK_TTL)
        self._lease = Lease(locks, "calls", broker.owner, wait=LOCK_WAIT)
        # One batch of sheet writes at a time across hosts, as the file lock does on one host.
        self._sheet_lease = Lease(locks, "sheet-writes", broker.owner, wait=LOCK_WAIT)
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._holder: int | None = None  # the thread inside locked()
        self._revisions: dict[str, int | None] = {}  # lead key -> revision read under the lock

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth == 0:
                self._lease.acquire()
                self._holder = threading.get_ident()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._holder = None
                    self._revisions.clear()
                    self._lease.release()

    def save(self, lead: LeadCalls) -> None:
        with self.locked():
            key = _lead_key(lead.key)
            if lead.key not in self._revisions:
                self.load(lead.key)
            revision = self._revisions.get(lead.key)
            value = lead.to_json()
            written = (
                self._records.create(key, value) if revision is None else self._records.update(key, value, revision)
            )
            if written is None:
                raise StateError(f"call state for lead {lead.key} changed on another host meanwhile; not overwritten")
            self._revisions[lead.key] = written

    def load(self, key: str) -> LeadCalls | None:
        _check_key(key)
        item = self._records.get(_lead_key(key))
        if self._holder == threading.get_ident():  # only a read under the lock may be written back
            self._revisions[key] = item.revision if item is not None else None
        return decode_lead(key, item.value) if item is not None else None

    def leads(self) -> tuple[dict[str, LeadCalls], set[str]]:
        found: dict[str, LeadCalls] = {}
        broken: set[str] = set()
        for name, item in self._records.items("lead").items():
            key = _id_of(name)
            try:
                found[key] = decode_lead(key, item.value)
            except StateError as exc:
                log.error("%s", exc)  # as the file store says it
                broken.add(key)
        return found, broken

    def prune_executions(self, cutoff: float) -> int:
        old = [name for name, item in self._records.items("exec").items() if item.written_at < cutoff]
        for name in old:
            self._records.delete(name)
        return len(old)

    def link(self, execution_id: str, key: str, body: dict[str, Any] | None = None) -> None:
        _check_key(execution_id)
        if body is None:  # a later link without a body keeps the one recorded
            body = (self.execution(execution_id) or {}).get("body")
        doc = {"lead": key, "body": body}
        self._records.put(_exec_key(execution_id), orjson.dumps(doc))

    def execution(self, execution_id: str) -> dict[str, Any] | None:
        if not is_safe_name(execution_id):
            return None
        return self._doc_at(_exec_key(execution_id))

    # -- the account's dialling state, batches, the sheet-writes lock (calls/account.py, batching.py)

    @contextlib.contextmanager
    def _sheet_writes(self) -> Iterator[None]:
        self._sheet_lease.acquire()
        try:
            yield
        finally:
            self._sheet_lease.release()

    def sheet_writes_lock(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return self._sheet_writes()

    def account(self) -> dict[str, Any]:
        return self._doc_at(ACCOUNT_KEY) or {}

    def save_account(self, doc: dict[str, Any]) -> None:
        self._records.put(ACCOUNT_KEY, orjson.dumps(doc))

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        return self._doc_at(_batch_key(batch_id)) if is_safe_name(batch_id) else None

    def save_batch(self, batch_id: str, doc: dict[str, Any]) -> None:
        _check_key(batch_id)
        self._records.put(_batch_key(batch_id), orjson.dumps(doc))

    def batches(self) -> dict[str, dict[str, Any]]:
        found = {}
        for name, item in self._records.items("batch").items():
            doc = json_object(item.value)
            if doc is not None:
                found[_id_of(name)] = doc
        return found

    def _doc_at(self, key: str) -> dict[str, Any] | None:
        item = self._records.get(key)
        return json_object(item.value) if item is not None else None


ACCOUNT_KEY = "state.account"


def _kv_key(kind: str, ident: str) -> str:
    """A record's key in the bucket: KV keys are dot-separated, so an id's dots become '='."""
    return f"{kind}." + ident.replace(".", "=")


def _id_of(kv_key: str) -> str:
    return kv_key.split(".", 1)[1].replace("=", ".")


def _batch_key(batch_id: str) -> str:
    return _kv_key("batch", batch_id)


def _lead_key(key: str) -> str:
    return _kv_key("lead", key)


def _exec_key(execution_id: str) -> str:
    return _kv_key("exec", execution_id)


def open_call_store(cfg: Config, broker: Broker) -> CallStore:
    """The call state for this configuration: on disk, or (BROKER=jetstream) shared by every host."""
    if cfg.broker == "jetstream" and hasattr(broker, "bucket"):
        return KvCallStore(broker)
    return CallStore(cfg.data_dir)
