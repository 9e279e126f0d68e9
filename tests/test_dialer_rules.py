"""The dialer's eligibility rules, table-driven: sheet rows + call state + an injected time."""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from calls.eligibility import Action, CallingWindow, DialRules, decide, plan_cycle
from calls.store import Attempt, LeadCalls
from daemon.clock import FakeClock
from integrations.sheets import Lead

IST = ZoneInfo("Asia/Kolkata")
NOON = datetime(2026, 1, 15, 12, 0, tzinfo=IST).timestamp()
MIN = 60.0
PHONE = "+919900000001"
KEY = "919900000001"


def rules(**changes: object) -> DialRules:
    base = {
        "retry_after": 10 * MIN,
        "active_skip": 5 * MIN,
        "stale_call": 15 * MIN,
        "max_attempts": 3,
        "calls_per_cycle": 100,
        "window": CallingWindow.parse("09:00-21:00"),
        "tz": IST,
        "region": "IN",
    }
    return DialRules(**{**base, **changes})  # type: ignore[arg-type]


def lead(row: int = 2, phone: str = PHONE, status: str = "", last: str = "") -> Lead:
    values = {"Name": "Asha", "Phone Number": phone, "Status": status, "Last Attempt Time": last}
    return Lead(row=row, values=MappingProxyType(values))


def ago(minutes: float) -> str:
    """A Last Attempt Time as the dialer writes it: local time in TIMEZONE."""
    return datetime.fromtimestamp(NOON - minutes * MIN, IST).strftime("%Y-%m-%d %H:%M:%S")


def attempt(
    status: str,
    minutes_ago: float,
    *,
    ended: bool = True,
    counted: bool = True,
    released: str = "",
    execution_id: str = "ex-1",
) -> Attempt:
    at = NOON - minutes_ago * MIN
    return Attempt(
        attempt_id=f"a-{minutes_ago}",
        started_at=at,
        status=status,
        execution_id=execution_id,
        row=2,
        counted=counted,
        updated_at=at,
        ended_at=at if ended else None,
        released=released,
    )


def state(*attempts: Attempt, exhausted_noted: bool = False) -> dict[str, LeadCalls]:
    return {KEY: LeadCalls(KEY, PHONE, list(attempts), exhausted_noted)}


# (case, the row, its call state, expected action, words the reason must contain)
SHEET_ONLY = [
    ("empty status is new", lead(), {}, Action.DIAL, "new lead"),
    ("'New' is new", lead(status="New"), {}, Action.DIAL, "new lead"),
    ("pending is new", lead(status="pending"), {}, Action.DIAL, "new lead"),
    ("local number format", lead(phone="099000 00001"), {}, Action.DIAL, "new lead"),
    ("invalid number", lead(phone="12345"), {}, Action.INVALID, "12345"),
    ("empty number", lead(phone=""), {}, Action.INVALID, "(empty)"),
    ("invalid, already marked", lead(phone="12345", status="invalid-number"), {}, Action.SKIP, "already marked"),
    ("completed never again", lead(status="completed"), {}, Action.SKIP, "completed"),
    ("operator's do not call", lead(status="Do Not Call"), {}, Action.SKIP, "do-not-call"),
    ("failed 5 min ago waits", lead(status="failed", last=ago(5)), {}, Action.WAIT, "retry after 12:05"),
    ("failed 11 min ago retries", lead(status="failed", last=ago(11)), {}, Action.DIAL, "retry after failed"),
    ("'No Answer' 11 min ago", lead(status="No Answer", last=ago(11)), {}, Action.DIAL, "no-answer"),
    ("busy 9 min ago waits", lead(status="busy", last=ago(9)), {}, Action.WAIT, "busy"),
    ("busy, time unknown", lead(status="busy"), {}, Action.DIAL, "busy"),
    ("initiated 2 min ago", lead(status="initiated", last=ago(2)), {}, Action.SKIP, "less than 5 min"),
    ("ringing 6 min ago", lead(status="ringing", last=ago(6)), {}, Action.DIAL, "long ago"),
    ("active, time unknown", lead(status="in-progress"), {}, Action.SKIP, "less than 5 min"),
    ("unknown status left alone", lead(status="call me later"), {}, Action.SKIP, "unknown status"),
]

WITH_STATE = [
    ("open call 3 min old", lead(), state(attempt("ringing", 3, ended=False)), Action.SKIP, "in progress"),
    (
        "initiating, no id yet",
        lead(),
        state(attempt("initiating", 1, ended=False, execution_id="")),
        Action.SKIP,
        "in progress",
    ),
    ("open call 16 min old", lead(), state(attempt("in-progress", 16, ended=False)), Action.RECONCILE, "16 min"),
    (
        "state completed, sheet lagging",
        lead(status="initiated", last=ago(20)),
        state(attempt("completed", 20)),
        Action.SKIP,
        "completed",
    ),
    ("failed 5 min ago", lead(status="failed"), state(attempt("failed", 5)), Action.WAIT, "retry after"),
    ("failed exactly 10 min ago", lead(status="failed"), state(attempt("failed", 10)), Action.DIAL, "retry"),
    ("state wins over a blank status", lead(), state(attempt("busy", 2)), Action.WAIT, "busy"),
    (
        "three attempts used",
        lead(status="no-answer"),
        state(attempt("failed", 60), attempt("busy", 40), attempt("no-answer", 20)),
        Action.EXHAUSTED,
        "3 attempts",
    ),
    (
        "three attempts, already noted",
        lead(status="no-answer"),
        state(attempt("failed", 60), attempt("busy", 40), attempt("no-answer", 20), exhausted_noted=True),
        Action.SKIP,
        "all 3 attempts",
    ),
    (
        "refused by Bolna does not count",
        lead(status="failed"),
        state(attempt("failed", 60), attempt("busy", 40), attempt("failed", 20, counted=False)),
        Action.DIAL,
        "retry",
    ),
    ("stopped on purpose", lead(status="ringing"), state(attempt("stopped", 60)), Action.SKIP, "on purpose"),
    (
        "answered, final status lost",
        lead(),
        state(attempt("call-disconnected", 30, released="gone")),
        Action.SKIP,
        "answered",
    ),
    ("never answered, released", lead(), state(attempt("ringing", 30, released="gone")), Action.DIAL, "retry"),
    ("operator stop beats state", lead(status="do-not-call"), state(attempt("failed", 60)), Action.SKIP, "do-not-call"),
]


@pytest.mark.parametrize(
    ("row", "calls", "action", "words"),
    [case[1:] for case in SHEET_ONLY + WITH_STATE],
    ids=[case[0] for case in SHEET_ONLY + WITH_STATE],
)
def test_decide(row: Lead, calls: dict[str, LeadCalls], action: Action, words: str) -> None:
    decision = decide(row, calls, NOON, rules())
    assert decision.action is action, decision.reason
    assert words in decision.reason
    assert decision.row == row.row


def test_unreadable_state_is_never_dialled() -> None:
    decision = decide(lead(), {}, NOON, rules(), unreadable={KEY})
    assert decision.action is Action.SKIP
    assert "cannot be read" in decision.reason


def test_time_moves_a_lead_from_wait_to_dial() -> None:
    clock = FakeClock(NOON)
    calls = state(attempt("busy", 0))
    seen = []
    for _ in range(3):
        seen.append(decide(lead(), calls, clock.now(), rules()).action)
        clock.advance(5 * MIN)
    assert seen == [Action.WAIT, Action.WAIT, Action.DIAL]


def test_a_cycle_dials_at_most_calls_per_cycle() -> None:
    rows = [lead(row=n, phone=f"+9199000000{n:02d}") for n in range(2, 6)]
    decisions = plan_cycle(rows, {}, NOON, rules(calls_per_cycle=2))
    assert [d.action for d in decisions] == [Action.DIAL, Action.DIAL, Action.WAIT, Action.WAIT]
    assert "used up" in decisions[2].reason


def test_a_number_on_two_rows_is_dialled_once() -> None:
    rows = [lead(row=2, phone="+91 99000 00001"), lead(row=3, phone="09900000001")]
    decisions = plan_cycle(rows, {}, NOON, rules())
    assert [d.action for d in decisions] == [Action.DIAL, Action.SKIP]
    assert decisions[1].reason == "same number as row 2"


@pytest.mark.parametrize(
    ("window", "local", "action"),
    [
        ("09:00-21:00", (8, 59), Action.WAIT),
        ("09:00-21:00", (9, 0), Action.DIAL),
        ("09:00-21:00", (20, 59), Action.DIAL),
        ("09:00-21:00", (21, 0), Action.WAIT),
        ("21:00-06:00", (23, 30), Action.DIAL),
        ("21:00-06:00", (5, 59), Action.DIAL),
        ("21:00-06:00", (12, 0), Action.WAIT),
        ("00:00-24:00", (3, 0), Action.DIAL),
    ],
)
def test_calling_window_in_local_time(window: str, local: tuple[int, int], action: Action) -> None:
    now = datetime(2026, 1, 15, *local, tzinfo=IST).timestamp()
    decisions = plan_cycle([lead()], {}, now, rules(window=CallingWindow.parse(window)))
    assert decisions[0].action is action


def test_outside_the_window_invalid_numbers_are_still_marked() -> None:
    night = datetime(2026, 1, 15, 23, 0, tzinfo=IST).timestamp()
    decisions = plan_cycle([lead(row=2, phone="nope"), lead(row=3)], {}, night, rules())
    assert [d.action for d in decisions] == [Action.INVALID, Action.WAIT]
    assert "calling window 09:00-21:00" in decisions[1].reason


def test_window_follows_the_configured_timezone() -> None:
    # 04:00 UTC is 09:30 in Kolkata but 23:00 the day before in New York.
    now = datetime(2026, 1, 15, 4, 0, tzinfo=ZoneInfo("UTC")).timestamp()
    assert plan_cycle([lead()], {}, now, rules())[0].action is Action.DIAL
    new_york = rules(tz=ZoneInfo("America/New_York"))
    assert plan_cycle([lead()], {}, now, new_york)[0].action is Action.WAIT


def test_bad_window_text_is_refused() -> None:
    with pytest.raises(ValueError, match="09:00-21:00"):
        CallingWindow.parse("9am-9pm")
