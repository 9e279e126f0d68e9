"""The seed's four complete examples, reproduced exactly from hand-written transcripts, and the real Bolna
execution body. The expected payloads are the seed document's own, copied as JSON into tests/fixtures/seed/."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from analysis import Analyzer, analyze_bytes

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seed"
BOLNA = FIXTURES / "bolna" / "execution-completed-inbound.json"
TRANSCRIPTS = Path(__file__).parent / "transcripts" / "seed"
EXAMPLES = {
    1: "example-1-complete.json",
    2: "example-2-partial.json",
    3: "example-3-dealer-request.json",
    4: "example-4-not-understood.json",
}


def seed_examples() -> dict[int, dict]:
    # json, not orjson: the comparison below checks key order too, and both keep it.
    return {number: json.loads((SEED / name).read_text(encoding="utf-8")) for number, name in EXAMPLES.items()}


def key_orders(value: object) -> list:
    """Every object's key order, depth first: equal only if the nesting and the orders are equal."""
    if isinstance(value, dict):
        return [list(value), *(key_orders(v) for v in value.values())]
    if isinstance(value, list):
        return [key_orders(v) for v in value]
    return []


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def test_the_seed_has_four_examples() -> None:
    assert sorted(seed_examples()) == [1, 2, 3, 4]


@pytest.mark.parametrize("number", sorted(EXAMPLES))
def test_seed_example_is_reproduced_exactly(number: int, analyzer: Analyzer) -> None:
    expected = seed_examples()[number]
    result = analyze_bytes((TRANSCRIPTS / EXAMPLES[number]).read_bytes(), analyzer)
    assert result.payload == expected
    assert list(result.payload) == list(expected)
    assert key_orders(result.payload) == key_orders(expected)
    assert orjson.dumps(result.payload) == orjson.dumps(expected)  # same bytes on the wire
    assert result.call_ref_id == expected["call_ref_id"]
    assert result.timing_estimated is False


def test_seed_example_summaries(analyzer: Analyzer) -> None:
    summaries = [analyze_bytes((TRANSCRIPTS / EXAMPLES[n]).read_bytes(), analyzer).summary for n in (1, 2, 3, 4)]
    assert summaries == [
        "Rahul Sharma wants a Tata Nexon EV; email rahul.sharma@gmail.com; routed to dealer (all data collected).",
        "Priya Mehta wants a Hyundai Creta; no email; not routed (partial data; dropped at email).",
        "Amit Kumar, no model given; no email; routed to dealer (customer asked for a dealer).",
        "Muthu, no model given; no email; routed to dealer (customer not understood).",
    ]


def test_bolna_fixture_analyses_cleanly(analyzer: Analyzer) -> None:
    raw = BOLNA.read_bytes()
    body = orjson.loads(raw)
    result = analyze_bytes(raw, analyzer)
    payload = result.payload
    assert list(payload) == list(seed_examples()[1])
    assert payload["id"] == "bot_6c972873-19b2-44b0-a6bf-d4f690a7a9cf"
    assert payload["call_ref_id"] == body["id"]
    assert payload["call_vendor"] == "Bolna"
    assert payload["recording_url"] == body["telephony_data"]["recording_url"]
    # created_at 13:17:50.116924 UTC is 18:47:50 in Kolkata; the call lasted conversation_duration 68.4 s.
    assert payload["start_time"] == "2026-01-28 18:47:50"
    assert payload["end_time"] == "2026-01-28 18:48:58"
    assert payload["duration"] == 68
    assert payload["language"] == {"welcome": "english", "conversational": "english"}
    name, model, email = payload["response_data"]
    # "my name is विवेक", read back as "Vivek" and affirmed with "yes"; the agent never asked for it.
    assert (name["key_response"], name["attempts"], name["remarks"]) == ("Vivek", 0, "verified")
    assert (model["remarks"], email["remarks"]) == ("not_attempted", "not_attempted")
    assert payload["dealer_routing"] == {"status": False, "reason": "Partial data collected - call ended", "time": ""}
    assert payload["dropoff"] == {"time": last_turn_estimate(body), "action": "ivr"}
    assert result.timing_estimated is True
    assert result.metadata == {}
    assert result.summary == "Vivek, no model given; no email; not routed (partial data; dropped at ivr)."


def last_turn_estimate(body: dict) -> str:
    """The spec's estimate for the last turn, computed here from the raw lines: the turns share the call's
    68.4 s in proportion to their text length, and each turn starts where the ones before it end."""
    texts = [line.split(":", 1)[1].strip() for line in body["transcript"].splitlines() if line.strip()]
    start = datetime.fromisoformat(body["created_at"]).replace(tzinfo=UTC)
    before_last = sum(map(len, texts[:-1]))
    moment = start + timedelta(seconds=body["conversation_duration"] * before_last / sum(map(len, texts)))
    return moment.astimezone(ZoneInfo("Asia/Kolkata")).strftime("%Y-%m-%d %H:%M:%S")
