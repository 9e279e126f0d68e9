"""Bolna's call statuses, ranked so that out-of-order webhooks can never move a call backwards.

Bolna posts one webhook per status change, but deliveries race: a late `ringing` may arrive
after `completed`. Every status gets a rank; an event is applied only when its rank is at
least the call's current rank, so terminal statuses always win.
"""

from __future__ import annotations

# Our own status: the dial request is being sent (the record exists before the POST).
INITIATING = "initiating"

COMPLETED = "completed"
CALL_DISCONNECTED = "call-disconnected"

# Terminal outcomes other than `completed`. Retried after RETRY_AFTER unless listed below.
FAILED_TERMINAL = frozenset({"busy", "no-answer", "failed", "canceled", "stopped", "error", "balance-low"})
TERMINAL = FAILED_TERMINAL | {COMPLETED}

# Someone deliberately stopped the call: ringing the lead again would override that decision.
NOT_RETRIED = frozenset({"canceled", "stopped"})

_RANK = {
    INITIATING: 0,
    "scheduled": 1,
    "queued": 1,
    "rescheduled": 1,
    "initiated": 2,
    "ringing": 3,
    "in-progress": 4,
    "answered": 4,  # the seed's word for in-progress
    CALL_DISCONNECTED: 5,
    **dict.fromkeys(FAILED_TERMINAL, 8),
    COMPLETED: 9,
}
_UNKNOWN_RANK = 1  # a status Bolna adds later never overrides a known one


def rank(status: str) -> int:
    return _RANK.get(status, _UNKNOWN_RANK)


def is_terminal(status: str) -> bool:
    return status in TERMINAL


def is_known(status: str) -> bool:
    return status in _RANK


def supersedes(new: str, current: str) -> bool:
    """True when an event with status `new` may replace a call's `current` status.

    Equal ranks are accepted so a repeated webhook (say `completed` again, now carrying the
    recording URL) refreshes the stored body; a lower rank is a late, stale delivery.
    """
    return rank(new) >= rank(current)
