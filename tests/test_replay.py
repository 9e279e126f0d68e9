"""`python -m daemon replay`: a finished call goes back into its queue as a copy."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.main import main as cli_main
from devtools.sink import WebhookSink
from tests.conftest import wait_for


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    for sub in ("done/transcripts", "done/results", "transcripts", "results", "processing"):
        (root / sub).mkdir(parents=True)
    monkeypatch.setenv("DATA_DIR", str(root))
    return root


def replay(*argv: str) -> int:
    return cli_main(["--env-file", "/nonexistent/.env", "replay", *argv])


def put(path: Path, doc: object, age: float = 0.0) -> bytes:
    raw = json.dumps(doc).encode()
    path.write_bytes(raw)
    os.utime(path, (time.time() - age, time.time() - age))
    return raw


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_by_file_name_the_transcript_is_copied_back(data_dir: Path) -> None:
    raw = put(data_dir / "done/transcripts/call-1.json", {"call_ref_id": "call-1", "messages": []})
    assert replay("call-1") == 0
    assert (data_dir / "transcripts/call-1.json").read_bytes() == raw
    assert (data_dir / "done/transcripts/call-1.json").read_bytes() == raw  # replay is a copy


def test_by_the_ids_inside_newest_match_wins(data_dir: Path) -> None:
    put(data_dir / "done/transcripts/upload-1.json", {"call_ref_id": "18882175837982271"}, age=600)
    newer = put(data_dir / "done/transcripts/upload-2.json", {"call_ref_id": "18882175837982271", "v": 2})
    put(data_dir / "done/transcripts/bolna-x.json", {"id": "c0ffee-42", "transcript": "assistant: hi"})
    assert replay("18882175837982271", "c0ffee-42") == 0
    assert files(data_dir / "transcripts") == ["bolna-x.json", "upload-2.json"]
    assert (data_dir / "transcripts/upload-2.json").read_bytes() == newer


def test_deliver_only_requeues_the_result_as_it_was_with_a_fresh_delivery_record(data_dir: Path) -> None:
    doc = {
        "payload": {"id": "bot_777", "call_ref_id": "777"},
        "webhook_id": "msg_2abc",
        "processed_at": "2025-10-02T14:27:35+05:30",
    }
    put(data_dir / "done/results/call-777.json", doc)
    for call_id in ("777", "bot_777", "msg_2abc"):
        assert replay("--deliver-only", call_id) == 0
        queued = data_dir / "results/call-777.json"
        assert json.loads(queued.read_text()) == doc
        # A copy: a new file, so no envelope of an earlier delivery applies to it.
        assert queued.stat().st_ino != (data_dir / "done/results/call-777.json").stat().st_ino
        queued.unlink()
    assert files(data_dir / "transcripts") == []


def test_unsafe_call_id_touches_no_path(data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.json").write_text('{"call_ref_id": "x"}')
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    assert replay("../../secret") == 2
    assert replay("ok-id", ".hidden") == 2  # one bad id stops the whole command
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_unknown_or_already_queued_calls_fail(data_dir: Path) -> None:
    assert replay("nobody") == 1
    put(data_dir / "done/transcripts/call-5.json", {"call_ref_id": "call-5"})
    waiting = put(data_dir / "transcripts/call-5.json", {"call_ref_id": "call-5", "edited": True})
    assert replay("call-5") == 1
    assert (data_dir / "transcripts/call-5.json").read_bytes() == waiting
    (data_dir / "transcripts/call-5.json").unlink()
    put(data_dir / "processing/call-5.json@p1-1", {})  # being processed right now
    assert replay("call-5") == 1
    assert files(data_dir / "transcripts") == []


@pytest.mark.slow
def test_a_replayed_result_is_sent_again_by_the_real_delivery_stage(
    data_dir: Path, tmp_path: Path, spawn: Callable[..., subprocess.Popen[bytes]]
) -> None:
    sink = WebhookSink(tmp_path / "sink").start()
    try:
        doc = {"payload": {"id": "bot_9", "call_ref_id": "9"}, "webhook_id": "msg_nine", "processed_at": 1.0}
        put(data_dir / "results/call-9.json", doc)
        env = {"DATA_DIR": str(data_dir), "SINGLEINTERFACE_WEBHOOK_URL": sink.url}
        spawn(["-m", "daemon", "--env-file", "/nonexistent/.env", "run", "delivery"], env=env)
        assert wait_for(lambda: (data_dir / "done/results/call-9.json").exists(), timeout=15)
        assert replay("--deliver-only", "9") == 0
        assert wait_for(lambda: len(sink.accepted()) == 2, timeout=15)
        sent = sink.accepted()
        assert [r.headers["webhook-id"] for r in sent] == ["msg_nine", "msg_nine"]
        assert [json.loads(r.body) for r in sent] == [doc["payload"], doc["payload"]]
    finally:
        sink.close()
