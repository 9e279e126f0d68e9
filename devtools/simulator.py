"""A local stand-in for Bolna: its API, plus the webhooks real calls would produce.

    POST /call                -> {"message": "done", "status": "queued", "execution_id": <uuid>}
    GET  /executions/{id}     -> the execution object (what the webhooks carry)
    POST /call/{id}/stop      -> stops a call that is still queued or scheduled, else 400
    GET  /user/me             -> the account: wallet, concurrency
    GET  /v2/agent/{id}       -> the agent, or 404 when the simulator does not know it
    POST /batches, POST /batches/{id}/schedule, GET /batches/{id}, GET /batches/{id}/executions

Each call plays out on a timeline (divided by SIMULATOR_SPEED) once it has a line: initiated,
ringing, in-progress, call-disconnected and, about 2.5 minutes later, completed; or ringing
into no-answer, busy, or a telephony failure.

`Realism` says how much of the real Bolna it plays. The default is the friendly one `make
run` shows; HARD is what tests of the calling side use (`simulate --hard`): at most two calls
at once, the rest `queued`; one call in five first `rescheduled` by the agent's calling
guardrails; calls the customer rejects (`completed`, conversation_duration 0), Bolna's
`error`, `canceled`; webhooks from several senders at once, a quarter of them twice. The
wallet is charged for each call, and a call that finds it empty ends in `balance-low`.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import requests

from calls.statuses import TERMINAL
from daemon.config import Secret
from daemon.logs import pii
from devtools.scenarios import ALL_SCENARIOS, SCENARIOS, choose, converse, customer_for
from devtools.sim_batches import SimulatedBatch
from devtools.sim_calls import AGENT_NUMBER, SimulatedCall
from devtools.sim_webhooks import WebhookSender
from integrations.serving import BackgroundServer

log = logging.getLogger(__name__)

_REQUEUE = "@requeue"  # a rescheduled call comes back into the queue
_START_BATCH = "@batch"


@dataclass(frozen=True)
class Realism:
    concurrency: int | None = None  # calls with a line at once; the rest wait, `queued`
    pool: tuple[str, ...] = tuple(SCENARIOS)  # scenarios a number's hash picks from
    rescheduled_share: int = 0  # 1 in n calls is first moved by the calling guardrails (0: none)
    reschedule_after: float = 300.0  # seconds (at speed 1) before a rescheduled call is queued again
    queued_webhook: bool = False  # post `queued` (and `rescheduled`) as webhooks too
    senders: int = 1  # webhooks posted at once: more than one reorders them
    duplicate_share: float = 0.0  # webhooks posted twice


HARD = Realism(
    concurrency=2,
    pool=tuple(ALL_SCENARIOS),
    rescheduled_share=5,
    queued_webhook=True,
    senders=3,
    duplicate_share=0.25,
)


class BolnaSimulator:
    def __init__(
        self,
        *,
        webhook_url: str,
        speed: float = 1.0,
        api_token: Secret = Secret(""),
        intake_token: Secret = Secret(""),
        session: requests.Session | None = None,
        realism: Realism = Realism(),
        agents: Collection[str] | None = None,
        numbers: Collection[str] | None = None,
        wallet: float = 100.0,
    ) -> None:
        self.webhook_url = webhook_url
        self.speed = speed
        self.realism = realism
        self._api_token = api_token
        self.agents = set(agents) if agents is not None else None  # None: any agent id is known
        self.numbers = set(numbers) if numbers is not None else None  # None: any from-number is ours
        self.wallet = wallet  # in the account's currency; each finished call costs total_cost cents
        self.calls: dict[str, SimulatedCall] = {}
        self.batches: dict[str, SimulatedBatch] = {}
        self.api_calls: list[tuple[str, str]] = []  # (method, path) of every API request
        self.lock = threading.Lock()
        self._due: list[tuple[float, int, str, str]] = []  # (monotonic time, seq, id, status or action)
        self._seq = itertools.count()
        self._wake = threading.Condition(self.lock)
        self._stopping = False
        self._faults: list[int] = []
        self._active: set[str] = set()  # calls holding a line
        self._waiting: deque[str] = deque()  # queued calls, first come first served
        self._server: BackgroundServer | None = None
        self.webhooks = WebhookSender(
            webhook_url,
            intake_token,
            session or requests.Session(),
            senders=realism.senders,
            duplicate_share=realism.duplicate_share,
        )
        self._clock_thread = threading.Thread(target=self._play, name="simulator-calls", daemon=True)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, host: str, port: int) -> BolnaSimulator:
        from devtools.sim_api import build_app

        self._server = BackgroundServer(build_app(self), host, port, name="bolna-simulator").start()
        self._clock_thread.start()
        self.webhooks.start()
        return self

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        return self._server.url

    @property
    def delivered(self) -> list[tuple[str, str, int]]:
        return self.webhooks.delivered

    def stop(self) -> None:
        with self.lock:
            self._stopping = True
            self._wake.notify_all()
        self.webhooks.stop()
        if self._server is not None:
            self._server.stop()
        if self._clock_thread.is_alive():
            self._clock_thread.join(5)

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next `times` API requests with this HTTP status (429, 500...)."""
        with self.lock:
            self._faults.extend([status] * times)

    def take_fault(self) -> int | None:
        with self.lock:
            return self._faults.pop(0) if self._faults else None

    def api_token(self) -> str:
        return self._api_token.reveal()

    def account(self) -> dict[str, Any]:
        """GET /user/me, in the documented shape."""
        with self.lock:
            return {
                "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
                "name": "Callpipe Motors (simulated)",
                "email": "ops@callpipe.example.invalid",
                "wallet": round(self.wallet, 2),
                "concurrency": {"max": self.realism.concurrency or 10, "current": len(self._active)},
            }

    # -- calls -----------------------------------------------------------------------------

    def place(
        self,
        agent_id: str,
        phone: str,
        user_data: dict[str, Any],
        from_number: str = "",
        batch_id: str | None = None,
    ) -> SimulatedCall:
        """A call Bolna accepted: `queued`, and played out once it has a line."""
        pool = {name: ALL_SCENARIOS[name] for name in self.realism.pool}
        scenario, language = choose(phone, user_data, pool)
        conversation = converse(scenario, language, customer_for(phone, user_data))
        call = SimulatedCall(
            str(uuid.uuid4()),
            agent_id,
            phone,
            user_data,
            conversation,
            time.time(),
            batch_id=batch_id,
            from_number=from_number or AGENT_NUMBER,
        )
        with self.lock:
            self.calls[call.execution_id] = call
            share = self.realism.rescheduled_share
            if share and hashlib.sha256(f"guardrails{phone}".encode()).digest()[0] % share == 0:
                # Triggered outside the agent's calling hours: Bolna moves it, then queues it.
                self._set(call, "rescheduled")
                self._schedule(self.realism.reschedule_after, call.execution_id, _REQUEUE)
            else:
                if self.realism.queued_webhook:
                    self._send(call)
                self._waiting.append(call.execution_id)
                self._give_lines()
        log.info("call %s to %s: %s in %s", call.execution_id, pii(phone), scenario.name, language)
        return call

    def stop_call(self, execution_id: str) -> tuple[int, str]:
        """POST /call/{id}/stop: only a queued or scheduled call can be stopped."""
        with self.lock:
            call = self.calls.get(execution_id)
            if call is None:
                return 404, "execution not found"
            if call.status not in ("queued", "scheduled"):
                return 400, f"the call is {call.status} and can no longer be stopped"
            if execution_id in self._waiting:
                self._waiting.remove(execution_id)
            call.status = "stopped"
            self._schedule(0.0, execution_id, "stopped")
            return 200, "stopped"

    def execution(self, execution_id: str) -> dict[str, Any] | None:
        with self.lock:
            call = self.calls.get(execution_id)
            return call.body(time.time()) if call else None

    # -- batches ---------------------------------------------------------------------------

    def add_batch(self, batch: SimulatedBatch) -> None:
        with self.lock:
            self.batches[batch.batch_id] = batch

    def schedule_batch(self, batch_id: str, scheduled_at: str) -> SimulatedBatch:
        """Raises KeyError or BatchRefusedError."""
        with self.lock:
            batch = self.batches[batch_id]
            starts = batch.schedule(scheduled_at, time.time())
            self._schedule(max(0.0, starts - time.time()), batch_id, _START_BATCH)
            return batch

    def batch_doc(self, batch_id: str) -> dict[str, Any] | None:
        with self.lock:
            batch = self.batches.get(batch_id)
            return batch.doc(self.calls, time.time()) if batch else None

    def batch_executions(self, batch_id: str) -> list[dict[str, Any]] | None:
        with self.lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return None
            return [self.calls[e].body(time.time()) for e in batch.executions]

    def _start_batch(self, batch: SimulatedBatch) -> None:
        """Called without the lock: the batch's rows become calls, like single ones."""
        for row in batch.rows:
            data = {k: v for k, v in row.items() if k != "contact_number" and k}
            number = batch.from_numbers[0] if batch.from_numbers else ""
            call = self.place(batch.agent_id, row["contact_number"].strip(), data, number, batch.batch_id)
            with self.lock:
                batch.executions.append(call.execution_id)
        with self.lock:
            batch.status = "queued"

    # -- the timeline (all with the lock held) ---------------------------------------------

    def _give_lines(self) -> None:
        """Queued calls get a line while the account's concurrency allows."""
        limit = self.realism.concurrency
        while self._waiting and (limit is None or len(self._active) < limit):
            execution_id = self._waiting.popleft()
            call = self.calls[execution_id]
            if call.status != "queued":
                continue
            self._active.add(execution_id)
            if self.wallet <= 0:
                call.outcome = "balance-low"
            for status, at in call.timeline():
                self._schedule(at, execution_id, status)

    def _schedule(self, at: float, key: str, status: str) -> None:
        heapq.heappush(self._due, (time.monotonic() + at / self.speed, next(self._seq), key, status))
        self._wake.notify_all()

    def _set(self, call: SimulatedCall, status: str) -> None:
        call.status = status
        if status == "initiated":
            call.initiated_at = time.time()
        if status in TERMINAL:
            call.ended_at = call.ended_at or time.time()
            self._active.discard(call.execution_id)
            self.wallet -= call.cost() / 100
            self._give_lines()
        if status in ("queued", "rescheduled") and not self.realism.queued_webhook:
            return
        self._send(call)

    def _send(self, call: SimulatedCall) -> None:
        self.webhooks.send(call.execution_id, call.status, call.body(time.time()))

    def _play(self) -> None:
        """Move each call along its timeline on time, whatever happens to the webhooks."""
        while True:
            with self.lock:
                while not self._stopping and (not self._due or self._due[0][0] > time.monotonic()):
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._wake.wait(wait)
                if self._stopping:
                    return
                _, _, key, status = heapq.heappop(self._due)
                batch = self.batches.get(key) if status == _START_BATCH else None
                if batch is None:
                    self._step(key, status)
            if batch is not None:
                self._start_batch(batch)

    def _step(self, execution_id: str, status: str) -> None:
        call = self.calls[execution_id]
        if status == _REQUEUE:
            if call.status == "rescheduled":
                self._set(call, "queued")
                self._waiting.append(execution_id)
                self._give_lines()
            return
        if call.status == "stopped" and status != "stopped":
            return  # the rest of a stopped call's timeline never happens
        self._set(call, status)
