"""The file backend's queue on the real filesystem, in one process: every transition and every bad input.

The behaviour every backend shares is in tests/test_broker_contract.py; this file holds what is
particular to folders: names, links, half-written files, owners, temp files, pruning.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from daemon import fsutil
from daemon.broker import Envelope, Published
from daemon.brokers.file.layout import ensure, folders
from daemon.brokers.file.queue import FileQueue
from daemon.clock import FakeClock
from daemon.config import Config


def make_queue(cfg: Config, clock: FakeClock | None = None) -> FileQueue:
    ensure(cfg.data_dir)
    q = FileQueue(cfg, folders(cfg.data_dir, "transcripts"), clock=clock or FakeClock(), watch=False)
    q.start()
    return q


def drop(cfg: Config, name: str, data: bytes, mtime: float | None = None) -> Path:
    """Write a file the way an operator's `cp` would: straight into the folder, not atomically."""
    path = cfg.data_dir / "transcripts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def reason_of(cfg: Config, name: str) -> str:
    return (cfg.data_dir / "dead" / "transcripts" / f"{name}.reason").read_text()


def test_publish_claim_ack_moves_through_each_folder(cfg: Config) -> None:
    q = make_queue(cfg)
    assert q.publish("call-1.json", b'{"call_ref_id": "abc"}') is Published.NEW
    task = q.claim()
    assert task is not None
    assert task.name == "call-1.json" and task.call_id == "abc" and task.doc == {"call_ref_id": "abc"}
    assert Path(task.path) == cfg.data_dir / "processing" / f"call-1.json@{fsutil.owner_tag()}"
    assert not (cfg.data_dir / "transcripts" / "call-1.json").exists()
    task.ack()
    assert (cfg.data_dir / "done" / "transcripts" / "call-1.json").read_bytes() == b'{"call_ref_id": "abc"}'
    assert list((cfg.data_dir / "processing").iterdir()) == []
    assert q.claim() is None


def test_claims_roughly_first_in_first_out(cfg: Config) -> None:
    for i in range(5):
        drop(cfg, f"t{i}.json", b"{}", mtime=1000 + (5 - i))  # t4 is the oldest
    q = make_queue(cfg)
    order = []
    while (task := q.claim()) is not None:
        order.append(task.name)
        task.ack()
    assert order == ["t4.json", "t3.json", "t2.json", "t1.json", "t0.json"]


def test_rescan_finds_files_no_event_announced(cfg: Config) -> None:
    clock = FakeClock()
    q = make_queue(cfg, clock)
    drop(cfg, "late.json", b"{}")
    assert q.claim() is None  # no watcher here, and the rescan is not due yet
    clock.advance(cfg.rescan_seconds)
    task = q.claim()
    assert task is not None and task.name == "late.json"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("bad.json", b"{not json", "not valid JSON"),
        ("big.json", b'{"x": "' + b"a" * 2000 + b'"}', "the limit is MAX_TASK_BYTES=1024"),
        ("has space.json", b"{}", "file name is not allowed"),
        ("x" * 140 + ".json", b"{}", "file name is not allowed"),
    ],
)
def test_bad_input_is_dead_lettered_with_its_bytes_and_a_reason(
    cfg: Config, name: str, data: bytes, expected: str
) -> None:
    cfg = cfg.replace(max_task_bytes=1024)
    q = make_queue(cfg)
    drop(cfg, name, data, mtime=1)
    drop(cfg, "good.json", b"{}", mtime=2)
    q.rescan()
    task = q.claim()
    assert task is not None and task.name == "good.json"  # the stage goes on
    dead = [p for p in (cfg.data_dir / "dead" / "transcripts").iterdir() if not p.name.endswith(".reason")]
    assert len(dead) == 1
    assert dead[0].read_bytes() == data
    assert expected in reason_of(cfg, dead[0].name)
    assert "queue: transcripts" in reason_of(cfg, dead[0].name)


def test_symlink_is_dead_lettered_and_never_followed(cfg: Config, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"password": "x"}')
    (cfg.data_dir / "transcripts").mkdir(parents=True, exist_ok=True)
    (cfg.data_dir / "transcripts" / "link.json").symlink_to(secret)
    q = make_queue(cfg)
    assert q.claim() is None
    dead = cfg.data_dir / "dead" / "transcripts" / "link.json"
    assert dead.is_symlink()  # the link itself was moved; its target was never read
    assert "symbolic link" in reason_of(cfg, "link.json")
    assert secret.read_text() == '{"password": "x"}'


def test_dot_and_temp_files_are_skipped_not_dead_lettered(cfg: Config) -> None:
    for name in (".hidden.json", "upload.json.part", "edit.json~", "x.tmp"):
        drop(cfg, name, b"{oops")
    q = make_queue(cfg)
    assert q.claim() is None
    assert list((cfg.data_dir / "dead" / "transcripts").iterdir()) == []
    assert len(list((cfg.data_dir / "transcripts").iterdir())) == 4


def test_half_written_file_waits_instead_of_dying(cfg: Config) -> None:
    clock = FakeClock()
    q = make_queue(cfg, clock)
    drop(cfg, "slow.json", b'{"call_ref_id": "sl', mtime=clock.now())
    q.rescan()
    assert q.claim() is None
    assert list((cfg.data_dir / "dead" / "transcripts").iterdir()) == []
    deferred = cfg.data_dir / "deferred" / "transcripts" / "slow.json"
    assert deferred.exists()
    deferred.write_bytes(b'{"call_ref_id": "slow"}')  # the writer finishes
    os.utime(deferred, (clock.now() + cfg.settle_seconds,) * 2)
    clock.advance(cfg.settle_seconds + 0.1)
    task = q.claim()
    assert task is not None and task.call_id == "slow"


def test_defer_hides_until_due_then_returns_with_its_envelope_apart_from_the_body(cfg: Config) -> None:
    clock = FakeClock()
    q = make_queue(cfg, clock)
    q.publish("d.json", b'{"n": 1}')
    task = q.claim()
    assert task is not None
    task.defer(clock.now() + 60, Envelope(attempts=3, last_error="HTTP 503"))
    deferred = cfg.data_dir / "deferred" / "transcripts" / "d.json"
    assert deferred.stat().st_mtime == pytest.approx(clock.now() + 60)
    assert deferred.read_bytes() == b'{"n": 1}'  # the body is never rewritten
    (kept,) = (cfg.data_dir / "state" / "envelopes" / "transcripts").iterdir()
    assert kept.name == f"{deferred.stat().st_ino}.json"
    clock.advance(30)
    assert q.claim() is None
    clock.advance(31)
    again = q.claim()
    assert again is not None and again.body == b'{"n": 1}'
    assert (again.envelope.attempts, again.envelope.last_error) == (3, "HTTP 503")
    again.ack()
    assert list((cfg.data_dir / "state" / "envelopes" / "transcripts").iterdir()) == []


def test_a_copy_of_a_deferred_task_starts_with_a_fresh_envelope(cfg: Config) -> None:
    """Replay is a copy: a new file, a new inode, no borrowed delivery record."""
    clock = FakeClock()
    q = make_queue(cfg, clock)
    q.publish("d.json", b"{}")
    task = q.claim()
    assert task is not None
    task.defer(clock.now() + 3600, Envelope(attempts=9))
    deferred = cfg.data_dir / "deferred" / "transcripts" / "d.json"
    (cfg.data_dir / "transcripts" / "copy.json").write_bytes(deferred.read_bytes())
    q.rescan()
    copy = q.claim()
    assert copy is not None and copy.name == "copy.json" and copy.envelope.attempts == 0


def test_a_saved_due_time_far_ahead_counts_as_due_now(cfg: Config) -> None:
    """Deferred by another process (or before a restart) while the wall clock ran hours ahead."""
    clock = FakeClock()
    q = make_queue(cfg, clock)
    late = cfg.data_dir / "deferred" / "transcripts" / "late.json"
    late.write_bytes(b"{}")
    os.utime(late, (clock.now() + 2 * 3600,) * 2)  # further ahead than callpipe ever defers
    soon = cfg.data_dir / "deferred" / "transcripts" / "soon.json"
    soon.write_bytes(b"{}")
    os.utime(soon, (clock.now() + 600,) * 2)  # a real deferral: it waits
    clock.advance(cfg.rescan_seconds)
    again = q.claim()
    assert again is not None and again.name == "late.json"
    assert q.claim() is None


def test_a_deferral_keeps_its_delay_when_the_wall_clock_steps_back(cfg: Config) -> None:
    clock = FakeClock()
    q = make_queue(cfg, clock)
    q.publish("d.json", b"{}")
    task = q.claim()
    assert task is not None
    task.defer(clock.now() + 30)
    clock.step(-2 * 3600)
    clock.advance(15)
    assert q.claim() is None
    clock.advance(16)  # rescans come and go; the monotonic due time holds
    again = q.claim()
    assert again is not None and again.name == "d.json"


def test_publish_never_overwrites_a_waiting_task(cfg: Config) -> None:
    q = make_queue(cfg)
    assert q.publish("same.json", b'{"v": 1}') is Published.NEW
    assert q.publish("same.json", b'{"v": 1}') is Published.DUPLICATE
    assert q.publish("same.json", b'{"v": 2}') is Published.CONFLICT
    assert (cfg.data_dir / "transcripts" / "same.json").read_bytes() == b'{"v": 1}'
    dead = cfg.data_dir / "dead" / "transcripts"
    assert (dead / "same.json").read_bytes() == b'{"v": 2}'
    assert "already waits" in reason_of(cfg, "same.json")


def test_promote_all_deferred_now(cfg: Config) -> None:
    clock = FakeClock()
    q = make_queue(cfg, clock)
    for i in range(3):
        q.publish(f"d{i}.json", b"{}")
        task = q.claim()
        assert task is not None
        task.defer(clock.now() + 3600)
    assert q.promote_deferred(all_now=True) == 3
    assert sorted(p.name for p in (cfg.data_dir / "transcripts").iterdir()) == [
        "d0.json",
        "d1.json",
        "d2.json",
    ]


def test_dead_letters_never_overwrite_each_other(cfg: Config) -> None:
    q = make_queue(cfg)
    for body in (b"{one", b"{two"):
        drop(cfg, "same.json", body, mtime=1)
        q.rescan()
        assert q.claim() is None
    dead = cfg.data_dir / "dead" / "transcripts"
    assert (dead / "same.json").read_bytes() == b"{one"
    assert (dead / "same.json.1").read_bytes() == b"{two"
    assert (dead / "same.json.1.reason").exists()


def test_recover_returns_a_dead_owners_task_and_leaves_a_live_ones(cfg: Config) -> None:
    dead_proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead_pid = int(dead_proc.stdout)
    processing = cfg.data_dir / "processing"
    processing.mkdir(parents=True, exist_ok=True)
    (processing / f"orphan.json@p{dead_pid}-12345").write_bytes(b"{}")
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live_tag = f"p{live.pid}-{fsutil._start_ticks(live.pid)}"
        (processing / f"busy.json@{live_tag}").write_bytes(b"{}")
        q = make_queue(cfg)  # start() runs recovery
        assert (cfg.data_dir / "transcripts" / "orphan.json").exists()
        assert (processing / f"busy.json@{live_tag}").exists()
        assert q.recover() == 0
    finally:
        live.kill()
        live.wait()
    assert q.recover() == 1  # once its owner is gone, it comes back
    assert (cfg.data_dir / "transcripts" / "busy.json").exists()


def test_pid_reuse_does_not_fake_a_live_owner(cfg: Config) -> None:
    wrong_start = f"p{os.getpid()}-1"  # our pid, but not our start time
    assert fsutil.owner_alive(fsutil.owner_tag())
    assert not fsutil.owner_alive(wrong_start)
    assert not fsutil.owner_alive("garbage")


def test_clean_removes_dead_writers_temp_files_only(cfg: Config) -> None:
    q = make_queue(cfg)
    tmp = cfg.data_dir / "tmp"
    (tmp / "p999999-1.0.x.json").write_bytes(b"partial")
    mine = tmp / f"{fsutil.owner_tag()}.9.y.json"
    mine.write_bytes(b"in progress")
    q.clean()
    assert sorted(p.name for p in tmp.iterdir()) == [mine.name]


def test_done_folder_is_pruned_after_retention(cfg: Config) -> None:
    clock = FakeClock()
    q = make_queue(cfg.replace(retention_days=1), clock)
    done = cfg.data_dir / "done" / "transcripts"
    (done / "old.json").write_bytes(b"{}")
    os.utime(done / "old.json", (clock.now() - 2 * 86400,) * 2)
    (done / "new.json").write_bytes(b"{}")
    os.utime(done / "new.json", (clock.now() - 3600,) * 2)
    q.clean()
    assert [p.name for p in done.iterdir()] == ["new.json"]


def test_publish_refuses_unsafe_names(cfg: Config) -> None:
    q = make_queue(cfg)
    for name in ("../escape.json", ".hidden", "a/b.json", ""):
        with pytest.raises(ValueError):
            q.publish(name, b"{}")
    q.publish("ok.json", b'{"a": 1}')
    assert orjson.loads((cfg.data_dir / "transcripts" / "ok.json").read_bytes()) == {"a": 1}
