"""The seed's seven "Data Quality Metrics", computed from SingleInterface payloads. Pure.

Definitions (the seed's formulas made exact; the README's Operations section repeats them):

1. Completion rate: calls whose three fields (name, model, email) are all `verified`, over all
   calls. The seed also mentions `overall_status`, which the payload does not carry; the three
   verified fields are the part that can be checked.
2. Drop-off by stage: calls per `dropoff.action` (ivr, name, model, email), and the share of
   all calls. Calls with an empty action did not drop off.
3. Average attempts per field: mean `attempts` per `key_value` over every call that has the
   entry, and over the calls where it was asked at least once.
4. Language distribution: calls per `language.conversational`.
5. Dealer routing reasons: calls per `dealer_routing.reason`.
6. Average duration by outcome, where the outcome comes from `dealer_routing.reason`:
   complete = "All data collected - routing to dealer"; failed = "No data collected - call
   failed"; partial = the other reasons the analysis gives (partial data, the customer asked
   for a dealer, understanding issues: the bot did not finish by itself). Any other reason
   text is "other".
7. Response time per attempt: `end_time - start_time` of every `attempts_details` entry whose
   two times parse, in seconds; overall and per field.

Spreads use the mean, the median (middle value, or the mean of the two middle values) and the
nearest-rank 90th percentile (the value at rank ceil(0.9 * n) in ascending order).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from statistics import median
from typing import Any

from cli.stats.times import payload_time

FIELDS = ("name", "model", "email")
DROPOFF_STAGES = ("ivr", "name", "model", "email")
OUTCOMES = ("complete", "partial", "failed", "other")
REASON_OUTCOME = {
    "All data collected - routing to dealer": "complete",
    "Partial data collected - call ended": "partial",
    "Customer requested to speak with dealer": "partial",
    "Unable to understand customer responses": "partial",
    "No data collected - call failed": "failed",
}
# Upper bounds in seconds of the duration histogram's buckets; the last one is open.
DURATION_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 30 s", 30),
    ("30-60 s", 60),
    ("1-2 min", 120),
    ("2-3 min", 180),
    ("3-5 min", 300),
    ("5-10 min", 600),
    ("10 min +", math.inf),
)


@dataclass(frozen=True)
class Spread:
    count: int
    mean: float | None
    median: float | None
    p90: float | None
    min: float | None
    max: float | None

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        ordered = sorted(values)
        if not ordered:
            return cls(0, None, None, None, None, None)
        rank = math.ceil(0.9 * len(ordered))
        return cls(
            count=len(ordered),
            mean=sum(ordered) / len(ordered),
            median=float(median(ordered)),
            p90=ordered[rank - 1],
            min=ordered[0],
            max=ordered[-1],
        )


@dataclass(frozen=True)
class FieldAttempts:
    field: str
    calls: int  # calls whose payload has this entry
    attempts: int  # total attempts over those calls
    mean: float | None
    asked: int  # calls where it was asked at least once
    mean_when_asked: float | None


@dataclass(frozen=True)
class Report:
    calls: int
    complete: int
    completion_rate: float | None
    dropoff: dict[str, int]  # drop-off stage -> calls; "" (no drop-off) is left out
    attempts: list[FieldAttempts]
    languages: dict[str, int]  # most common first
    routing_reasons: dict[str, int]  # most common first
    routed: int  # dealer_routing.status true
    outcomes: dict[str, int]
    duration_by_outcome: dict[str, Spread]
    duration_histogram: list[tuple[str, dict[str, int]]]  # bucket label -> outcome -> calls
    response_time: Spread
    response_time_by_field: dict[str, Spread]
    first_start: str | None  # earliest and latest payload start_time, as written
    last_start: str | None
    skipped_attempts: int = 0  # attempts_details entries whose times did not parse

    def rate(self, count: int) -> float | None:
        return count / self.calls if self.calls else None


def outcome_of(payload: Mapping[str, Any]) -> str:
    routing = payload.get("dealer_routing")
    reason = routing.get("reason") if isinstance(routing, Mapping) else None
    return REASON_OUTCOME.get(reason, "other") if isinstance(reason, str) else "other"


def _entries(payload: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """response_data entries by key_value; the first entry wins if a field repeats."""
    found: dict[str, Mapping[str, Any]] = {}
    data = payload.get("response_data")
    for entry in data if isinstance(data, list) else ():
        if isinstance(entry, Mapping) and isinstance(entry.get("key_value"), str):
            found.setdefault(entry["key_value"], entry)
    return found


def _attempt_count(entry: Mapping[str, Any]) -> int:
    value = entry.get("attempts")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    details = entry.get("attempts_details")
    return len(details) if isinstance(details, list) else 0


def _label(mapping: Mapping[str, Any], key: str, inner: str) -> str:
    value = mapping.get(key)
    text = value.get(inner) if isinstance(value, Mapping) else None
    return text if isinstance(text, str) and text else "(none)"


def _duration(payload: Mapping[str, Any]) -> float | None:
    value = payload.get("duration")
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _bucket(seconds: float) -> str:
    return next(label for label, upper in DURATION_BUCKETS if seconds < upper)


def compute(payloads: Iterable[Mapping[str, Any]], tz: tzinfo) -> Report:
    """All seven metrics over `payloads` (one per call, already de-duplicated and filtered)."""
    calls = complete = routed = skipped_attempts = 0
    dropoff: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    field_calls: Counter[str] = Counter()
    field_attempts: Counter[str] = Counter()
    field_asked: Counter[str] = Counter()
    field_asked_attempts: Counter[str] = Counter()
    durations: dict[str, list[float]] = {o: [] for o in OUTCOMES}
    histogram = {label: Counter[str]() for label, _ in DURATION_BUCKETS}
    responses: dict[str, list[float]] = {}
    starts: list[tuple[float, str]] = []

    for payload in payloads:
        calls += 1
        entries = _entries(payload)
        if all(entries.get(f, {}).get("remarks") == "verified" for f in FIELDS):
            complete += 1
        drop = payload.get("dropoff")
        action = drop.get("action") if isinstance(drop, Mapping) else None
        if isinstance(action, str) and action:
            dropoff[action] += 1
        languages[_label(payload, "language", "conversational")] += 1
        reasons[_label(payload, "dealer_routing", "reason")] += 1
        routing = payload.get("dealer_routing")
        if isinstance(routing, Mapping) and routing.get("status") is True:
            routed += 1
        outcome = outcome_of(payload)
        outcomes[outcome] += 1
        duration = _duration(payload)
        if duration is not None:
            durations[outcome].append(duration)
            histogram[_bucket(duration)][outcome] += 1
        start = payload_time(payload.get("start_time"), tz)
        if start is not None:
            starts.append((start, payload["start_time"]))
        for name, entry in entries.items():
            count = _attempt_count(entry)
            field_calls[name] += 1
            field_attempts[name] += count
            if count:
                field_asked[name] += 1
                field_asked_attempts[name] += count
            details = entry.get("attempts_details")
            for attempt in details if isinstance(details, list) else ():
                begin = payload_time(attempt.get("start_time"), tz) if isinstance(attempt, Mapping) else None
                end = payload_time(attempt.get("end_time"), tz) if isinstance(attempt, Mapping) else None
                if begin is None or end is None or end < begin:
                    skipped_attempts += 1
                    continue
                responses.setdefault(name, []).append(end - begin)

    ordered_fields = [*FIELDS, *sorted(set(field_calls) - set(FIELDS))]
    starts.sort()
    return Report(
        calls=calls,
        complete=complete,
        completion_rate=complete / calls if calls else None,
        dropoff={s: dropoff[s] for s in (*DROPOFF_STAGES, *sorted(set(dropoff) - set(DROPOFF_STAGES)))},
        attempts=[
            FieldAttempts(
                field=name,
                calls=field_calls[name],
                attempts=field_attempts[name],
                mean=field_attempts[name] / field_calls[name] if field_calls[name] else None,
                asked=field_asked[name],
                mean_when_asked=(field_asked_attempts[name] / field_asked[name] if field_asked[name] else None),
            )
            for name in ordered_fields
        ],
        languages=dict(_most_common(languages)),
        routing_reasons=dict(_most_common(reasons)),
        routed=routed,
        outcomes={o: outcomes[o] for o in OUTCOMES},
        duration_by_outcome={o: Spread.of(durations[o]) for o in OUTCOMES},
        duration_histogram=[(label, {o: histogram[label][o] for o in OUTCOMES}) for label, _ in DURATION_BUCKETS],
        response_time=Spread.of(v for values in responses.values() for v in values),
        response_time_by_field={name: Spread.of(responses.get(name, ())) for name in ordered_fields},
        first_start=starts[0][1] if starts else None,
        last_start=starts[-1][1] if starts else None,
        skipped_attempts=skipped_attempts,
    )


def _most_common(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most common first; ties in name order, so the output is stable."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
