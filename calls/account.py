"""Dialling paused for the Bolna account: a low wallet, a refused key, an unknown agent or caller ID.

None of these is a lead's fault, and every further dial would fail the same way. So the
first one pauses all dialling: one clear log line, a problem in `status`, a note in the
lead's row, and the lead's attempt is not counted. While paused, the dialer asks Bolna's
account endpoint, GET /user/me ("name, email, current wallet balance, concurrency limits",
https://www.bolna.ai/docs/api-reference/user/info), and never places a call to find out:
first ACCOUNT_CHECK_MIN after the pause, then at doubling intervals up to
ACCOUNT_CHECK_MAX, and at once whenever the dialer starts. Dialling resumes by itself when
the key is accepted and `wallet` is at least BOLNA_MIN_BALANCE.

The pause is call state (account.json): the intake, which hears `balance-low` in webhooks,
and a restarted dialer see the same one.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from typing import Any

from calls.store import CallStore
from daemon.clock import Clock

log = logging.getLogger(__name__)

# Why dialling is paused. Each needs someone to act: top up, fix the key, the agent, the number.
BALANCE, KEY, AGENT, FROM_NUMBER = "balance", "key", "agent", "from-number"
WHAT_TO_DO = {
    BALANCE: "top up the Bolna wallet",
    KEY: "check BOLNA_API_TOKEN",
    AGENT: "check BOLNA_AGENT_ID",
    FROM_NUMBER: "check BOLNA_FROM_NUMBER and the Caller ID column",
}


@dataclass(frozen=True)
class Pause:
    kind: str
    reason: str  # one line for people
    since: float  # wall clock, like everything stored
    next_check: float
    interval: float
    checks: int = 0

    def describe(self) -> str:
        return f"dialling paused: {self.reason}; {WHAT_TO_DO.get(self.kind, 'see the log')} (resumes by itself)"


class AccountGate:
    def __init__(self, store: CallStore, clock: Clock, *, first_check: float = 30.0, longest: float = 1800.0) -> None:
        self.store = store
        self.clock = clock
        self.first_check = float(first_check)  # a config Duration is a float subclass orjson refuses
        self.longest = float(max(first_check, longest))

    def paused(self) -> Pause | None:
        return _pause_of(self.store.account())

    def pause(self, kind: str, reason: str) -> bool:
        """Pause dialling. True when this is news (a pause already in force is kept as it is)."""
        with self.store.locked():
            account = self.store.account()
            if _pause_of(account) is not None:
                return False
            now = self.clock.now()
            interval = self.first_check
            last = account.get("resumed")
            if isinstance(last, dict) and last.get("kind") == kind and now - float(last.get("at", 0)) < self.longest:
                # The same trouble right after resuming (the account looked fine, the dial still
                # failed): wait longer this time rather than flap every first_check.
                interval = min(self.longest, float(last.get("interval", interval)) * 2)
            pause = Pause(kind, reason, now, now + interval, interval)
            self._save(pause)
        log.error("%s", pause.describe())
        return True

    def check_now(self) -> None:
        """At start-up: the next account check is due at once (someone may have fixed it meanwhile)."""
        with self.store.locked():
            pause = self.paused()
            if pause is not None:
                self._save(replace(pause, next_check=self.clock.now()))

    def due(self, pause: Pause | None) -> bool:
        """An account check is due for this pause (as `paused()` read it)."""
        return pause is not None and self.clock.now() >= pause.next_check

    def still_paused(self, why: str) -> None:
        """The account check said no: try again after twice the wait, up to `longest`."""
        with self.store.locked():
            pause = self.paused()
            if pause is None:
                return
            interval = min(self.longest, pause.interval * 2)
            self._save(
                replace(pause, next_check=self.clock.now() + interval, interval=interval, checks=pause.checks + 1)
            )
        log.info("still paused: %s; next account check in %.0f s", why, interval)

    def resume(self, why: str) -> None:
        with self.store.locked():
            pause = self.paused()
            if pause is None:
                return
            resumed = {"kind": pause.kind, "at": self.clock.now(), "why": why, "interval": pause.interval}
            self.store.save_account({"resumed": resumed})
        log.warning("dialling resumed: %s (paused for %s)", why, pause.reason)

    def _save(self, pause: Pause) -> None:
        self.store.save_account({"pause": asdict(pause)})


def _pause_of(account: dict[str, Any]) -> Pause | None:
    doc = account.get("pause")
    if not isinstance(doc, dict):
        return None
    try:
        return Pause(**doc)
    except TypeError:
        return None
