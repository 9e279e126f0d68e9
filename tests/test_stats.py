"""`python -m daemon stats` on a generated set of results whose metrics are worked out by hand.

The dataset (16 calls on 2025-10-02, Asia/Kolkata) is six kinds of call, each with fixed
field outcomes and per-attempt response times; every expected number below is arithmetic
on the KINDS table, written out in the comments.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cli.main import main as cli_main
from cli.stats.times import parse_since

TZ = ZoneInfo("Asia/Kolkata")
FIELD_LABELS = {
    "name": "What's your name",
    "model": "Which model you are looking for",
    "email": "What is your email id",
}
ALL_DATA = "All data collected - routing to dealer"
PARTIAL = "Partial data collected - call ended"
REQUESTED = "Customer requested to speak with dealer"
CONFUSED = "Unable to understand customer responses"
NO_DATA = "No data collected - call failed"

# kind: (reason, routed, dropoff, languages per call, durations per call,
#        {field: (remarks, response seconds of each attempt)})
KINDS: dict[str, tuple[str, bool, str, list[str], list[int], dict[str, tuple[str, list[int]]]]] = {
    "complete": (
        ALL_DATA, True, "",
        ["hindi", "hindi", "hindi", "hindi", "english", "english"], [100, 110, 120, 130, 140, 150],
        {"name": ("verified", [3]), "model": ("verified", [4]), "email": ("verified", [5, 7])},
    ),
    "partial": (
        PARTIAL, False, "email", ["english"] * 3, [60, 80, 100],
        {"name": ("verified", [2]), "model": ("verified", [6]), "email": ("not_available", [8])},
    ),
    "requested": (
        REQUESTED, True, "", ["hindi"] * 2, [90, 30],
        {"name": ("verified", [4]), "model": ("not_attempted", []), "email": ("not_attempted", [])},
    ),
    "confused": (
        CONFUSED, True, "", ["tamil"], [225],
        {"name": ("verified", [5, 10, 10]), "model": ("not_available", [15, 15, 10, 5]),
         "email": ("not_attempted", [])},
    ),
    "failed_ivr": (
        NO_DATA, False, "ivr", ["hindi"] * 2, [10, 20],
        {"name": ("not_attempted", []), "model": ("not_attempted", []), "email": ("not_attempted", [])},
    ),
    "failed_name": (
        NO_DATA, False, "name", ["english"] * 2, [40, 50],
        {"name": ("not_available", [3, 9]), "model": ("not_attempted", []), "email": ("not_attempted", [])},
    ),
}  # fmt: skip


def _fmt(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def make_payload(
    call_ref_id: str,
    start: datetime,
    duration: int,
    language: str,
    reason: str,
    routed: bool,
    dropoff: str,
    fields: dict[str, tuple[str, list[int]]],
) -> dict[str, Any]:
    """A payload in the seed's shape; attempt k of a field starts 20 s after the previous one."""
    end = start + timedelta(seconds=duration)
    response_data = []
    clock = start + timedelta(seconds=5)
    for key, (remarks, responses) in fields.items():
        details = []
        for seq, seconds in enumerate(responses, 1):
            details.append(
                {"start_time": _fmt(clock), "end_time": _fmt(clock + timedelta(seconds=seconds)), "sequence": seq}
            )
            clock += timedelta(seconds=20)
        response_data.append(
            {
                "key_label": FIELD_LABELS[key],
                "key_value": key,
                "key_response": "x" if remarks == "verified" else "",
                "attempts": len(responses),
                "attempts_details": details,
                "remarks": remarks,
            }
        )
    return {
        "id": f"bot_{call_ref_id}",
        "call_ref_id": call_ref_id,
        "call_vendor": "Ozonetel",
        "recording_url": "",
        "start_time": _fmt(start),
        "end_time": _fmt(end),
        "duration": duration,
        "language": {"welcome": "english", "conversational": language},
        "dealer_routing": {"status": routed, "reason": reason, "time": _fmt(end) if routed else ""},
        "dropoff": {"time": "" if not dropoff else _fmt(end), "action": dropoff},
        "response_data": response_data,
    }


def result_doc(payload: dict[str, Any], processed_at: float | str) -> dict[str, Any]:
    return {
        "payload": payload,
        "source": {"name": payload["call_ref_id"] + ".json", "sha256": "0" * 64},
        "processed_at": processed_at,
        "timing_estimated": False,
        "metadata": {},
        "summary": "",
        "webhook_id": "msg_" + payload["call_ref_id"],
    }


def write_result(data_dir: Path, folder: str, name: str, doc: dict[str, Any]) -> None:
    path = data_dir / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))


def write_dataset(data_dir: Path) -> None:
    """The 16 calls of KINDS, spread over the result folders, plus noise that must not count."""
    start = datetime(2025, 10, 2, 10, 0, tzinfo=TZ)
    processed = datetime(2025, 10, 3, tzinfo=TZ).timestamp()
    folders = ["done/results", "done/results", "results", "deferred/results"]
    n = 0
    for kind, (reason, routed, dropoff, languages, durations, fields) in KINDS.items():
        for i, (language, duration) in enumerate(zip(languages, durations, strict=True)):
            call = f"{kind}-{i}"
            payload = make_payload(
                call, start + timedelta(minutes=10 * n), duration, language, reason, routed, dropoff, fields
            )
            # Alternate the two processed_at forms the processor may write.
            stamp: float | str = processed + n if n % 2 else datetime.fromtimestamp(processed + n, TZ).isoformat()
            folder = folders[n % len(folders)]
            name = f"{call}.json" + ("@p4242-1" if n == 5 else "")
            write_result(data_dir, "delivering" if n == 5 else folder, name, result_doc(payload, stamp))
            n += 1
    # An older result of complete-0 with other values: the newer one must win.
    stale = make_payload("complete-0", start, 999, "kannada", NO_DATA, False, "ivr", KINDS["failed_ivr"][5])
    write_result(data_dir, "results", "complete-0.json", result_doc(stale, processed - 3600))
    # A re-processed partial-0 whose newer result still waits in results/ while the old one is done.
    old = make_payload("partial-0", start, 5, "gujarati", NO_DATA, False, "ivr", KINDS["failed_ivr"][5])
    write_result(data_dir, "done/results", "partial-0-old.json", result_doc(old, processed - 7200))
    # Calls from September: only counted without --since.
    for i in range(2):
        sept = make_payload(
            f"sept-{i}", datetime(2025, 9, 1, 12, tzinfo=TZ), 10, "hindi", NO_DATA, False, "ivr", KINDS["failed_ivr"][5]
        )
        write_result(data_dir, "done/results", f"sept-{i}.json", result_doc(sept, processed))
    (data_dir / "done/results/broken.json").write_text("{not json")
    (data_dir / "results/.half-written.json").write_text("{")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    write_dataset(root)
    monkeypatch.setenv("DATA_DIR", str(root))
    monkeypatch.setenv("TIMEZONE", "Asia/Kolkata")
    return root


def run_stats(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli_main(["--env-file", "/nonexistent/.env", "stats", *argv])
    return code, capsys.readouterr().out


def spread(count: int, mean: float, median: float, p90: float, low: float, high: float) -> dict[str, Any]:
    return {
        "count": count,
        "mean": pytest.approx(mean),
        "median": pytest.approx(median),
        "p90": p90,
        "min": low,
        "max": high,
    }


def test_seven_metrics_match_hand_computed_values(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_stats(capsys, "--json", "--since", "2025-10-02")
    assert code == 0
    doc = json.loads(out)

    # 6 + 3 + 2 + 1 + 2 + 2 calls; the stale duplicates and September calls are not among them.
    assert doc["calls"] == 16
    assert doc["duplicates"] == 2
    assert [u["file"].rsplit(" ", 1)[1] for u in doc["unreadable"]] == ["broken.json"]
    assert (doc["first_start"], doc["last_start"]) == ("2025-10-02 10:00:00", "2025-10-02 12:30:00")

    # 1. Only the six "complete" calls have all three fields verified: 6 / 16.
    assert doc["complete"] == 6
    assert doc["completion_rate"] == pytest.approx(0.375)

    # 2. ivr: failed_ivr x2; name: failed_name x2; email: partial x3.
    assert doc["dropoff"] == {"ivr": 2, "name": 2, "model": 0, "email": 3}
    assert doc["dropoff_rate"] == {"ivr": 0.125, "name": 0.125, "model": 0.0, "email": 0.1875}

    # 3. name: 6*1 + 3*1 + 2*1 + 3 + 0 + 2*2 = 18 over 16 calls, asked in 14.
    #    model: 6*1 + 3*1 + 4 = 13, asked in 10.  email: 6*2 + 3*1 = 15, asked in 9.
    attempts = {a["field"]: a for a in doc["attempts"]}
    assert list(attempts) == ["name", "model", "email"]
    assert attempts["name"] == {
        "field": "name",
        "calls": 16,
        "attempts": 18,
        "mean": pytest.approx(18 / 16),
        "asked": 14,
        "mean_when_asked": pytest.approx(18 / 14),
    }
    assert (attempts["model"]["attempts"], attempts["model"]["asked"]) == (13, 10)
    assert attempts["model"]["mean"] == pytest.approx(13 / 16)
    assert attempts["model"]["mean_when_asked"] == pytest.approx(1.3)
    assert attempts["email"]["mean"] == pytest.approx(15 / 16)
    assert attempts["email"]["mean_when_asked"] == pytest.approx(15 / 9)

    # 4. hindi: 4 complete + 2 requested + 2 failed_ivr; english: 2 + 3 partial + 2 failed_name.
    assert list(doc["languages"].items()) == [("hindi", 8), ("english", 7), ("tamil", 1)]

    # 5. Reasons, most common first (ties by name); routed = 6 complete + 2 requested + 1 confused.
    assert list(doc["routing_reasons"].items()) == [
        (ALL_DATA, 6),
        (NO_DATA, 4),
        (PARTIAL, 3),
        (REQUESTED, 2),
        (CONFUSED, 1),
    ]
    assert doc["routed"] == 9

    # 6. complete: 100..150 -> mean 125, median 125, p90 = 6th of 6 = 150.
    #    partial (partial, requested, confused): 30 60 80 90 100 225 -> 585/6, (80+90)/2, 6th = 225.
    #    failed: 10 20 40 50 -> 30, 30, 4th of 4 = 50.
    assert doc["outcomes"] == {"complete": 6, "partial": 6, "failed": 4, "other": 0}
    by_outcome = doc["duration_by_outcome"]
    assert by_outcome["complete"] == spread(6, 125, 125, 150, 100, 150)
    assert by_outcome["partial"] == spread(6, 97.5, 85, 225, 30, 225)
    assert by_outcome["failed"] == spread(4, 30, 30, 50, 10, 50)
    assert by_outcome["other"]["count"] == 0
    histogram = {row["bucket"]: row["calls"] for row in doc["duration_histogram"]}
    assert histogram["< 30 s"] == {"complete": 0, "partial": 0, "failed": 2, "other": 0}  # 10, 20
    assert histogram["30-60 s"] == {"complete": 0, "partial": 1, "failed": 2, "other": 0}  # 30 | 40, 50
    assert histogram["1-2 min"] == {"complete": 2, "partial": 4, "failed": 0, "other": 0}  # 100 110 | 60 80 100 90
    assert histogram["2-3 min"] == {"complete": 4, "partial": 0, "failed": 0, "other": 0}  # 120..150
    assert histogram["3-5 min"] == {"complete": 0, "partial": 1, "failed": 0, "other": 0}  # 225
    assert histogram["5-10 min"] == histogram["10 min +"] == {"complete": 0, "partial": 0, "failed": 0, "other": 0}

    # 7. name: 3x6, 2x3, 4x2, 5 10 10, 3 9 3 9 -> 18 values, sum 81; sorted 2 2 2 3(x8) 4 4 5 9 9 10 10.
    #    model: 4x6, 6x3, 15 15 10 5 -> 13 values, sum 87; 7th = 5; 12th = 15.
    #    email: (5, 7)x6, 8x3 -> 15 values, sum 96; 8th = 7; 14th = 8.
    #    all: 46 values, sum 264; 23rd and 24th are 5; 42nd is 10.
    by_field = doc["response_time_by_field"]
    assert by_field["name"] == spread(18, 81 / 18, 3, 10, 2, 10)
    assert by_field["model"] == spread(13, 87 / 13, 5, 15, 4, 15)
    assert by_field["email"] == spread(15, 96 / 15, 7, 8, 5, 8)
    assert doc["response_time"] == spread(46, 264 / 46, 5, 10, 2, 15)
    assert doc["skipped_attempts"] == 0


def test_without_since_every_call_counts_and_old_calls_join(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_stats(capsys, "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["calls"] == 18  # the 16 plus two September failed_ivr-like calls
    assert doc["dropoff"]["ivr"] == 4
    assert doc["first_start"] == "2025-09-01 12:00:00"


def test_since_a_time_of_day_cuts_inside_the_day(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Calls start every 10 minutes from 10:00; from 12:00 on there are 12:00, 12:10, 12:20, 12:30.
    code, out = run_stats(capsys, "--json", "--since", "2025-10-02T12:00")
    assert code == 0
    assert json.loads(out)["calls"] == 4


def test_terminal_tables_show_each_metric(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_stats(capsys, "--since", "2025-10-02")
    assert code == 0
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "16 calls, started 2025-10-02 10:00:00 .. 2025-10-02 12:30:00" in lines
    assert "complete 6 37.5%" in lines
    assert "email 3 18.8%" in lines
    assert "no drop-off 9 56.2%" in lines
    assert "name 16 18 1.12 14 1.29" in lines
    assert "tamil 1 6.2%" in lines
    assert f"{CONFUSED} 1 6.2%" in lines
    assert "partial 6 97.5 85.0 225.0 225.0" in lines
    assert "all fields 46 5.7 5.0 10.0 15.0" in lines
    assert any(line.startswith("left out ") and "broken.json: not valid JSON" in line for line in lines)


def test_html_report_has_the_four_charts(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.html"
    code, _ = run_stats(capsys, "--since", "2025-10-02", "--html", str(report))
    assert code == 0
    page = report.read_text()
    for chart in ("funnel", "durations", "languages", "routing"):
        assert f'data-chart="{chart}"' in page
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    # The funnel's steps: 16 calls, 14 past the greeting, 12 past name, 12 past model, 9 without drop-off.
    for label in ("16 (100%)", "14 (88%)", "12 (75%)", "9 (56%)"):
        assert label in page


def test_empty_data_folder_reports_no_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "empty"))
    code, out = run_stats(capsys, "--json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["calls"], doc["completion_rate"], doc["response_time"]["mean"]) == (0, None, None)


def test_bad_since_is_a_usage_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(["--env-file", "/nonexistent/.env", "stats", "--since", "last tuesday"])
    assert code == 2
    assert "--since 'last tuesday'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", 1_000_000.0 - 86400),
        ("7d", 1_000_000.0 - 7 * 86400),
        ("90m", 1_000_000.0 - 5400),
        ("2w", 1_000_000.0 - 14 * 86400),
        ("2025-10-02", datetime(2025, 10, 2, tzinfo=TZ).timestamp()),
        ("2025-10-02 14:00:00", datetime(2025, 10, 2, 14, tzinfo=TZ).timestamp()),
        ("2025-10-02T08:30:00Z", datetime(2025, 10, 2, 14, 0, tzinfo=TZ).timestamp()),
    ],
)
def test_parse_since(text: str, expected: float) -> None:
    assert parse_since(text, 1_000_000.0, TZ) == expected


def test_stats_never_send_control_characters_to_the_terminal(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A result is input from outside too: a language or reason holding an escape sequence is shown, not obeyed."""
    start = datetime(2025, 10, 2, 10, 0, tzinfo=TZ)
    evil = make_payload("evil", start, 30, "hindi\x1b]0;pwned\x07", "partial\x1b[2J", False, "name", {})
    write_result(data_dir, "done/results", "evil.json", result_doc(evil, start.timestamp()))
    code, out = run_stats(capsys)
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert r"hindi\x1b]0;pwned\x07" in out
