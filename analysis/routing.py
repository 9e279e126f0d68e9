"""Dealer routing and drop-off, by the spec's rules in order."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.fields import FIELDS

PERSON_REQUESTED = "Customer requested to speak with dealer"
ALL_COLLECTED = "All data collected - routing to dealer"
NOT_UNDERSTOOD = "Unable to understand customer responses"
PARTIAL = "Partial data collected - call ended"
NOTHING = "No data collected - call failed"


@dataclass(frozen=True)
class Routing:
    status: bool
    reason: str
    time: str  # "" when not routed


@dataclass(frozen=True)
class Dropoff:
    time: str
    action: str  # "", "ivr", "name", "model" or "email"


def route(
    verified: set[str],
    attempts: dict[str, int],
    confusion: int,
    person_request_time: str | None,
    last_agent_time: str,
    max_mean_attempts: float,
    min_confusion: int,
) -> Routing:
    """The first rule that holds. `last_agent_time` is the last agent message's time, else the call's end."""
    if person_request_time is not None:
        return Routing(True, PERSON_REQUESTED, person_request_time)
    if len(verified) == len(FIELDS):
        return Routing(True, ALL_COLLECTED, last_agent_time)
    asked = [count for count in attempts.values() if count]
    mean = sum(asked) / len(asked) if asked else 0.0
    if mean > max_mean_attempts or confusion >= min_confusion:
        return Routing(True, NOT_UNDERSTOOD, last_agent_time)
    if verified:
        return Routing(False, PARTIAL, "")
    return Routing(False, NOTHING, "")


def dropoff(routing: Routing, verified: set[str], last_asked: str | None, last_agent_time: str) -> Dropoff:
    """Where an unrouted call was lost: the unanswered field asked last, else the first unverified field,
    or "ivr" when no question was asked at all."""
    if routing.status:
        return Dropoff("", "")
    if last_asked is None:
        return Dropoff(last_agent_time, "ivr")
    if last_asked not in verified:
        return Dropoff(last_agent_time, last_asked)
    return Dropoff(last_agent_time, next((f for f in FIELDS if f not in verified), ""))
