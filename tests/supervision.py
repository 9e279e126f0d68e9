"""What every process manager (supervisord, pm2) must do with callpipe's stages, as one scenario.

Both tests run it on their own manager: a transcript flows through every stage to the webhook;
delivery killed with SIGKILL while it holds a result is restarted, and the new process
recovers that result and sends it; each stage's log has one line per event.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

from devtools.sink import WebhookSink
from tests.conftest import wait_for

States = Callable[[], dict[str, tuple[str, int | None]]]


def transcript(call_ref_id: str) -> bytes:
    return json.dumps(
        {
            "call_ref_id": call_ref_id,
            "start_time": "2025-10-02 14:25:00",
            "end_time": "2025-10-02 14:26:00",
            "messages": [
                {"role": "assistant", "text": "Namaste! What's your name?", "timestamp": "2025-10-02 14:25:02"},
                {"role": "user", "text": "My name is Rahul Sharma", "timestamp": "2025-10-02 14:25:08"},
            ],
        }
    ).encode()


def drop(data: Path, name: str, raw: bytes) -> None:
    """How a producer hands over a transcript: write it beside the data folder, then rename it in."""
    aside = data.parent / f"outgoing-{name}"
    aside.write_bytes(raw)
    os.rename(aside, data / "transcripts" / name)


def delivered(sink: WebhookSink, call_ref_id: str) -> list[str]:
    return [r.headers["webhook-id"] for r in sink.accepted() if json.loads(r.body)["call_ref_id"] == call_ref_id]


def flows_and_recovers_a_killed_stage(
    data: Path, sink: WebhookSink, states: States, all_up: Callable[[], bool], tag: str
) -> None:
    # A transcript flows through every stage to the webhook.
    drop(data, f"{tag}-1.json", transcript(f"{tag}-1"))
    assert wait_for(lambda: len(delivered(sink, f"{tag}-1")) == 1, timeout=15)
    assert wait_for(lambda: (data / f"done/results/{tag}-1.json").exists(), timeout=5)
    assert (data / f"done/transcripts/{tag}-1.json").exists()

    # Kill delivery while it waits on the webhook: the manager restarts it, and the new
    # process recovers the result its predecessor had claimed and sends it.
    sink.hang_seconds = 60
    drop(data, f"{tag}-2.json", transcript(f"{tag}-2"))
    assert wait_for(lambda: any((data / "delivering").glob(f"{tag}-2.json@*")), timeout=15)
    time.sleep(0.3)  # the POST is on its way and hanging
    _, old_pid = states()["delivery"]
    assert old_pid is not None
    os.kill(old_pid, signal.SIGKILL)
    sink.hang_seconds = 0
    assert wait_for(lambda: states()["delivery"][1] not in (None, old_pid) and all_up(), timeout=20, interval=0.2)
    assert wait_for(lambda: len(delivered(sink, f"{tag}-2")) >= 1, timeout=15)
    assert wait_for(lambda: (data / f"done/results/{tag}-2.json").exists(), timeout=5)
    assert list((data / "delivering").iterdir()) == []


def logged_each_event_on_one_line(logs: Path, tag: str) -> None:
    """One line per event in each stage's own log: time, stage, call id, outcome."""
    line = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (\w+) \w+ (\S+) (\S+) ", re.M)
    events = {(m[1], m[2], m[3]) for m in line.finditer((logs / "processor.log").read_text())}
    events |= {(m[1], m[2], m[3]) for m in line.finditer((logs / "delivery.log").read_text())}
    assert {("processor", f"{tag}-1", "processed"), ("delivery", f"{tag}-1", "delivered")} <= events
    assert ("delivery", f"{tag}-2.json", "recovered") in events  # the queue names a recovered task by file
