"""A hostile machine never turns good work into dead letters: real processes on real filesystems.

The processor and delivery run as processes (`python -m daemon run ...`) against a receiver on
127.0.0.1, while the machine misbehaves under them: the disk fills (a small tmpfs as DATA_DIR),
a folder turns read-only (for a process without root's permission override), folders and FIFOs
appear where tasks should be, the wall clock steps back two hours (libfaketime), a worker is
paused with SIGSTOP. In each case nothing is dead-lettered, nothing is lost or sent twice,
`status` names the problem while it lasts, and the work completes once the machine recovers.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest

from devtools.sink import WebhookSink
from tests.conftest import ROOT, wait_for

pytestmark = pytest.mark.slow

SAMPLES = sorted((ROOT / "samples" / "transcripts").glob("*.json"))
DAEMON = ["-m", "daemon", "--env-file", os.devnull]
FAKETIME_LIB = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
# Root's capabilities that ignore file modes: without them a read-only folder refuses writes.
DROP_PERMISSION_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]


def calls(count: int, tag: str) -> list[tuple[str, str, bytes]]:
    """`count` distinct calls made from the samples: (task name, call_ref_id, bytes)."""
    out = []
    for n in range(count):
        doc = orjson.loads(SAMPLES[n % len(SAMPLES)].read_bytes())
        doc["call_ref_id"] = f"{tag}-{n:03d}"
        out.append((f"{tag}-{n:03d}.json", doc["call_ref_id"], orjson.dumps(doc)))
    return out


class Machine:
    """The data folder, a receiver, and the stage processes started against them."""

    def __init__(self, data: Path, sink: WebhookSink, spawn: Callable[..., subprocess.Popen[bytes]]) -> None:
        self.data = data
        self.sink = sink
        self.spawn = spawn
        self.extra: list[subprocess.Popen[bytes]] = []
        self.env = {
            "DATA_DIR": str(data),
            "SINGLEINTERFACE_WEBHOOK_URL": sink.url,
            "HEARTBEAT_SECONDS": "0.3",
            "RESCAN_SECONDS": "1",
            "WEBHOOK_PROBE_MAX": "2s",
            "LOG_LEVEL": "WARNING",
        }
        (data / "transcripts").mkdir(parents=True, exist_ok=True)

    def start(self, stage: str, prefix: list[str] | None = None, **env: str) -> subprocess.Popen[bytes]:
        args = [*DAEMON, "run", stage]
        if prefix:
            full = {**os.environ, "PYTHONPATH": str(ROOT), **self.env, **env}
            return self.spawn_argv([*prefix, sys.executable, *args], full)
        return self.spawn(args, env={**self.env, **env})

    def spawn_argv(self, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env)
        self.extra.append(proc)
        return proc

    def drop(self, batch: list[tuple[str, str, bytes]]) -> None:
        for name, _, body in batch:
            tmp = self.data / "transcripts" / f".{name}"
            tmp.write_bytes(body)
            tmp.rename(self.data / "transcripts" / name)

    def status(self) -> tuple[int, dict]:
        out = subprocess.run(
            [sys.executable, *DAEMON, "status", "--json"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **self.env},
            capture_output=True,
            timeout=30,
        )
        return out.returncode, orjson.loads(out.stdout)

    def delivered(self) -> Counter[str]:
        return Counter(orjson.loads(r.body)["call_ref_id"] for r in self.sink.accepted())

    def dead_letters(self) -> list[str]:
        dead = self.data / "dead"
        return sorted(str(p.relative_to(dead)) for p in dead.rglob("*") if p.is_file()) if dead.exists() else []


@pytest.fixture
def machine_on(tmp_path: Path, spawn) -> Iterator[Callable[[Path], Machine]]:
    sinks: list[WebhookSink] = []
    made: list[Machine] = []

    def make(data: Path) -> Machine:
        sink = WebhookSink(tmp_path / f"sink{len(sinks)}").start()
        sinks.append(sink)
        machine = Machine(data, sink, spawn)
        made.append(machine)
        return machine

    yield make
    for machine in made:
        for proc in machine.extra:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
    for sink in sinks:
        sink.close()


def stop(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        assert proc.wait(timeout=20) == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True)
    assert done.returncode == 0, f"this suite mounts a small tmpfs (needs root): {done.stderr.decode()}"
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write until the disk refuses another byte."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_holds_work_back_and_loses_nothing(small_disk: Path, machine_on) -> None:
    m = machine_on(small_disk / "data")
    processor, delivery = m.start("processor"), m.start("delivery")
    first = calls(5, "before")
    m.drop(first)
    assert wait_for(lambda: len(m.delivered()) == 5, timeout=30)

    later = calls(12, "during")
    m.drop(later)  # they arrive, and then the disk fills before they are analysed
    filler = fill(small_disk)
    assert wait_for(lambda: "disk full" in " ".join(m.status()[1]["problems"]), timeout=15)
    assert m.status()[0] == 1
    time.sleep(3)  # the stages keep trying against the full disk for a while
    assert m.dead_letters() == []

    filler.unlink()  # space returns
    assert wait_for(lambda: len(m.delivered()) == 17, timeout=60), m.delivered()
    assert set(m.delivered().values()) == {1}  # each call once
    assert m.dead_letters() == []
    for folder in ("results", "done/results", "done/transcripts"):
        for path in (m.data / folder).iterdir():
            orjson.loads(path.read_bytes())  # never half a file in a queue folder
    assert wait_for(lambda: m.status()[0] == 0, timeout=15), m.status()[1]["problems"]
    stop(processor, delivery)


@pytest.mark.parametrize("folder", ["results", "done/transcripts"])
def test_a_read_only_folder_holds_work_back_until_it_is_writable(tmp_path: Path, machine_on, folder: str) -> None:
    m = machine_on(tmp_path / "data")
    processor = m.start("processor", prefix=DROP_PERMISSION_OVERRIDE)
    delivery = m.start("delivery", prefix=DROP_PERMISSION_OVERRIDE)
    first = calls(2, "warm")
    m.drop(first)
    assert wait_for(lambda: len(m.delivered()) == 2, timeout=30)

    locked = m.data / folder
    locked.chmod(0o500)
    try:
        batch = calls(10, "ro")
        m.drop(batch)
        expected = f"{folder}/ not writable"
        assert wait_for(lambda: expected in " ".join(m.status()[1]["problems"]), timeout=15), m.status()[1]
        time.sleep(2)
        assert m.dead_letters() == []
    finally:
        locked.chmod(0o700)
    assert wait_for(lambda: len(m.delivered()) == 12, timeout=60), m.delivered()
    assert set(m.delivered().values()) == {1}  # a delivered result whose ack waited is never sent again
    assert m.dead_letters() == []
    assert wait_for(
        lambda: (
            sorted(p.name for p in (m.data / "done/transcripts").iterdir()) == sorted([n for n, _, _ in first + batch])
        ),
        timeout=30,
    )
    stop(processor, delivery)


def test_stray_folders_and_fifos_never_take_a_stage_down(tmp_path: Path, machine_on) -> None:
    m = machine_on(tmp_path / "data")
    processor, delivery = m.start("processor"), m.start("delivery")
    m.drop(calls(1, "warm"))
    assert wait_for(lambda: len(m.delivered()) == 1, timeout=30)
    queue_folders = ["transcripts", "processing", "results", "delivering", "deferred/transcripts", "deferred/results"]
    for n, folder in enumerate([*queue_folders, "tmp", "done/results", "dead/results"]):
        (m.data / folder / f"stray-dir-{n}").mkdir()
        os.mkfifo(m.data / folder / f"stray-fifo-{n}")
    m.drop(calls(6, "after"))
    assert wait_for(lambda: len(m.delivered()) == 7, timeout=40)
    assert processor.poll() is None and delivery.poll() is None  # never crashed

    def set_aside(folder: str) -> bool:
        """Both kinds of stray in this queue are dead letters with their reason (a rescan finds folders)."""
        reasons = [p.read_text() for p in (m.data / "dead" / folder).glob("*.reason")]
        return any("is a directory" in r for r in reasons) and any("is a FIFO" in r for r in reasons)

    assert wait_for(lambda: set_aside("transcripts") and set_aside("results"), timeout=15), m.dead_letters()
    assert (m.data / "tmp" / "stray-dir-6").is_dir()  # tmp/ strays are reported and left alone
    assert wait_for(lambda: m.status()[0] == 0, timeout=20), m.status()[1]["problems"]
    stop(processor, delivery)


def test_a_wall_clock_stepped_back_two_hours_never_stalls_delivery(tmp_path: Path, machine_on) -> None:
    assert FAKETIME_LIB.exists(), "needs Debian's faketime package (make test installs it)"
    m = machine_on(tmp_path / "data")
    offset = tmp_path / "faketime"
    offset.write_text("+0\n")
    faked = {
        "LD_PRELOAD": str(FAKETIME_LIB),
        "FAKETIME_TIMESTAMP_FILE": str(offset),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # a real clock step moves the wall clock only
        # One try per claim: libfaketime's sleep answers EINVAL, which is not what is tested here.
        "WEBHOOK_RETRY_ATTEMPTS": "1",
    }
    m.sink.fail_status = 503
    delivery = m.start("delivery", **faked)
    processor = m.start("processor")
    m.drop(calls(3, "step"))
    assert wait_for(lambda: len(m.sink.received) >= 1, timeout=30)  # failing: the breaker is open
    offset.write_text("-2h\n")
    time.sleep(1)
    m.sink.fail_status = None
    recovered = time.monotonic()
    assert wait_for(lambda: len(m.delivered()) == 3, timeout=30), "delivery stalled after the clock step"
    assert time.monotonic() - recovered < 15  # within WEBHOOK_PROBE_MAX (2 s) and a deferral's promotion
    stop(processor, delivery)


def test_a_paused_worker_fails_status_beside_a_live_sibling(tmp_path: Path, machine_on) -> None:
    m = machine_on(tmp_path / "data")
    m.sink.hang_seconds = 0.5  # each delivery holds its task a while
    workers = [m.start("delivery"), m.start("delivery")]
    processor = m.start("processor")
    m.drop(calls(40, "stop"))
    assert wait_for(lambda: len(m.sink.received) >= 2, timeout=30)
    workers[0].send_signal(signal.SIGSTOP)
    try:
        assert wait_for(lambda: m.status()[0] == 1, timeout=10)
        _, doc = m.status()
        assert any(f"(pid {workers[0].pid}): stalled" in p for p in doc["problems"]), doc["problems"]
        assert doc["stages"]["delivery"]["state"] == "alive"  # its sibling still works
    finally:
        workers[0].send_signal(signal.SIGCONT)
    m.sink.hang_seconds = 0
    assert wait_for(lambda: len(m.delivered()) == 40, timeout=60)
    assert wait_for(lambda: m.status()[0] == 0, timeout=15), m.status()[1]["problems"]
    stop(processor, *workers)
    shutil.rmtree(m.data, ignore_errors=True)
