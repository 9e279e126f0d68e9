"""Every in-process timer runs on the monotonic clock: a wall clock stepped back 2 h stalls nothing.

Each case lets a timer start, steps the wall clock back two hours (NTP, an operator's `date`),
then advances real time by one interval and checks the timer fired. FakeClock.step moves the
wall clock only, as a real step does.
"""

from __future__ import annotations

import random
from pathlib import Path

from daemon.brokers.file.layout import ensure, folders
from daemon.brokers.file.queue import FileQueue
from daemon.clock import FakeClock
from daemon.config import Config, Secret
from devtools.sink import WebhookSink
from integrations.bolna.client import BolnaClient
from integrations.sheets import CsvSheet, SheetWriter
from integrations.sheets.model import Cell, Target
from stages.delivery import DeliveryStage
from stages.dialer import DialerStage
from tests.test_delivery import put_result

STEP = -2 * 3600.0


def test_the_queue_rescans_on_time(cfg: Config) -> None:
    clock = FakeClock()
    ensure(cfg.data_dir)
    q = FileQueue(cfg, folders(cfg.data_dir, "transcripts"), clock=clock, watch=False)
    q.start()
    clock.step(STEP)
    (cfg.data_dir / "transcripts" / "late.json").write_bytes(b"{}")  # no event: only a rescan finds it
    assert q.claim() is None
    clock.advance(cfg.rescan_seconds)
    found = q.claim()
    assert found is not None and found.name == "late.json"


def test_the_breaker_probes_on_time(cfg: Config, tmp_path: Path) -> None:
    clock = FakeClock()
    sink = WebhookSink(tmp_path / "sink", fail_status=503, clock=clock).start()
    try:
        dcfg = cfg.replace(singleinterface_webhook_url=sink.url, webhook_retry_attempts=1)
        ensure(dcfg.data_dir)
        put_result(dcfg, "1")
        stage = DeliveryStage(dcfg, clock, rng=random.Random(1))
        stage.setup()
        assert stage.run_once()  # fails: the breaker opens
        assert stage.breaker.is_open
        clock.step(STEP)
        sink.fail_status = None  # the endpoint is back
        clock.advance(stage.policy.probe_max)
        for _ in range(5):
            stage.run_once()
        assert len(sink.accepted()) == 1  # probed within WEBHOOK_PROBE_MAX, not 2 h later
        stage.close()
    finally:
        sink.close()


class CountingSheet(CsvSheet):
    reads = 0

    def read(self):  # type: ignore[no-untyped-def]
        self.reads += 1
        return super().read()


def test_the_dialer_cycles_on_time(cfg: Config, tmp_path: Path) -> None:
    clock = FakeClock()
    sheet = CountingSheet(tmp_path / "leads.csv")
    nowhere = BolnaClient("http://127.0.0.1:9", Secret("t"))  # no lead is due: never called
    stage = DialerStage(cfg.replace(bolna_agent_id="a"), clock, sheet=sheet, bolna=nowhere)
    stage.setup()
    assert stage.run_once() and sheet.reads == 1
    clock.step(STEP)
    clock.advance(cfg.dialer_interval)
    assert stage.run_once() and sheet.reads == 2
    stage.close()


def test_sheet_writes_flush_on_time(tmp_path: Path) -> None:
    clock = FakeClock()
    sheet = CsvSheet(tmp_path / "leads.csv")
    sheet.read()
    sheet.write({2: {"Phone Number": "9900000001"}})
    writer = SheetWriter(sheet, 3.0, clock)
    writer.update(Target("a", Cell("Phone Number"), "9900000001"), {"Status": "queued"})
    clock.step(STEP)
    assert writer.maybe_flush() is False
    clock.advance(3.0)
    assert writer.maybe_flush() is True
    assert sheet.read()[0].get("Status") == "queued"
