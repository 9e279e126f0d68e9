"""Two kinds of failure, told apart: the task's goes to dead letter, the environment's never does.

The broker here is the memory backend with the machine's faults injected into it (a full disk
on publish, a folder that refuses a move): the thing under test is the stage's handling, and
everything it does goes through the real stage code and the real middleware.
"""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
import pytest

from daemon.broker import Message, Published, QueueName, SameTask, State, UnavailableError
from daemon.brokers.file import FileBroker
from daemon.brokers.memory import MemoryBroker
from daemon.clock import FakeClock
from daemon.config import Config
from daemon.heartbeat import Heartbeat, read_heartbeats
from daemon.runner import StopFlag, run_stage
from daemon.stage import QueueStage, Stage
from stages.processor import ProcessorStage

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "transcripts" / "call-18882175837982271.json"


class FaultyBroker(MemoryBroker):
    """Publishing fails while `failing` is set, as on a full disk."""

    failing: str | None = None

    def publish(self, queue: str, name: str, body: bytes, *, same: SameTask | None = None) -> Published:
        if self.failing is not None:
            raise UnavailableError(self.failing)
        return super().publish(queue, name, body, same=same)


def states(broker: MemoryBroker, queue: str) -> dict[str, list[str]]:
    return {state: sorted(e.name for e in broker.registry.entries(queue, state)) for state in State}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def broker(clock: FakeClock) -> FaultyBroker:
    return FaultyBroker(clock=clock)


def test_a_full_disk_puts_the_task_back_and_pauses_never_dead_letters(
    cfg: Config, clock: FakeClock, broker: FaultyBroker
) -> None:
    stage = ProcessorStage(cfg, clock, broker=broker)
    stage.setup()
    broker.publish(QueueName.TRANSCRIPTS, "c1.json", SAMPLE.read_bytes())
    broker.failing = "disk full on DATA_DIR"

    assert stage.run_once()  # handled: the result could not be written
    assert states(broker, QueueName.TRANSCRIPTS)[State.DEFERRED] == ["c1.json"]
    assert states(broker, QueueName.TRANSCRIPTS)[State.DEAD] == []
    assert stage.problem == "disk full on DATA_DIR" and stage.failed == 0
    assert stage.run_once() is False  # paused: no busy loop against a full disk

    clock.advance(1.5)
    assert stage.run_once()  # tried again after the pause: still full, and the pause grows
    assert states(broker, QueueName.TRANSCRIPTS)[State.DEFERRED] == ["c1.json"]
    clock.advance(1.5)
    assert stage.run_once() is False  # 2 s this time
    broker.failing = None  # space returns
    clock.advance(5)
    assert stage.run_once()
    assert states(broker, QueueName.TRANSCRIPTS)[State.DONE] == ["c1.json"]
    assert states(broker, QueueName.RESULTS)[State.WAITING] == ["c1.json"]
    assert stage.problem is None and stage.processed == 1


def test_bad_input_and_bugs_are_the_tasks_fault(cfg: Config, clock: FakeClock, broker: FaultyBroker) -> None:
    stage = ProcessorStage(cfg, clock, broker=broker)
    stage.setup()
    broker.publish(QueueName.TRANSCRIPTS, "bad.json", orjson.dumps({"call_ref_id": "x", "start_time": "tuesday"}))
    assert stage.run_once()
    (dead,) = broker.registry.entries(QueueName.TRANSCRIPTS, State.DEAD)
    assert "start_time" in dead.reason["reason"]
    assert stage.failed == 1 and stage.problem is None


class Exploding(QueueStage):
    name = "processor"
    queue_name = QueueName.TRANSCRIPTS
    error: BaseException = RuntimeError("a bug")

    def handle(self, message: Message) -> None:
        raise self.error


def test_an_oserror_in_a_handler_is_the_environments_fault(cfg: Config, clock: FakeClock, broker: FaultyBroker) -> None:
    stage = Exploding(cfg, clock, broker=broker)
    stage.error = PermissionError(13, "Permission denied", "/srv/data/results/x.json")
    stage.setup()
    broker.publish(QueueName.TRANSCRIPTS, "t.json", b"{}")
    assert stage.run_once()
    assert states(broker, QueueName.TRANSCRIPTS)[State.DEFERRED] == ["t.json"]
    assert stage.problem == "Permission denied: /srv/data/results/x.json"

    stage.error = RuntimeError("a bug")  # the same task, now failing for a reason of its own
    clock.advance(60)
    assert stage.run_once()
    (dead,) = broker.registry.entries(QueueName.TRANSCRIPTS, State.DEAD)
    assert dead.reason["reason"] == "unexpected error while handling: RuntimeError: a bug"


class FailsFirst(QueueStage):
    """Handles every task, except that a.json first meets a full disk (the environment's fault)."""

    name = "processor"
    queue_name = QueueName.TRANSCRIPTS

    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.tries: list[str] = []

    def handle(self, message: Message) -> None:
        self.tries.append(message.name)
        if message.name == "a.json" and self.tries.count("a.json") == 1:
            raise OSError(28, "No space left on device")
        message.ack()


def test_a_put_back_the_machine_refused_is_done_later_even_after_other_work_succeeded(
    cfg: Config, clock: FakeClock
) -> None:
    """The task could not go back (its folder was broken), then other work went fine and the
    problem cleared: the refused put-back is still done, so the task does not sit held forever."""
    broker = FileBroker(cfg, clock=clock, watch=False)
    stage = FailsFirst(cfg, clock, broker=broker)
    stage.setup()
    broker.publish(QueueName.TRANSCRIPTS, "a.json", b"{}")
    broker.publish(QueueName.TRANSCRIPTS, "b.json", b"{}")
    deferred = cfg.data_dir / "deferred" / "transcripts"
    deferred.rmdir()
    deferred.write_bytes(b"")  # not a folder: putting a task back fails with ENOTDIR

    assert stage.run_once()  # a.json: the disk is full, and it cannot be put back either
    assert stage.problem is not None
    clock.advance(5)
    assert stage.run_once()  # b.json goes through: the problem is over
    assert stage.problem is None
    deferred.unlink()
    deferred.mkdir()  # the folder is back

    for _ in range(10):
        clock.advance(5)
        stage.run_once()
    assert stage.tries == ["a.json", "b.json", "a.json"]
    done = sorted(e.name for e in broker.registry.entries(QueueName.TRANSCRIPTS, State.DONE))
    assert done == ["a.json", "b.json"]
    stage.close()


class Broken(Stage):
    name = "processor"

    def __init__(self, cfg: Config, setup_failures: int = 0) -> None:
        super().__init__(cfg)
        self.setup_failures = setup_failures
        self.setups = 0

    def setup(self) -> None:
        self.setups += 1
        if self.setups <= self.setup_failures:
            raise OSError(28, "No space left on device")

    def run_once(self) -> bool:
        raise RuntimeError("crashed")


def test_a_crashed_stage_leaves_its_heartbeat_so_status_says_dead(cfg: Config) -> None:
    stage = Broken(cfg)
    with pytest.raises(RuntimeError):
        run_stage(stage, StopFlag(), Heartbeat(cfg, stage))
    (beat,) = read_heartbeats(cfg.data_dir)
    assert beat.stage == "processor"


def test_start_up_waits_out_a_full_disk_with_backoff(cfg: Config) -> None:
    stage = Broken(cfg, setup_failures=1)
    stop = StopFlag()
    stage.run_once = lambda: (stop.handle(15, None), False)[1]  # type: ignore[method-assign]
    thread = threading.Thread(target=run_stage, args=(stage, stop, Heartbeat(cfg, stage)))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert stage.setups == 2  # waited a second, then started
    assert read_heartbeats(cfg.data_dir) == []  # a clean stop removes the heartbeat
