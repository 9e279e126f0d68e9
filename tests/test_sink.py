"""The local receiver, over real HTTP on 127.0.0.1, in this process and as `python -m daemon sink`."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from devtools.sink import WebhookSink
from integrations import webhooks
from tests.conftest import wait_for

SECRET = "whsec_" + base64.b64encode(b"sink-test-secret-of-32-bytes....").decode()


def post(url: str, body: bytes, msg_id: str, key: bytes | None = None, when: int | None = None) -> requests.Response:
    headers = webhooks.webhook_headers(msg_id, when or int(time.time()), body, key)
    return requests.post(url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=5)


def test_health_document_on_get(tmp_path: Path) -> None:
    sink = WebhookSink(tmp_path / "sink").start()
    try:
        answer = requests.get(sink.url, timeout=5)
    finally:
        sink.close()
    assert answer.status_code == 200
    doc = answer.json()
    assert doc["status"] == "healthy" and doc["endpoint"] == "Single Interface Webhook"
    assert doc["timestamp"].endswith("Z") and doc["timestamp"][10] == "T"


def test_stores_each_payload_as_its_own_file_across_restarts(tmp_path: Path) -> None:
    folder = tmp_path / "sink"
    sink = WebhookSink(folder).start()
    try:
        first = post(sink.url, b'{"call_ref_id": "1"}', "msg_one")
        second = post(sink.url, b'{"call_ref_id": "1", "again": true}', "msg_one")
        wrong_path = requests.post(sink.url + "/x", data=b"{}", timeout=5)
        not_json = post(sink.url, b"{nope", "msg_two")
    finally:
        sink.close()
    assert first.json() == {"success": True, "message": "Webhook processed"}
    assert second.status_code == 200 and wrong_path.status_code == 404 and not_json.status_code == 400

    restarted = WebhookSink(folder).start()  # numbering continues; nothing is overwritten
    try:
        post(restarted.url, b'{"third": 3}', "msg_one")
    finally:
        restarted.close()
    names = sorted(p.name for p in folder.glob("*.json"))
    assert names == ["msg_one.1.json", "msg_one.2.json", "msg_one.3.json"]
    assert (folder / "msg_one.2.json").read_bytes() == b'{"call_ref_id": "1", "again": true}'


def test_with_a_secret_bad_signatures_get_401_and_are_not_stored(tmp_path: Path) -> None:
    folder = tmp_path / "sink"
    sink = WebhookSink(folder, secret=SECRET).start()
    key = webhooks.decode_secret(SECRET)
    wrong = webhooks.decode_secret("whsec_" + base64.b64encode(b"x" * 32).decode())
    try:
        good = post(sink.url, b'{"ok": 1}', "msg_good", key)
        forged = post(sink.url, b'{"ok": 1}', "msg_forged", wrong)
        unsigned = post(sink.url, b'{"ok": 1}', "msg_unsigned")
        stale = post(sink.url, b'{"ok": 1}', "msg_stale", key, when=int(time.time()) - 3600)
    finally:
        sink.close()
    assert good.status_code == 200
    assert [r.status_code for r in (forged, unsigned, stale)] == [401, 401, 401]
    assert [p.name for p in folder.glob("*.json")] == ["msg_good.1.json"]


def test_test_knobs_fail_until_a_time_and_then_recover(tmp_path: Path) -> None:
    sink = WebhookSink(tmp_path / "sink", fail_status=503, fail_until=time.time() + 0.5, retry_after="2").start()
    try:
        failing = post(sink.url, b"{}", "msg_a")
        time.sleep(0.6)
        recovered = post(sink.url, b"{}", "msg_a")
    finally:
        sink.close()
    assert failing.status_code == 503 and failing.headers["Retry-After"] == "2"
    assert recovered.status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(30)
def test_the_sink_command_serves_until_sigterm(tmp_path: Path, spawn) -> None:
    port = _free_port()
    env = {"DATA_DIR": str(tmp_path / "data"), "SINK_PORT": str(port), "WEBHOOK_SECRET": SECRET}
    proc = spawn(["-m", "daemon", "--env-file", os.devnull, "sink"], env=env)
    url = f"http://127.0.0.1:{port}/api/webhooks/singleinterface"

    def healthy() -> bool:
        try:
            return requests.get(url, timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    assert wait_for(healthy, timeout=15)
    assert post(url, b'{"n": 1}', "msg_cli", webhooks.decode_secret(SECRET)).status_code == 200
    assert post(url, b'{"n": 1}', "msg_cli").status_code == 401
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert [p.name for p in (tmp_path / "data" / "sink").glob("*.json")] == ["msg_cli.1.json"]


def test_the_sink_command_keeps_counts_not_requests_and_prunes_old_payloads(tmp_path: Path, spawn) -> None:
    """Run for months, the sink must not grow in memory, and RETENTION_DAYS applies to its folder."""
    folder = tmp_path / "sink"
    folder.mkdir()
    old = folder / "msg_old.1.json"
    old.write_text("{}")
    os.utime(old, (time.time() - 3 * 86400,) * 2)
    port = _free_port()
    env = {"DATA_DIR": str(tmp_path / "data"), "SINK_DIR": str(folder), "RETENTION_DAYS": "2"}
    proc = spawn(["-m", "daemon", "sink", "--port", str(port)], env=env, stdout=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/api/webhooks/singleinterface"
    assert wait_for(lambda: _answers(url), timeout=15)
    assert not old.exists()
    for n in range(3):
        requests.post(url, data=b'{"n": %d}' % n, headers={"webhook-id": f"msg_{n}"}, timeout=5)
    assert len(list(folder.glob("msg_*.json"))) == 3
    proc.terminate()
    out, _ = proc.communicate(timeout=15)
    assert "stopped (3 requests: {200: 3})" in out


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False
