"""Property: for ANY input the analyzer returns a payload of the seed's exact shape, or raises BadTranscript
with a reason; never anything else, and it never changes the input."""

from __future__ import annotations

import re
import time
from datetime import UTC, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import Analysis, Analyzer, BadTranscript, analyze_bytes
from analysis.language import LANGUAGES

ANALYZER = Analyzer()
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
REASONS = {
    "Customer requested to speak with dealer": True,
    "All data collected - routing to dealer": True,
    "Unable to understand customer responses": True,
    "Partial data collected - call ended": False,
    "No data collected - call failed": False,
}
LABELS = [
    ("What's your name", "name"),
    ("Which model you are looking for", "model"),
    ("What is your email id", "email"),
]
TOP_KEYS = [
    "id",
    "call_ref_id",
    "call_vendor",
    "recording_url",
    "start_time",
    "end_time",
    "duration",
    "language",
    "dealer_routing",
    "dropoff",
    "response_data",
]
ITEM_KEYS = ["key_label", "key_value", "key_response", "attempts", "attempts_details", "remarks"]

# Words that make the extractors work: names, cars, emails, read-backs, confusion, requests, in many scripts.
PHRASES = [
    "my name is Rahul Sharma",
    "mera naam विवेक है",
    "en peru Muthu",
    "Just to confirm, your name is Vivek, right?",
    "yes",
    "haan ji",
    "no",
    "Sorry?",
    "maaf kijiye, phir se boliye",
    "Which car do you want?",
    "kreta",
    "Nexon EV",
    "I have a Maruti Swift",
    "rahul dot sharma at gmail dot com",
    "r a h u l nine two at the rate gmail dot com",
    "What is your email id?",
    "dealer se baat karao",
    "I don't want to talk to a dealer",
    "Am I speaking with Akash?",
    "உங்கள் பெயர் என்ன?",
    "మీ పేరు ఏమిటి?",
    "ನಿಮ್ಮ ಹೆಸರು ಏನು?",
    "તમારું નામ શું છે?",
    "ਤੁਹਾਡਾ ਨਾਮ ਕੀ ਹੈ?",
    "a.b@c.co",
    "@@..",
    "   ",
    "",
    "\n",
    "?",
    "ex you vee seven hundred",
    "नेक्सॉन",
    "x" * 300,
]
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
TIMESTAMPS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**16), max_value=10**16)
    | st.floats()
    | st.text(max_size=30)
    | st.datetimes().map(lambda d: d.isoformat(sep=" "))
    | st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
    | st.integers(min_value=1_600_000_000, max_value=1_900_000_000)
    | st.sampled_from(
        [
            "2025-10-02 14:25:00",
            "2025-10-02T14:25:00.123+05:30",
            "9999-12-31T23:59:59-14:00",
            "0001-01-01 00:00:00",
            "1759395300000",
            "2025-02-30 10:00:00",
        ]
    )
)
ROLES = (
    st.sampled_from(["assistant", "agent", "bot", "user", "customer", "caller", "system", "tool", "USER "])
    | JSON_SCALARS
)
TEXTS = st.sampled_from(PHRASES) | st.text(max_size=60) | JSON_SCALARS
MESSAGES = st.fixed_dictionaries({"role": ROLES, "text": TEXTS}, optional={"timestamp": TIMESTAMPS}) | JSON_SCALARS
IDS = st.sampled_from(["c-1", "18882175837982271", "a" * 128]) | st.text(max_size=12) | JSON_SCALARS
NATIVE = st.fixed_dictionaries(
    {"call_ref_id": IDS, "start_time": TIMESTAMPS},
    optional={
        "end_time": TIMESTAMPS,
        "messages": st.lists(MESSAGES, max_size=25) | JSON_SCALARS,
        "metadata": JSON,
        "call_vendor": JSON_SCALARS,
        "recording_url": JSON_SCALARS,
    },
)
LINES = st.lists(
    st.tuples(
        st.sampled_from(["assistant: ", "user:  ", "agent:", "SYSTEM: ", "", "note: "]),
        TEXTS.filter(lambda t: isinstance(t, str)),
    ).map(lambda pair: pair[0] + pair[1]),
    max_size=20,
).map("\n".join)
GOOD_TIMES = st.integers(min_value=1_600_000_000, max_value=1_900_000_000) | st.sampled_from(
    ["2025-10-02 14:25:00", "2025-10-02T09:00:00Z"]
)
NATIVE_WITH_GOOD_HEADER = st.fixed_dictionaries(
    {
        "call_ref_id": st.sampled_from(["c-1", "x.y_z-9"]),
        "start_time": GOOD_TIMES,
        "messages": st.lists(MESSAGES, min_size=1, max_size=30),
    },
    optional={"end_time": GOOD_TIMES | TIMESTAMPS},
)
BOLNA = st.fixed_dictionaries(
    {"id": IDS, "agent_id": JSON_SCALARS, "transcript": LINES | JSON_SCALARS, "created_at": TIMESTAMPS},
    optional={
        "initiated_at": TIMESTAMPS,
        "conversation_duration": JSON_SCALARS,
        "telephony_data": st.fixed_dictionaries({}, optional={"duration": JSON_SCALARS, "recording_url": JSON_SCALARS})
        | JSON,
    },
)


def check(doc: Any) -> None:
    before = repr(doc)
    try:
        result = ANALYZER.analyze(doc)
    except BadTranscript as exc:
        assert str(exc)
    else:
        assert_shape(result)
    assert repr(doc) == before


def assert_shape(result: Analysis) -> None:
    p = result.payload
    assert list(p) == TOP_KEYS
    assert p["id"] == "bot_" + p["call_ref_id"] == "bot_" + result.call_ref_id
    assert all(isinstance(p[k], str) for k in ("call_vendor", "recording_url"))
    assert TIME.fullmatch(p["start_time"]) and TIME.fullmatch(p["end_time"])
    assert isinstance(p["duration"], int) and p["duration"] >= 0
    assert list(p["language"]) == ["welcome", "conversational"]
    assert p["language"]["conversational"] in LANGUAGES
    routing = p["dealer_routing"]
    assert list(routing) == ["status", "reason", "time"]
    assert REASONS[routing["reason"]] is routing["status"]
    assert TIME.fullmatch(routing["time"]) if routing["status"] else routing["time"] == ""
    drop = p["dropoff"]
    assert list(drop) == ["time", "action"]
    if routing["status"]:
        assert drop == {"time": "", "action": ""}
    else:
        assert TIME.fullmatch(drop["time"]) and drop["action"] in ("ivr", "name", "model", "email")
    assert [(i["key_label"], i["key_value"]) for i in p["response_data"]] == LABELS
    for item in p["response_data"]:
        assert list(item) == ITEM_KEYS
        assert item["attempts"] == len(item["attempts_details"])
        for sequence, detail in enumerate(item["attempts_details"], start=1):
            assert list(detail) == ["start_time", "end_time", "sequence"] and detail["sequence"] == sequence
            assert TIME.fullmatch(detail["start_time"]) and TIME.fullmatch(detail["end_time"])
        expected = "verified" if item["key_response"] else "not_available" if item["attempts"] else "not_attempted"
        assert item["remarks"] == expected
    assert isinstance(result.summary, str) and result.summary.endswith(".")
    assert isinstance(result.metadata, dict) and isinstance(result.timing_estimated, bool)


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(NATIVE)
def test_native_transcripts(doc: dict) -> None:
    check(doc)


@SETTINGS
@given(NATIVE_WITH_GOOD_HEADER)
def test_native_transcripts_with_a_good_header_always_give_a_payload(doc: dict) -> None:
    assert_shape(ANALYZER.analyze(doc))


@SETTINGS
@given(BOLNA)
def test_bolna_bodies(doc: dict) -> None:
    check(doc)


@settings(max_examples=100, deadline=None)
@given(JSON)
def test_any_json_value(doc: Any) -> None:
    check(doc)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("unit", ["bol ", "my name is ", "मेरा नाम ", "kya main ", "car's name ", "sorry? "])
def test_very_long_messages_are_analysed(unit: str) -> None:
    """100 KB messages made of trigger words: the work stays linear (a quadratic scan would run for minutes
    and hit the timeout)."""
    text = unit * (100_000 // len(unit)) + " just to confirm, right?"
    doc = {
        "call_ref_id": "long",
        "start_time": "2025-10-02 10:00:00",
        "messages": [
            {"role": "assistant", "text": "What is your name?"},
            {"role": "user", "text": text},
            {"role": "assistant", "text": text},
        ],
    }
    assert_shape(ANALYZER.analyze(doc))


@pytest.mark.parametrize(
    "template",
    [
        '{"call_ref_id": "x", "start_time": DEEP}',
        '{"call_ref_id": DEEP, "start_time": 1}',
        '{"call_ref_id": "x", "start_time": 1, "end_time": DEEP, "metadata": DEEP}',
        '{"call_ref_id": "x", "start_time": 1, "messages": [{"role": DEEP, "text": DEEP, "timestamp": DEEP}]}',
        '{"agent_id": 1, "transcript": null, "status": DEEP}',
        '{"agent_id": 1, "transcript": "", "id": DEEP, "created_at": DEEP}',
        '{"agent_id": 1, "transcript": "", "id": "b", "created_at": 1, "telephony_data": DEEP}',
    ],
)
def test_deeply_nested_values_anywhere(template: str) -> None:
    """orjson accepts nesting up to 1024 levels; a reason must never try to print such a value whole."""
    raw = template.replace("DEEP", "[" * 1000 + "]" * 1000).encode()
    try:
        assert_shape(analyze_bytes(raw, ANALYZER))
    except BadTranscript as exc:
        assert len(str(exc)) < 300


# -- worst case bounded ---------------------------------------------------------------------------------
# Pathological messages: punctuation runs, huge words, mixed scripts, control characters and trigger
# phrases repeated for a whole message. Every pattern is linear and a message is analysed up to 2,000
# characters, so each transcript takes milliseconds; a quadratic pattern would take seconds and miss the
# deadline (the 40 KB "a.a.a..." line of issue 12 took about a minute).
PIECES = [
    ".",
    "a.",
    "a@",
    ",",
    "?",
    "!!",
    "-",
    "'",
    "@",
    "a",
    "क",
    "ஆ",
    "ಕ್ಷ",
    "1",
    "\x00",
    "\x1f",
    "\u200b",
    "\n",
    " ",
    "my name is ",
    "dealer se baat ",
    "sorry? ",
    "at dot ",
    "r a h u l ",
    "double ",
    "ok ",
    "tell ",
    "Rahul ",
    "kya main ",
    "मेरा नाम ",
]


@st.composite
def adversarial_text(draw: st.DrawFn) -> str:
    unit = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=4)))
    return unit * draw(st.integers(min_value=1, max_value=120_000 // len(unit)))


ADVERSARIAL_TEXT = adversarial_text() | st.text(max_size=3000)


@settings(max_examples=60, deadline=timedelta(seconds=1), suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ADVERSARIAL_TEXT, min_size=1, max_size=6))
def test_adversarial_messages_are_analysed_within_a_deadline(texts: list[str]) -> None:
    messages = [{"role": "user" if i % 2 else "assistant", "text": text} for i, text in enumerate(texts)]
    doc = {"call_ref_id": "adversarial", "start_time": "2025-10-02 10:00:00", "messages": messages}
    assert_shape(ANALYZER.analyze(doc))


@pytest.mark.parametrize("role", ["user", "assistant"])
def test_the_40_kb_dotted_line_of_issue_12_is_fast(role: str) -> None:
    doc = {
        "call_ref_id": "dots",
        "start_time": "2025-10-02 10:00:00",
        "messages": [{"role": "assistant", "text": "What is your email?"}, {"role": role, "text": "a." * 20_000}],
    }
    began = time.process_time()
    assert_shape(ANALYZER.analyze(doc))
    assert time.process_time() - began < 0.25


def test_a_megabyte_of_pathological_messages_takes_well_under_two_seconds() -> None:
    """Every piece above, each filling a message to past the cap, about 1 MB in all (bench/analysis.py
    reports the exact time)."""
    texts = [(piece * (2_100 // len(piece) + 1)) for piece in PIECES]
    messages = [{"role": "user" if i % 2 else "assistant", "text": f"{i} {texts[i % len(texts)]}"} for i in range(480)]
    doc = {"call_ref_id": "megabyte", "start_time": "2025-10-02 10:00:00", "messages": messages}
    assert sum(len(m["text"]) for m in messages) > 1_000_000
    began = time.process_time()
    assert_shape(ANALYZER.analyze(doc))
    assert time.process_time() - began < 2.0
