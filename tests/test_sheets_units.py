"""The pure parts of the sheet layer: header matching, write plans, the rate limiter, backoff."""

from __future__ import annotations

import random

import pytest

from daemon.clock import FakeClock
from integrations.sheets.model import SEED_COLUMNS, Layout, Lead, SheetError, canonical_header, header_key
from integrations.sheets.ratelimit import TokenBucket
from integrations.sheets.retry import RetryPolicy, run_with_retry


def test_headers_match_whatever_the_case_and_spacing() -> None:
    assert header_key("  Phone\tNUMBER ") == header_key("phone number")
    assert header_key("Phone Number") != header_key("PhoneNumber")
    assert canonical_header(" latest  execution ID") == "Latest Execution ID"
    assert canonical_header("  customer   name ") == "customer name"
    assert len(SEED_COLUMNS) == 9 and SEED_COLUMNS[1] == "Phone Number"


def test_lead_get_is_tolerant_and_empty_when_absent() -> None:
    lead = Lead(row=2, values={"Phone Number": "+91980", "Owner": "desk"})
    assert lead.get("PHONE  number") == "+91980"
    assert lead.get("owner") == "desk"
    assert lead.get("Status") == ""


def test_first_of_two_same_named_columns_wins() -> None:
    layout = Layout(("Name", "Status", "status "))
    assert layout.column("STATUS") == 2
    lead = layout.lead(2, ["Asha", "left", "right"])
    assert lead is not None and lead.values == {"Name": "Asha", "Status": "left"}


def test_plan_appends_each_new_column_once_in_first_seen_order() -> None:
    layout = Layout(("Name", "", "Status"))
    # Rows are planned in order, so row 2's spelling names the new column, not row 3's.
    plan = layout.plan({3: {"ROUTING": "r", "Status": "s"}, 2: {"model": "m", "Routing": "q"}})
    header_cells = [(c.col, c.value) for c in plan.cells if c.row == 1]
    assert header_cells == [(4, "model"), (5, "Routing")]
    data = {(c.row, c.col): c.value for c in plan.cells if c.row > 1}
    assert data == {(2, 4): "m", (2, 5): "q", (3, 5): "r", (3, 3): "s"}
    assert (plan.width, plan.height) == (5, 3)
    assert layout.after(plan).column("routing") == 5


def test_token_bucket_never_exceeds_the_limit_in_any_minute() -> None:
    clock = FakeClock()
    bucket = TokenBucket(30, clock)
    times = []
    for n in range(150):
        if n % 37 == 0:
            clock.advance(95.0)  # idle spells refill the bucket, but only up to its burst
        bucket.acquire()
        times.append(clock.now())
    busiest = max(sum(1 for t in times if s <= t < s + 60.0) for s in times)
    assert busiest <= 30
    assert busiest >= 25  # and it does not throttle far below the limit either


def test_token_bucket_survives_a_clock_stepping_back() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, clock, burst=2)
    bucket.acquire()
    clock.t -= 3600
    waited = bucket.acquire()
    assert waited == 0.0  # the one token left is still there
    assert bucket.acquire() == pytest.approx(60 / 58, rel=1e-3)


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(attempts=8, base=1.0, cap=10.0)
    rng = random.Random(7)
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (7, 10.0)]:
        pauses = [policy.delay(retry, rng) for _ in range(50)]
        assert all(ceiling / 2 <= p <= ceiling for p in pauses)
        assert len(set(pauses)) > 1
    assert policy.delay(1, rng, retry_after=5.0) >= 5.0
    assert policy.delay(1, rng, retry_after=500.0) <= 10.0
    assert policy.worst_case() == 1 + 2 + 4 + 8 + 10 + 10 + 10


def test_unclassified_errors_pass_through_at_once() -> None:
    clock = FakeClock()
    calls = []

    def attempt() -> None:
        calls.append(1)
        raise KeyError("a bug, not the network")

    with pytest.raises(KeyError):
        run_with_retry(attempt, lambda exc: None, what="x", policy=RetryPolicy(), clock=clock, rng=random.Random(1))
    assert len(calls) == 1


def test_permanent_errors_are_not_retried() -> None:
    clock = FakeClock()
    calls = []

    def attempt() -> None:
        calls.append(1)
        raise RuntimeError("400")

    def classify(exc: Exception) -> tuple[SheetError, float | None]:
        return SheetError("bad request", status=400), None

    with pytest.raises(SheetError, match="bad request"):
        run_with_retry(attempt, classify, what="x", policy=RetryPolicy(), clock=clock, rng=random.Random(1))
    assert len(calls) == 1
