"""Bolna's call statuses, ranked so that out-of-order webhooks can never move a call backwards.

Bolna posts one webhook per status change, but deliveries race: a late `ringing` may arrive
after `completed`. Every status gets a rank; an event is applied only when its rank is at
least the call's current rank, so terminal statuses always win.

What each status means for the lead, from Bolna's status list
(https://www.bolna.ai/docs/list-phone-call-status) and API reference:

- `queued`, `scheduled`, `rescheduled`: Bolna holds the call. `queued` waits for a free line
  under the account's concurrency limit, `scheduled` for its `scheduled_at`, `rescheduled`
  was moved out of hours by the agent's calling guardrails. The lead is on a call: it is
  never dialled again while Bolna holds it, however long that takes.
- `completed` is final, but "does not prove anyone answered": with a conversation_duration
  of 0, or no customer turn, the lead was not reached and is retried like `no-answer`.
- `balance-low`: "The call cannot be initiated since your Bolna balance is low". The
  account's fault, not the lead's: it pauses dialling and costs the lead no attempt.
- `stopped`: the call was stopped before it was placed. POST /call/{id}/stop answers
  `"status": "stopped"` and works only "when its status is queued or scheduled"
  (https://www.bolna.ai/docs/api-reference/calls/stop_call): someone, an operator or our own
  do-not-call, decided against this call. Not retried.
- `canceled`: "The call was canceled" (the status list, under unsuccessful calls); Bolna's
  own reference notes it as cancelled via the stop API or by hand. A decision, like
  `stopped`: not retried. Type a new status (or clear it) to have the lead rung again.
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

# Bolna holds the call (its queue, a schedule, its calling guardrails): the lead is on a call.
HELD = frozenset({"scheduled", "queued", "rescheduled"})
# What POST /call/{id}/stop accepts: "Stop a queued or scheduled call".
STOPPABLE = frozenset({"scheduled", "queued"})
# The account, not the lead, kept the call from happening: dialling pauses, no attempt is used.
ACCOUNT_STATUSES = frozenset({"balance-low"})
# Our word in the sheet for `completed` with nobody on the line: retried like no-answer.
NOT_REACHED = "not-reached"

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


# Still on a call: every ranked status short of a final one (ours and the seed's words included).
ACTIVE = frozenset(
    status for status, position in _RANK.items() if position < _RANK[COMPLETED] and status not in TERMINAL
)


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
