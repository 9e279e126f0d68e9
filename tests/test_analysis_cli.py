"""`python -m daemon analyze FILE ...` as a real process: one compact JSON line per file, in argument order;
a bad file gives an error line and a non-zero exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = Path(__file__).parent / "transcripts" / "seed"
BOLNA = ROOT / "tests" / "fixtures" / "bolna" / "execution-completed-inbound.json"
SETTINGS = (
    "TIMEZONE",
    "CALL_VENDOR",
    "WELCOME_LANGUAGE",
    "DEFAULT_LANGUAGE",
    "MODEL_CATALOG",
    "ANALYSIS_PHRASES",
    "ROUTING_MAX_MEAN_ATTEMPTS",
    "ROUTING_MIN_CONFUSION",
    "LOG_FORMAT",
    "LOG_LEVEL",
)


def analyze(*files: Path | str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return subprocess.run(
        [sys.executable, "-m", "daemon", "--env-file", os.devnull, "analyze", *map(str, files)],
        cwd=ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_good_files_print_one_compact_payload_per_line_in_order() -> None:
    files = [SEED_DIR / "example-3-dealer-request.json", BOLNA, SEED_DIR / "example-1-complete.json"]
    run = analyze(*files)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert [orjson.loads(line)["call_ref_id"] for line in lines] == [
        "18882175837982273",
        "6c972873-19b2-44b0-a6bf-d4f690a7a9cf",
        "18882175837982271",
    ]
    assert all(line == orjson.dumps(orjson.loads(line)) for line in lines)  # compact: no spaces added
    assert list(orjson.loads(lines[0])) == [
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


def test_bad_files_get_an_error_line_and_a_failing_status(tmp_path: Path) -> None:
    not_json = tmp_path / "not-json.json"
    not_json.write_bytes(b"{nope")
    bad_id = tmp_path / "bad-id.json"
    bad_id.write_text(json.dumps({"call_ref_id": "../x", "start_time": "2025-10-02 14:25:00"}))
    missing = tmp_path / "missing.json"
    good = SEED_DIR / "example-2-partial.json"
    run = analyze(good, not_json, missing, bad_id, good)
    assert run.returncode == 1
    lines = [orjson.loads(line) for line in run.stdout.splitlines()]
    assert len(lines) == 5
    assert lines[0] == lines[4] and lines[0]["call_ref_id"] == "18882175837982272"
    for line, path, reason in (
        (lines[1], not_json, "not valid JSON"),
        (lines[2], missing, "cannot read the file"),
        (lines[3], bad_id, "call_ref_id must be"),
    ):
        assert list(line) == ["error", "file"]
        assert line["file"] == str(path)
        assert reason in line["error"]


def test_the_configured_timezone_and_vendor_reach_the_payload() -> None:
    run = analyze(BOLNA, SEED_DIR / "example-1-complete.json", env={"TIMEZONE": "UTC", "CALL_VENDOR": "Waybeo"})
    assert run.returncode == 0, run.stderr
    bolna, native = map(orjson.loads, run.stdout.splitlines())
    assert bolna["start_time"] == "2026-01-28 13:17:50"  # Bolna's UTC clock, now written in UTC
    assert native["start_time"] == "2025-10-02 14:25:00"  # a naive time is read and written in the same zone
    assert (bolna["call_vendor"], native["call_vendor"]) == ("Bolna", "Waybeo")


def test_a_bad_catalog_stops_with_a_message(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text("[]")
    run = analyze(SEED_DIR / "example-1-complete.json", env={"MODEL_CATALOG": str(catalog)})
    assert run.returncode == 2
    assert run.stdout == b""
    assert b"cannot load the analysis data" in run.stderr


def test_a_bad_phrase_file_stops_with_its_name_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "phrases"
    folder.mkdir()
    (folder / "hi.txt").write_text("[person_request]\nbade sahab se {milwao\n", encoding="utf-8")
    run = analyze(SEED_DIR / "example-1-complete.json", env={"ANALYSIS_PHRASES": str(folder)})
    assert run.returncode == 2
    assert run.stdout == b""
    assert f"phrase file {folder / 'hi.txt'}, line 2: '{{' without its '}}'".encode() in run.stderr


def test_an_override_folder_reaches_the_payload(tmp_path: Path) -> None:
    folder = tmp_path / "phrases"
    folder.mkdir()
    (folder / "en.txt").write_text("[person_request]\nget me the boss\n", encoding="utf-8")
    transcript = tmp_path / "call.json"
    transcript.write_text(
        json.dumps(
            {
                "call_ref_id": "boss-1",
                "start_time": "2025-10-02 10:00:00",
                "messages": [
                    {"role": "assistant", "text": "May I know your name?", "timestamp": "2025-10-02 10:00:02"},
                    {"role": "user", "text": "just get me the boss", "timestamp": "2025-10-02 10:00:05"},
                ],
            }
        ),
        encoding="utf-8",
    )
    # (Without the folder the call is no request: test_analysis_phrasebook shows the same in process.)
    overridden = orjson.loads(analyze(transcript, env={"ANALYSIS_PHRASES": str(folder)}).stdout)
    assert overridden["dealer_routing"] == {
        "status": True,
        "reason": "Customer requested to speak with dealer",
        "time": "2025-10-02 10:00:05",
    }
