"""The delivery stage in this process, against the real local receiver on 127.0.0.1.

Time-driven cases run on a FakeClock shared by the stage and the receiver, so backoff and
outages of minutes take milliseconds; the timeout case uses real time.
"""

from __future__ import annotations

import base64
import random
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from standardwebhooks import Webhook

from daemon import fsutil
from daemon.broker import Envelope
from daemon.brokers.file.layout import ensure
from daemon.clock import SYSTEM_CLOCK, Clock, FakeClock
from daemon.config import Config, load_config
from daemon.runner import StartupError
from devtools.sink import WebhookSink
from integrations import webhooks
from integrations.singleinterface.client import USER_AGENT
from stages.delivery import DeliveryStage

SECRET = "whsec_" + base64.b64encode(b"delivery-test-secret-32-bytes...").decode()


def make_cfg(tmp_path: Path, url: str, **env: str) -> Config:
    base = {"DATA_DIR": str(tmp_path / "data"), "RETENTION_DAYS": "0", "SINGLEINTERFACE_WEBHOOK_URL": url}
    cfg = load_config({**base, **env}, env_file=None)
    ensure(cfg.data_dir)
    return cfg


def payload_for(ref: str) -> dict[str, object]:
    return {
        "id": f"bot_{ref}",
        "call_ref_id": ref,
        "call_vendor": "Ozonetel",
        "recording_url": "",
        "start_time": "2025-10-02 14:25:00",
        "end_time": "2025-10-02 14:27:30",
        "duration": 150,
        "language": {"welcome": "english", "conversational": "hindi"},
        "dealer_routing": {"status": False, "reason": "No data collected - call failed", "time": ""},
        "dropoff": {"time": "2025-10-02 14:27:30", "action": "ivr"},
        "response_data": [],
    }


def put_result(cfg: Config, ref: str, **extra: object) -> tuple[str, str]:
    """Write a result file as the processor would; returns (file name, webhook id)."""
    payload = payload_for(ref)
    msg_id = webhooks.webhook_id(ref, payload)
    doc = {"webhook_id": msg_id, "summary": "test", "metadata": {"lead_row": 1}, "payload": payload, **extra}
    name = f"call-{ref}.json"
    fsutil.atomic_write(cfg.data_dir / "results", name, orjson.dumps(doc), cfg.data_dir / "tmp")
    return name, msg_id


@pytest.fixture
def sinks(tmp_path: Path) -> Iterator[Callable[..., WebhookSink]]:
    started: list[WebhookSink] = []

    def start(**knobs: object) -> WebhookSink:
        sink = WebhookSink(tmp_path / f"sink{len(started)}", **knobs).start()  # type: ignore[arg-type]
        started.append(sink)
        return sink

    yield start
    for sink in started:
        sink.close()


@pytest.fixture
def stages() -> Iterator[Callable[..., DeliveryStage]]:
    opened: list[DeliveryStage] = []

    def open_stage(cfg: Config, clock: Clock = SYSTEM_CLOCK) -> DeliveryStage:
        stage = DeliveryStage(cfg, clock, rng=random.Random(7))
        stage.setup()
        opened.append(stage)
        return stage

    yield open_stage
    for stage in opened:
        stage.close()


def drive(stage: DeliveryStage, clock: FakeClock, done: Callable[[], bool], limit: float, step: float = 0.25) -> None:
    """The runner's loop on fake time: idle turns advance the clock by `step`."""
    deadline = clock.now() + limit
    while not done():
        assert clock.now() < deadline, "not done within the time limit"
        if not stage.run_once():
            clock.advance(step)


def envelope_of(cfg: Config, deferred: Path) -> Envelope:
    """The file backend keeps a deferred task's envelope apart from it, keyed by its inode."""
    path = cfg.data_dir / "state" / "envelopes" / "results" / f"{deferred.stat().st_ino}.json"
    return Envelope.from_json(path.read_bytes())


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- what is sent ---------------------------------------------------------------------------------


def test_sends_only_the_payload_signed_with_the_documented_headers(tmp_path, sinks, stages) -> None:
    sink = sinks(secret=SECRET)
    cfg = make_cfg(tmp_path, sink.url, WEBHOOK_SECRET=SECRET, SINGLEINTERFACE_API_KEY="k-123")
    # A result with a key the processor never writes: only the payload is ever sent.
    name, msg_id = put_result(cfg, "101", _delivery={"attempts": 3, "deferrals": 1, "last_error": "x"})
    stage = stages(cfg)

    assert stage.run_once()

    [got] = sink.received
    assert got.status == 200
    assert orjson.loads(got.body) == payload_for("101")
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == USER_AGENT
    assert got.headers["authorization"] == "Bearer k-123"
    assert got.headers["webhook-id"] == msg_id
    assert Webhook(SECRET).verify(got.body, got.headers) == payload_for("101")
    assert got.stored is not None and got.stored.read_bytes() == got.body
    assert files(cfg.data_dir / "results") == [] and files(cfg.data_dir / "delivering") == []
    assert files(cfg.data_dir / "done" / "results") == [name]


def test_unsigned_requests_still_carry_a_webhook_id(tmp_path, sinks, stages) -> None:
    sink = sinks()
    cfg = make_cfg(tmp_path, sink.url)
    _, msg_id = put_result(cfg, "102")
    stage = stages(cfg)
    assert stage.run_once()
    [got] = sink.received
    assert got.headers["webhook-id"] == msg_id
    assert "webhook-signature" not in got.headers and "authorization" not in got.headers


def test_files_that_are_not_results_are_dead_lettered_unsent(tmp_path, sinks, stages) -> None:
    sink = sinks()
    cfg = make_cfg(tmp_path, sink.url)
    results, tmp = cfg.data_dir / "results", cfg.data_dir / "tmp"
    fsutil.atomic_write(results, "bare.json", b'{"call_ref_id": "5"}', tmp)
    fsutil.atomic_write(results, "bad-id.json", orjson.dumps({"webhook_id": "a b\r\nX: y", "payload": {}}), tmp)
    stage = stages(cfg)
    while stage.run_once():
        pass
    dead = cfg.data_dir / "dead" / "results"
    assert "not a result file" in (dead / "bare.json.reason").read_text()
    assert "is not an id" in (dead / "bad-id.json.reason").read_text()
    assert sink.received == []


# -- failures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 410])
def test_permanent_failure_dead_letters_at_once_with_status_and_body(tmp_path, sinks, stages, status) -> None:
    sink = sinks(fail_status=status, fail_body=b'{"error": "dealer_routing.time is not a date"}')
    cfg = make_cfg(tmp_path, sink.url)
    name, _ = put_result(cfg, "201")
    stage = stages(cfg)

    assert stage.run_once()

    assert len(sink.received) == 1  # no retries
    dead = cfg.data_dir / "dead" / "results"
    assert files(dead) == [name, name + ".reason"]
    reason = (dead / (name + ".reason")).read_text()
    assert f"HTTP {status}" in reason and "dealer_routing.time is not a date" in reason
    assert not stage.breaker.is_open  # the endpoint answered: it is up


def test_transient_failures_back_off_then_defer_with_a_delivery_record(tmp_path, sinks, stages) -> None:
    clock = FakeClock()
    sink = sinks(fail_status=500, clock=clock)
    cfg = make_cfg(tmp_path, sink.url, WEBHOOK_RETRY_ATTEMPTS="3")
    _, msg_id = put_result(cfg, "301")
    stage = stages(cfg, clock)
    started = clock.now()

    assert stage.run_once()

    times = [r.at for r in sink.received]
    assert len(times) == 3
    assert {r.headers["webhook-id"] for r in sink.received} == {msg_id}  # same id on every retry
    assert 0.25 <= times[1] - times[0] <= 0.5 and 0.5 <= times[2] - times[1] <= 1.0
    [deferred] = (cfg.data_dir / "deferred" / "results").iterdir()
    doc = orjson.loads(deferred.read_bytes())
    assert doc["payload"] == payload_for("301") and doc["webhook_id"] == msg_id
    assert set(doc) == {"webhook_id", "summary", "metadata", "payload"}  # the result is exactly as written
    record = envelope_of(cfg, deferred)  # the delivery record lives in the envelope
    assert record.attempts == 3 and record.deferrals == 1
    assert record.first_attempt_at == pytest.approx(started)
    assert "HTTP 500" in record.last_error
    assert 270 <= deferred.stat().st_mtime - clock.now() <= 300  # Postfix's first delay
    assert stage.breaker.is_open


def test_retry_after_is_honoured(tmp_path, sinks, stages) -> None:
    clock = FakeClock()
    sink = sinks(fail_status=429, retry_after="7", clock=clock)
    cfg = make_cfg(tmp_path, sink.url, WEBHOOK_RETRY_ATTEMPTS="2")
    put_result(cfg, "401")
    stage = stages(cfg, clock)
    assert stage.run_once()
    first, second = (r.at for r in sink.received)
    assert second - first >= 7.0
    assert stage.breaker.next_probe_at - clock.monotonic() >= 7.0

    # A long Retry-After is not slept on: the result is deferred at least that long, after one try.
    sink.retry_after = "3600"
    stage.breaker.answered()
    shutil.copy(next((cfg.data_dir / "deferred" / "results").iterdir()), cfg.data_dir / "results" / "again.json")
    before = len(sink.received)
    drive(stage, clock, lambda: len(sink.received) > before, limit=10)
    assert len(sink.received) == before + 1
    mtimes = [p.stat().st_mtime for p in (cfg.data_dir / "deferred" / "results").iterdir()]
    assert max(mtimes) - clock.now() >= 3600


def test_dead_letters_after_the_maximum_age(tmp_path, sinks, stages) -> None:
    clock = FakeClock()
    sink = sinks(fail_status=503, clock=clock)
    cfg = make_cfg(tmp_path, sink.url, WEBHOOK_MAX_AGE="10m", WEBHOOK_PROBE_MAX="60s")
    name, _ = put_result(cfg, "501")
    stage = stages(cfg, clock)
    started = clock.now()
    dead = cfg.data_dir / "dead" / "results"

    drive(stage, clock, lambda: (dead / name).exists(), limit=900)

    assert 600 <= clock.now() - started <= 600 + 60 + 5
    reason = (dead / (name + ".reason")).read_text()
    assert "WEBHOOK_MAX_AGE=600" in reason and "HTTP 503" in reason
    # Probing a dead endpoint for 10 minutes: about one request a minute, not a flood.
    assert len(sink.received) <= 3 + 20


def test_hanging_receiver_times_out_per_webhook_timeout_ms(tmp_path, sinks, stages) -> None:
    sink = sinks(hang_seconds=5)
    cfg = make_cfg(tmp_path, sink.url, WEBHOOK_TIMEOUT_MS="300", WEBHOOK_RETRY_ATTEMPTS="1")
    put_result(cfg, "601")
    stage = stages(cfg)

    started = time.monotonic()
    assert stage.run_once()
    elapsed = time.monotonic() - started

    assert 0.3 <= elapsed < 2.0
    [deferred] = (cfg.data_dir / "deferred" / "results").iterdir()
    assert "WEBHOOK_TIMEOUT_MS=300" in envelope_of(cfg, deferred).last_error


# -- the breaker ----------------------------------------------------------------------------------


def test_outage_holds_results_back_and_drains_everything_soon_after_recovery(tmp_path, sinks, stages) -> None:
    clock = FakeClock()
    outage_end = clock.now() + 30
    sink = sinks(fail_status=503, fail_until=outage_end, clock=clock)
    cfg = make_cfg(tmp_path, sink.url)
    ids = {put_result(cfg, f"7{n:02d}")[1] for n in range(20)}
    stage = stages(cfg, clock)

    drive(stage, clock, lambda: {r.headers["webhook-id"] for r in sink.accepted()} == ids, limit=200)

    assert clock.now() - outage_end <= 60
    during = [r for r in sink.received if r.at < outage_end]
    assert len(during) <= 3 + 10  # one result's tries, then one probe per back-off step
    assert len(sink.accepted()) == 20  # each result once
    assert files(cfg.data_dir / "deferred" / "results") == []
    assert files(cfg.data_dir / "results") == []


def test_a_poison_result_keeps_its_delay_while_others_flow(tmp_path, sinks, stages) -> None:
    """A payload the endpoint always fails with 500 must not be re-sent at every recovery."""
    clock = FakeClock()
    cfg = make_cfg(tmp_path, "http://placeholder")
    poison_name, poison_id = put_result(cfg, "800")
    sink = sinks(fail_status=500, fail_ids=frozenset({poison_id}), clock=clock)
    stage = stages(cfg.replace(singleinterface_webhook_url=sink.url), clock)
    deferred = cfg.data_dir / "deferred" / "results"
    drive(stage, clock, lambda: bool(files(deferred)), limit=30)

    for n in range(30):  # a steady flow of good results for ten minutes
        put_result(cfg, f"81{n:02d}")
        drive(stage, clock, lambda: not files(cfg.data_dir / "results"), limit=60)
        clock.advance(20)

    poison_tries = [r for r in sink.received if r.headers["webhook-id"] == poison_id]
    assert len(sink.accepted()) == 30
    # Its first claim, one retry when the endpoint looked recovered, then only when its
    # Postfix delay (about 10 minutes by then) came due.
    assert len(poison_tries) <= 3 * 3
    assert files(deferred) == [poison_name]


# -- switches, restarts and replays -----------------------------------------------------------------


def test_refuses_to_start_without_a_url_and_idles_when_disabled(tmp_path) -> None:
    with pytest.raises(StartupError, match="SINGLEINTERFACE_WEBHOOK_URL"):
        DeliveryStage(make_cfg(tmp_path, "")).setup()
    with pytest.raises(StartupError, match="WEBHOOK_SECRET"):
        DeliveryStage(make_cfg(tmp_path, "http://127.0.0.1:9/x", WEBHOOK_SECRET="whsec_%%%")).setup()
    cfg = make_cfg(tmp_path, "", WEBHOOKS_ENABLED="false")
    name, _ = put_result(cfg, "901")
    stage = DeliveryStage(cfg)
    stage.setup()
    try:
        assert stage.run_once() is False
        assert stage.wakeup_event() is None
    finally:
        stage.close()
    assert files(cfg.data_dir / "results") == [name]


def test_restart_never_resends_but_a_copy_back_is_a_replay(tmp_path, sinks, stages) -> None:
    sink = sinks()
    cfg = make_cfg(tmp_path, sink.url)
    name, msg_id = put_result(cfg, "951")
    first = stages(cfg)
    assert first.run_once()
    first.close()

    second = stages(cfg)  # a restart on the same data folder
    assert second.run_once() is False
    assert len(sink.received) == 1

    shutil.copy(cfg.data_dir / "done" / "results" / name, cfg.data_dir / "results" / name)
    deadline = time.monotonic() + 5
    while not second.run_once():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert [r.headers["webhook-id"] for r in sink.received] == [msg_id, msg_id]


# -- bounds and secrets -----------------------------------------------------------------------------


@pytest.mark.parametrize("retry_after", ["99999999999", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_an_endless_retry_after_is_clamped(tmp_path, sinks, stages, retry_after: str) -> None:
    """One answer must not stop delivery for good: probes wait at most WEBHOOK_PROBE_MAX, deferrals
    at most the longest deferral."""
    clock = FakeClock()
    sink = sinks(fail_status=503, retry_after=retry_after, clock=clock)
    cfg = make_cfg(tmp_path, sink.url, WEBHOOK_RETRY_ATTEMPTS="1", WEBHOOK_PROBE_MAX="60s")
    put_result(cfg, "601")
    stage = stages(cfg, clock)
    assert stage.run_once()
    assert stage.breaker.next_probe_at - clock.monotonic() <= 60
    (deferred,) = (cfg.data_dir / "deferred" / "results").iterdir()
    assert deferred.stat().st_mtime - clock.now() <= stage.policy.defer_max

    sink.fail_status = None  # the endpoint recovers: the held result goes at the next probe
    drive(stage, clock, lambda: len(sink.accepted()) == 1, limit=120)


SECRET_QUERY = "apikey=qs-secret-4711"


def test_a_query_string_secret_never_reaches_a_reason_or_a_record(tmp_path, sinks, stages, caplog) -> None:
    clock = FakeClock()
    # The endpoint echoes the URL it was called with, as error pages often do.
    echo = b'{"error": "no such hook: http://127.0.0.1/api/webhooks/singleinterface?' + SECRET_QUERY.encode() + b'"}'
    sink = sinks(fail_status=404, fail_body=echo, clock=clock)
    cfg = make_cfg(tmp_path, f"{sink.url}?{SECRET_QUERY}", WEBHOOK_RETRY_ATTEMPTS="1")
    name, _ = put_result(cfg, "602")
    stage = stages(cfg, clock)
    assert stage.run_once()
    reason = (cfg.data_dir / "dead" / "results" / (name + ".reason")).read_text()
    assert "HTTP 404" in reason and "no such hook" in reason
    assert "qs-secret-4711" not in reason

    # No answer at all: requests' own error text quotes the path with its query string.
    closed = socket_url_of_a_closed_port()
    cfg2 = make_cfg(tmp_path / "two", f"{closed}?{SECRET_QUERY}", WEBHOOK_RETRY_ATTEMPTS="1")
    put_result(cfg2, "603")
    stage2 = stages(cfg2, clock)
    assert stage2.run_once()
    (deferred,) = (cfg2.data_dir / "deferred" / "results").iterdir()
    record = envelope_of(cfg2, deferred)
    assert "request failed" in record.last_error
    assert "qs-secret-4711" not in record.last_error
    assert "qs-secret-4711" not in caplog.text


def socket_url_of_a_closed_port() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/webhooks/singleinterface"
