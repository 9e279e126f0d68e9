"""The processor stage in this process, on a real data folder, with the real analysis."""

from __future__ import annotations

import hashlib
import shutil
import time
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from analysis import AnalysisSettings, Analyzer
from daemon.brokers.file.layout import ensure
from daemon.config import Config, load_config
from daemon.runner import StartupError
from integrations.webhooks import webhook_id
from stages.processor import ProcessorStage

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "transcripts"
TIMED = "call-18882175837982271.json"
UNTIMED = "call-18882175837982275.json"  # a vendor export without per-turn times


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    cfg = load_config({"DATA_DIR": str(tmp_path / "data"), "RETENTION_DAYS": "0"}, env_file=None)
    ensure(cfg.data_dir)
    return cfg


@pytest.fixture
def stage(cfg: Config):
    stage = ProcessorStage(cfg)
    stage.setup()
    yield stage
    stage.close()


def drop(cfg: Config, name: str, data: bytes) -> None:
    (cfg.data_dir / "tmp" / name).write_bytes(data)
    (cfg.data_dir / "tmp" / name).rename(cfg.data_dir / "transcripts" / name)


def run_until_idle(stage: ProcessorStage, timeout: float = 10) -> int:
    """Run until nothing waits in transcripts/ (files dropped just now may not be indexed yet)."""
    inbox = stage.cfg.data_dir / "transcripts"
    deadline = time.monotonic() + timeout
    done = 0
    while any(inbox.iterdir()):
        assert time.monotonic() < deadline, "transcripts were not processed in time"
        if stage.run_once():
            done += 1
        else:
            time.sleep(0.01)
    return done


def result(cfg: Config, name: str) -> dict:
    return orjson.loads((cfg.data_dir / "results" / name).read_bytes())


def test_result_file_holds_the_payload_and_where_it_came_from(cfg, stage) -> None:
    raw = (SAMPLES / TIMED).read_bytes()
    drop(cfg, TIMED, raw)
    assert run_until_idle(stage) == 1

    doc = result(cfg, TIMED)
    transcript = orjson.loads(raw)
    expected = Analyzer(AnalysisSettings.from_config(cfg)).analyze(transcript)
    assert doc["payload"] == expected.payload
    assert doc["source"] == {"file": TIMED, "sha256": hashlib.sha256(raw).hexdigest()}
    assert doc["metadata"] == transcript["metadata"]
    assert doc["timing_estimated"] is False
    assert isinstance(doc["summary"], str) and doc["summary"]
    assert doc["webhook_id"] == webhook_id(transcript["call_ref_id"], expected.payload)
    assert datetime.fromisoformat(doc["processed_at"]).utcoffset() is not None
    assert (cfg.data_dir / "done" / "transcripts" / TIMED).read_bytes() == raw
    assert list((cfg.data_dir / "processing").iterdir()) == []


def test_estimated_timing_is_recorded(cfg, stage) -> None:
    drop(cfg, UNTIMED, (SAMPLES / UNTIMED).read_bytes())
    run_until_idle(stage)
    assert result(cfg, UNTIMED)["timing_estimated"] is True


def test_reprocessing_keeps_the_webhook_id_and_a_changed_call_gets_a_new_one(cfg, stage) -> None:
    raw = (SAMPLES / TIMED).read_bytes()
    drop(cfg, TIMED, raw)
    run_until_idle(stage)
    first = result(cfg, TIMED)

    # A replay (or a crash before the transcript was completed) processes the same bytes again.
    shutil.copy(cfg.data_dir / "done" / "transcripts" / TIMED, cfg.data_dir / "tmp" / "x")
    (cfg.data_dir / "tmp" / "x").rename(cfg.data_dir / "transcripts" / TIMED)
    run_until_idle(stage)
    again = result(cfg, TIMED)
    assert again["webhook_id"] == first["webhook_id"] and again["payload"] == first["payload"]

    assert again["processed_at"] == first["processed_at"]  # the waiting result was not published twice
    dead = cfg.data_dir / "dead" / "results"
    assert list(dead.iterdir()) == []

    changed = orjson.loads(raw)
    changed["end_time"] = "2025-10-02 14:29:30"  # two minutes longer: a different payload
    drop(cfg, TIMED, orjson.dumps(changed))
    run_until_idle(stage)
    # A different result of the same name never overwrites the one waiting: it is kept beside it.
    assert result(cfg, TIMED)["webhook_id"] == first["webhook_id"]
    kept = orjson.loads((dead / TIMED).read_bytes())
    assert kept["payload"]["duration"] != first["payload"]["duration"]
    assert kept["webhook_id"] != first["webhook_id"]
    assert "already waits" in (dead / f"{TIMED}.reason").read_text()


def test_bad_transcripts_go_to_dead_letter_with_a_reason_and_the_stage_goes_on(cfg, stage) -> None:
    drop(cfg, "a-bad.json", orjson.dumps({"call_ref_id": "../../etc/passwd", "start_time": "2025-10-02 14:25:00"}))
    drop(cfg, "b-bad.json", orjson.dumps({"call_ref_id": "42", "start_time": "next tuesday"}))
    drop(cfg, TIMED, (SAMPLES / TIMED).read_bytes())
    run_until_idle(stage)

    dead = cfg.data_dir / "dead" / "transcripts"
    assert sorted(p.name for p in dead.iterdir()) == [
        "a-bad.json",
        "a-bad.json.reason",
        "b-bad.json",
        "b-bad.json.reason",
    ]
    assert "call_ref_id" in (dead / "a-bad.json.reason").read_text()
    assert "start_time" in (dead / "b-bad.json.reason").read_text()
    assert [p.name for p in (cfg.data_dir / "results").iterdir()] == [TIMED]


def test_an_unreadable_model_catalog_refuses_to_start(tmp_path: Path) -> None:
    cfg = load_config({"DATA_DIR": str(tmp_path / "data"), "MODEL_CATALOG": str(tmp_path / "none.json")}, env_file=None)
    stage = ProcessorStage(cfg)
    with pytest.raises(StartupError, match="MODEL_CATALOG"):
        stage.setup()
    stage.close()
