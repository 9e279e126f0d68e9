"""A killed intake loses nothing it had applied: the sheet catches up when it starts again.

"Killed" here is the stage dropped without its `close()`: the batch of row updates in its
memory is gone, as with SIGKILL. (tests/test_calling_hard_e2e.py kills a real process.)
"""

from __future__ import annotations

import orjson

from calls.store import CallStore
from daemon.clock import FakeClock
from daemon.config import Config
from tests.test_intake import Intake, outbound
from tests.test_intake import icfg as icfg  # the fixture, shared


def kill(intake: Intake) -> None:
    assert intake.stage.server is not None
    intake.stage.server.stop()  # frees the port; nothing else of close() happens


def test_row_updates_applied_before_a_kill_reach_the_sheet_at_the_next_start(icfg: Config) -> None:
    clock = FakeClock()
    first = Intake(icfg, clock)
    for eid, status, phone in (("ex-1", "completed", "+919900000002"), ("ex-2", "busy", "+919900000003")):
        for step in ("initiated", "ringing", status):
            assert first.post(outbound(eid, step, phone=phone)).status_code == 200
    first.stage.run_once()  # queued for the sheet, not yet written (SHEET_FLUSH_SECONDS)
    assert first.row("+919900000002")["Status"] == ""
    store = CallStore(icfg.data_dir)
    assert store.load("919900000002").latest().sheet_behind  # type: ignore[union-attr]
    kill(first)

    second = Intake(icfg.replace(intake_port=0), clock)
    try:
        second.settle()
        assert (second.row("+919900000002")["Status"], second.row("+919900000003")["Status"]) == ("completed", "busy")
        assert second.row("+919900000002")["Latest Execution ID"] == "ex-1"
        attempts = [store.load(k).latest() for k in ("919900000002", "919900000003")]  # type: ignore[union-attr]
        assert all(a is not None and not a.sheet_behind for a in attempts)
        assert [t.stem for t in second.tasks()] == ["ex-1", "ex-2"], "still one task per call"
    finally:
        second.stage.close()


def test_a_result_copied_but_not_written_is_copied_again(icfg: Config) -> None:
    clock = FakeClock()
    first = Intake(icfg, clock)
    first.post(outbound("ex-9", "completed"))
    first.settle()
    done = icfg.data_dir / "done" / "results"
    done.mkdir(parents=True, exist_ok=True)
    result = {"payload": {"call_ref_id": "ex-9", "response_data": [{"key_value": "name", "key_response": "Asha"}]}}
    (done / "ex-9.json").write_bytes(orjson.dumps(result))
    clock.advance(icfg.sheet_flush_seconds)
    first.stage._sync_results()  # the copy is queued; the kill comes before its flush
    kill(first)
    store = CallStore(icfg.data_dir)
    assert not store.load("919900000002").by_execution("ex-9").result_synced  # type: ignore[union-attr]

    second = Intake(icfg.replace(intake_port=0), clock)
    try:
        second.settle()
        assert second.row("+919900000002")["Customer Name"] == "Asha"
        assert store.load("919900000002").by_execution("ex-9").result_synced  # type: ignore[union-attr]
    finally:
        second.stage.close()
