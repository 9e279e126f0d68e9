"""Reading transcripts: every timestamp shape, both forms, estimated turn times, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from analysis import Analyzer, BadTranscript
from analysis.timeparse import format_local, parse_timestamp, whole_seconds
from analysis.transcript import AGENT, CUSTOMER, MAX_MESSAGE_CHARS, read_transcript

IST = ZoneInfo("Asia/Kolkata")
NOON_IST = datetime(2025, 10, 2, 6, 30, tzinfo=UTC)  # 12:00:00 in Kolkata


@pytest.mark.parametrize(
    "value",
    [
        "2025-10-02 12:00:00",
        "2025-10-02T12:00:00",
        "2025-10-02 12:00",
        "  2025-10-02 12:00:00  ",
        "2025-10-02T06:30:00Z",
        "2025-10-02t06:30:00z",
        "2025-10-02T12:00:00+05:30",
        "2025-10-02T12:00:00+0530",
        "2025-10-02T01:30:00-05:00",
        "2025-10-02 11:25+04:55",
        1759386600,
        1759386600.0,
        1759386600000,
        "1759386600",
        "1759386600000",
    ],
)
def test_every_shape_reads_the_same_moment(value: object) -> None:
    assert parse_timestamp(value, IST) == NOON_IST


@pytest.mark.parametrize(
    ("value", "micros"),
    [
        ("2025-10-02 12:00:00.5", 500_000),
        ("2025-10-02T12:00:00,25", 250_000),
        ("2025-10-02 12:00:00.123456789", 123_456),
    ],
)
def test_fractions_are_kept_until_formatting(value: str, micros: int) -> None:
    moment = parse_timestamp(value, IST)
    assert moment == NOON_IST + timedelta(microseconds=micros)
    assert format_local(moment, IST) == "2025-10-02 12:00:00"


def test_epoch_milliseconds_start_above_ten_to_the_eleven() -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_timestamp(10**11, UTC) == epoch + timedelta(seconds=10**11)  # still seconds: year 5138
    assert parse_timestamp(10**11 + 1, UTC) == epoch + timedelta(milliseconds=10**11 + 1)  # 1973


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        "",
        "yesterday",
        "2025-13-02 12:00:00",
        "2025-10-32 12:00:00",
        "12:00:00",
        "2025-10-02",
        float("nan"),
        float("inf"),
        10**30,
        -(10**30),
        "9999-12-31 23:59:59",
        [],
        {},
    ],
)
def test_unreadable_timestamps_are_none(value: object) -> None:
    assert parse_timestamp(value, IST) is None


def test_a_naive_time_is_read_in_the_zone_given() -> None:
    assert parse_timestamp("2025-10-02 12:00:00", UTC) == datetime(2025, 10, 2, 12, tzinfo=UTC)
    assert format_local(datetime(2025, 10, 2, 12, tzinfo=UTC), IST) == "2025-10-02 17:30:00"


def test_whole_seconds_floors_the_exact_difference_and_is_never_negative() -> None:
    start = datetime(2025, 1, 1, 0, 0, 0, 900_000, tzinfo=UTC)
    assert whole_seconds(start, start + timedelta(seconds=59, microseconds=999_999)) == 59
    assert whole_seconds(start, start - timedelta(seconds=5)) == 0


def native(**fields: object) -> dict:
    return {"call_ref_id": "c-1", "start_time": "2025-10-02 12:00:00", **fields}


def test_roles_empty_texts_and_unknown_entries_do_not_exist_for_the_analysis() -> None:
    messages = [
        {"role": "system", "text": "prompt", "timestamp": "2025-10-02 12:00:01"},
        {"role": "Assistant ", "text": "hello", "timestamp": "2025-10-02 12:00:02"},
        {"role": "bot", "text": "  ", "timestamp": "2025-10-02 12:00:03"},
        "not a message",
        {"role": "caller", "text": "hi", "timestamp": "2025-10-02 12:00:04"},
        {"role": "agent", "text": 42},
        {"text": "no role"},
        {"role": "customer", "text": " yes ", "timestamp": "2025-10-02 12:00:05"},
        {"role": "tool", "text": "later", "timestamp": "2025-10-02 12:09:00"},
    ]
    transcript = read_transcript(native(messages=messages), IST, "Ozonetel")
    assert [(t.speaker, t.text) for t in transcript.turns] == [(AGENT, "hello"), (CUSTOMER, "hi"), (CUSTOMER, "yes")]
    assert transcript.end == parse_timestamp("2025-10-02 12:00:05", IST)  # the tool message does not count
    assert transcript.timing_estimated is False


def test_defaults_of_the_native_form() -> None:
    transcript = read_transcript(native(call_vendor="", recording_url=None, metadata={"lead_row": 7}), IST, "Waybeo")
    assert (transcript.call_vendor, transcript.recording_url) == ("Waybeo", "")
    assert transcript.end == transcript.start
    assert transcript.metadata == {"lead_row": 7}
    assert read_transcript(native(metadata=[1, 2]), IST, "x").metadata == {"value": [1, 2]}


def test_estimated_times_spread_by_text_length() -> None:
    messages = [
        {"role": "assistant", "text": "a" * 10},
        {"role": "user", "text": "b" * 30},
        {"role": "assistant", "text": "c" * 60},
    ]
    transcript = read_transcript(native(end_time="2025-10-02 12:01:40", messages=messages), IST, "x")
    start = transcript.start
    assert [t.time - start for t in transcript.turns] == [timedelta(0), timedelta(seconds=10), timedelta(seconds=40)]
    assert transcript.timing_estimated is True


def test_estimation_never_runs_backwards_when_end_precedes_start() -> None:
    messages = [{"role": "assistant", "text": "one"}, {"role": "user", "text": "two"}]
    transcript = read_transcript(native(end_time="2025-10-02 11:00:00", messages=messages), IST, "x")
    assert [t.time for t in transcript.turns] == [transcript.start, transcript.start]


BOLNA = {
    "id": "exec-1",
    "agent_id": "agent-1",
    "created_at": "2026-01-28T13:17:50.116924",
    "conversation_duration": 68.4,
    "telephony_data": {"duration": "69", "recording_url": "https://rec.example.invalid/a.mp3"},
    "transcript": "assistant: Hello there\nassistant:  How are you\nuser:  fine\nthanks\n\nsystem: note\nuser: bye\n",
}


def test_bolna_lines_become_turns_and_continuations_join_with_a_newline() -> None:
    transcript = read_transcript(BOLNA, IST, "Ozonetel")
    assert [(t.speaker, t.text) for t in transcript.turns] == [
        (AGENT, "Hello there"),
        (AGENT, "How are you"),
        (CUSTOMER, "fine\nthanks"),
        (CUSTOMER, "bye"),
    ]
    assert transcript.call_ref_id == "exec-1"
    assert transcript.call_vendor == "Bolna"
    assert transcript.recording_url == "https://rec.example.invalid/a.mp3"
    assert transcript.start == datetime(2026, 1, 28, 13, 17, 50, 116924, tzinfo=UTC)
    assert transcript.end - transcript.start == timedelta(seconds=68.4)
    assert transcript.metadata == {}


@pytest.mark.parametrize(
    ("duration", "telephony", "seconds"),
    [(0, "69", 69), (None, 12, 12), ("7.5", "69", 7.5), (-3, "x", 0), (None, None, 0)],
)
def test_bolna_duration_falls_back_to_telephony(duration: object, telephony: object, seconds: float) -> None:
    body = {**BOLNA, "conversation_duration": duration, "telephony_data": {"duration": telephony}}
    transcript = read_transcript(body, IST, "x")
    assert transcript.end - transcript.start == timedelta(seconds=seconds)
    assert transcript.recording_url == ""


def test_bolna_initiated_at_comes_first_and_is_utc() -> None:
    transcript = read_transcript({**BOLNA, "initiated_at": "2026-01-28T13:20:00"}, IST, "x")
    assert format_local(transcript.start, IST) == "2026-01-28 18:50:00"


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ([], "must be a JSON object, not an array"),
        ("text", "must be a JSON object, not a string"),
        (None, "must be a JSON object, not null"),
        ({"hello": 1}, "neither form"),
        ({"agent_id": "a", "status": "queued", "transcript": None}, "without a transcript (status 'queued')"),
        (native(call_ref_id=123), "call_ref_id must be"),
        (native(call_ref_id=""), "call_ref_id must be"),
        (native(call_ref_id="a/b"), "call_ref_id must be"),
        (native(call_ref_id="a" * 128), None),
        (native(start_time=None), "start_time is missing"),
        (native(start_time="soon"), "start_time is not a timestamp"),
        (native(messages={"role": "user"}), "messages must be an array"),
        ({**BOLNA, "id": "../x"}, "id must be"),
        ({**BOLNA, "created_at": "never"}, "no readable initiated_at or created_at"),
    ],
)
def test_bad_input_has_a_readable_reason(doc: object, reason: str | None) -> None:
    if reason is None:
        read_transcript(doc, IST, "x")
        return
    with pytest.raises(BadTranscript, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_transcript(doc, IST, "x")


def test_a_terminal_bolna_body_without_transcript_is_a_call_that_never_connected() -> None:
    """Intake enqueues busy/no-answer/failed calls too; they carry `transcript: null`."""
    import copy

    import orjson

    from analysis import AnalysisSettings, Analyzer, BadTranscript
    from tests.conftest import FIXTURES

    body = orjson.loads((FIXTURES / "bolna" / "execution-completed-inbound.json").read_bytes())
    body = copy.deepcopy(body)
    body.update(transcript=None, status="busy", conversation_duration=0)
    body["telephony_data"]["duration"] = None
    payload = Analyzer(AnalysisSettings()).analyze(body).payload
    assert payload["duration"] == 0
    assert payload["dealer_routing"] == {"status": False, "reason": "No data collected - call failed", "time": ""}
    assert payload["dropoff"]["action"] == "ivr"
    assert [r["remarks"] for r in payload["response_data"]] == ["not_attempted"] * 3
    body["status"] = "ringing"  # not finished: still bad input
    with pytest.raises(BadTranscript, match="only a finished call"):
        Analyzer(AnalysisSettings()).analyze(body)


def test_a_message_is_analysed_up_to_the_cap_cut_at_a_space() -> None:
    words = "word " * 1000  # 5,000 characters
    doc = {
        "call_ref_id": "c",
        "start_time": "2025-10-02 10:00:00",
        "messages": [
            {"role": "user", "text": words + "rahul at gmail dot com"},
            {"role": "user", "text": "x" * 5000},
            {"role": "agent", "text": "  short  "},
        ],
    }
    first, second, third = read_transcript(doc, UTC, "Ozonetel").turns
    assert len(first.text) <= MAX_MESSAGE_CHARS and first.text.endswith("word")  # never half a word
    assert second.text == "x" * MAX_MESSAGE_CHARS  # no space near the cap: cut at the cap
    assert third.text == "short"


def test_the_payload_is_computed_from_what_fits() -> None:
    filler = "haan ji " * 300  # 2,400 characters before the address
    doc = {
        "call_ref_id": "c",
        "start_time": "2025-10-02 10:00:00",
        "messages": [
            {"role": "assistant", "text": "What is your email id?"},
            {"role": "user", "text": filler + "rahul at gmail dot com"},
        ],
    }
    assert Analyzer().analyze(doc).payload["response_data"][2]["remarks"] == "not_available"
    doc["messages"][1]["text"] = "rahul at gmail dot com " + filler
    assert Analyzer().analyze(doc).payload["response_data"][2]["key_response"] == "rahul@gmail.com"
