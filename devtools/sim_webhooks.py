"""How the simulator posts a call's webhooks: one at a time in order, or as the real network
does it when `chaos` is on: several at once, some twice, some overtaking others.

Bolna posts one webhook per status change and retries a 5xx; nothing promises the order in
which they arrive, nor that each arrives once. The intake must be right either way.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
import requests

from daemon.config import Secret

log = logging.getLogger(__name__)


class WebhookSender:
    def __init__(
        self,
        url: str,
        intake_token: Secret,
        session: requests.Session,
        *,
        senders: int = 1,
        duplicate_share: float = 0.0,
        seed: int = 7,
    ) -> None:
        self.url = url
        self._intake_token = intake_token
        self.session = session
        self.duplicate_share = duplicate_share
        self.delivered: list[tuple[str, str, int]] = []  # (execution id, status, HTTP status or 0)
        self.duplicated = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._outbox: queue.Queue[tuple[str, str, dict[str, Any]] | None] = queue.Queue()
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._deliver, name=f"simulator-webhooks-{n}", daemon=True)
            for n in range(max(1, senders))
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping = True
        for _ in self._threads:
            self._outbox.put(None)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(5)

    def send(self, execution_id: str, status: str, body: dict[str, Any]) -> None:
        if not self.url:
            return
        self._outbox.put((execution_id, status, body))
        with self._lock:
            twice = self.duplicate_share > 0 and self._rng.random() < self.duplicate_share
        if twice:
            self.duplicated += 1
            self._outbox.put((execution_id, status, body))

    def _deliver(self) -> None:
        while (item := self._outbox.get()) is not None:
            if len(self._threads) > 1:
                with self._lock:
                    pause = self._rng.uniform(0, 0.01)
                time.sleep(pause)  # several senders at once: later statuses may overtake earlier ones
            self._post(*item)

    def _post(self, execution_id: str, status: str, body: dict[str, Any]) -> None:
        url = self._target()
        code = 0
        for attempt in range(3):
            try:
                response = self.session.post(
                    url, data=orjson.dumps(body), timeout=5, headers={"Content-Type": "application/json"}
                )
            except requests.RequestException as exc:
                log.warning("webhook %s for %s not delivered: %s", status, execution_id, type(exc).__name__)
                code = 0
            else:
                code = response.status_code
                if code < 500:
                    break
            if self._stopping:
                break
            time.sleep(0.2 * (attempt + 1))
        with self._lock:
            self.delivered.append((execution_id, status, code))

    def _target(self) -> str:
        """The webhook URL, with the intake token as ?token= as one would paste it into Bolna."""
        token = self._intake_token.reveal()
        if not token or "token=" in (urlsplit(self.url).query or ""):
            return self.url
        joiner = "&" if "?" in self.url else "?"
        return f"{self.url}{joiner}{urlencode({'token': token})}"
