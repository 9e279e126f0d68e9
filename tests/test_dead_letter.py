"""`python -m daemon dead-letter list|show|retry` on dead letters the real queue made."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from cli.main import main as cli_main
from daemon.brokers.file.layout import ensure, folders
from daemon.brokers.file.queue import FileQueue
from daemon.clock import FakeClock
from daemon.config import Config, load_config


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    root = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(root))
    monkeypatch.setenv("SETTLE_SECONDS", "0")  # bad JSON is dead-lettered at once
    return load_config(env_file=None)


def queue(cfg: Config, name: str, clock: FakeClock | None = None) -> FileQueue:
    ensure(cfg.data_dir)
    return FileQueue(cfg, folders(cfg.data_dir, name), watch=False, **({"clock": clock} if clock else {}))


def dead_letter_via_queue(cfg: Config, name: str, inbox: str, raw: bytes) -> None:
    """Drop a file into an inbox and let the real queue dead-letter it (or the test do so on a claim)."""
    q = queue(cfg, inbox)
    (q.inbox / name).write_bytes(raw)
    q.rescan()
    task = q.claim()
    if task is not None:  # valid JSON: dead-letter it the way a stage does after a failure
        task.dead_letter("permanent failure, not retried: 410 Gone")


def dl(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    root = logging.getLogger()
    handlers = root.handlers[:]
    try:
        code = cli_main(["--env-file", "/nonexistent/.env", "dead-letter", *argv])
    except SystemExit as exc:  # argparse refused the arguments
        code = int(exc.code or 0)
    root.handlers[:] = handlers  # the queue's own log lines stay out of the next capture
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_list_shows_each_dead_letter_with_its_reason(cfg: Config, capsys: pytest.CaptureFixture[str]) -> None:
    dead_letter_via_queue(cfg, "call-1.json", "transcripts", b"{broken")
    dead_letter_via_queue(cfg, "call-2.json", "results", b'{"payload": {"call_ref_id": "c2"}}')
    code, out = dl(capsys, "list", "--json")
    assert code == 0
    doc = json.loads(out)
    assert [(d["queue"], d["name"], d["call_id"]) for d in doc] == [
        ("transcripts", "call-1.json", "-"),  # not JSON: the queue could not know its id
        ("results", "call-2.json", "c2"),
    ]
    assert doc[0]["reason"].startswith("not valid JSON")
    assert doc[1]["reason"] == "permanent failure, not retried: 410 Gone"

    code, out = dl(capsys, "list")
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert lines[0] == "queue name age reason"
    assert lines[3] == "results call-2.json 0s permanent failure, not retried: 410 Gone"

    code, out = dl(capsys, "list", "--queue", "results", "--json")
    assert [d["name"] for d in json.loads(out)] == ["call-2.json"]


def test_show_prints_reason_and_content(cfg: Config, capsys: pytest.CaptureFixture[str]) -> None:
    dead_letter_via_queue(cfg, "call-3.json", "results", b'{"payload":{"call_ref_id":"c3"}}')
    dead_letter_via_queue(cfg, "call-4.json", "transcripts", b"not json at all")
    code, out = dl(capsys, "show", "call-3.json")
    assert code == 0
    head, _, body = out.partition("\n\n")
    assert head.splitlines()[:3] == [
        "results/call-3.json",
        "reason: permanent failure, not retried: 410 Gone",
        "queue: results",
    ]
    assert json.loads(body) == {"payload": {"call_ref_id": "c3"}}
    code, out = dl(capsys, "show", "call-4.json")
    assert out.rstrip().endswith("not json at all")
    dead_letter_via_queue(cfg, "call-3.json", "transcripts", b"{")  # the same name in a second queue
    code, out = dl(capsys, "show", "call-3.json")
    assert code == 1 and "in several queues (results, transcripts): add --queue" in out
    assert dl(capsys, "show", "call-3.json", "--queue", "transcripts")[0] == 0
    assert dl(capsys, "show", "nothing.json")[0] == 1


def test_retry_after_a_fix_lets_the_queue_take_it(cfg: Config, capsys: pytest.CaptureFixture[str]) -> None:
    dead_letter_via_queue(cfg, "call-5.json", "transcripts", b"{oops")
    dead = cfg.data_dir / "dead/transcripts/call-5.json"
    dead.write_text('{"call_ref_id": "call-5"}')  # the operator fixes the file in place
    code, _ = dl(capsys, "retry", "call-5.json")
    assert code == 0
    assert not dead.exists() and not dead.with_name("call-5.json.reason").exists()
    waiting = cfg.data_dir / "transcripts/call-5.json"
    assert time.time() - waiting.stat().st_mtime < 5  # waits from now, not from its first arrival
    task = queue(cfg, "transcripts").claim()
    assert task is not None and task.doc == {"call_ref_id": "call-5"}


def test_retry_restores_the_original_name_and_starts_a_fresh_delivery_record(
    cfg: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    from daemon.broker import Envelope

    clock = FakeClock()
    result = json.dumps({"payload": {"call_ref_id": "c6"}}).encode()
    q = queue(cfg, "results", clock)
    for _ in range(2):  # the same result arrives twice, and both end up dead after retries
        q.publish("call-6.json", result)
        task = q.claim()
        assert task is not None
        task.defer(clock.now() + 1, Envelope(attempts=9, first_attempt_at=1.0))
        clock.advance(2)
        again = q.claim()
        assert again is not None and again.envelope.attempts == 9
        again.dead_letter("undelivered after 9 attempts")
    assert sorted(p.name for p in (cfg.data_dir / "dead/results").iterdir()) == [
        "call-6.json",
        "call-6.json.1",
        "call-6.json.1.reason",
        "call-6.json.reason",
    ]
    code, _ = dl(capsys, "retry", "call-6.json.1")
    assert code == 0
    assert json.loads((cfg.data_dir / "results/call-6.json").read_text()) == {"payload": {"call_ref_id": "c6"}}
    code, _ = dl(capsys, "retry", "call-6.json")  # call-6.json waits already: the second gets a new name
    assert code == 0
    assert sorted(p.name for p in (cfg.data_dir / "results").iterdir()) == ["call-6.json", "call-6.json.1"]
    assert list((cfg.data_dir / "dead/results").iterdir()) == []
    q.rescan()
    retried = q.claim()
    assert retried is not None and retried.envelope.attempts == 0  # WEBHOOK_MAX_AGE counts afresh


def test_retry_all_leaves_non_queue_folders_unless_told_where(cfg: Config, capsys: pytest.CaptureFixture[str]) -> None:
    dead_letter_via_queue(cfg, "a.json", "transcripts", b"{")
    dead_letter_via_queue(cfg, "b.json", "results", b"{")
    intake = cfg.data_dir / "dead/intake"
    (intake / "body-1.json").write_text('{"id": "bolna-1", "transcript": "user: hi"}')
    (intake / "body-1.json.reason").write_text("reason: no sheet row for this call\nqueue: intake\n")

    assert dl(capsys, "retry", "--all", "--queue", "results")[0] == 0
    assert (cfg.data_dir / "results/b.json").exists() and (cfg.data_dir / "dead/transcripts/a.json").exists()
    code, out = dl(capsys, "retry", "--all")
    assert code == 0 and "intake bodies left alone" in out
    assert (cfg.data_dir / "transcripts/a.json").exists() and (intake / "body-1.json").exists()
    assert dl(capsys, "retry", "body-1.json")[0] == 1  # intake holds bodies, not tasks
    assert dl(capsys, "retry", "body-1.json", "--to", "transcripts")[0] == 0
    assert (cfg.data_dir / "transcripts/body-1.json").exists() and list(intake.iterdir()) == []


def test_usage_errors(cfg: Config, capsys: pytest.CaptureFixture[str]) -> None:
    assert dl(capsys, "retry")[0] == 2
    assert dl(capsys, "retry", "x.json", "--all")[0] == 2
    assert dl(capsys, "show", "../../etc/passwd")[0] == 2
    assert dl(capsys, "list", "--queue", "../state")[0] == 2
    assert dl(capsys, "retry", "--all", "--to", "processing")[0] == 2


def test_show_and_retry_refuse_a_symbolic_link(cfg: Config, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The queue dead-letters a link without following it; the operator's commands must not follow it either."""
    secret = tmp_path / "outside.txt"
    secret.write_text("root:x:0:0:not for your eyes\n")
    q = queue(cfg, "transcripts")
    (q.inbox / "link.json").symlink_to(secret)
    q.rescan()
    assert q.claim() is None
    assert (cfg.data_dir / "dead" / "transcripts" / "link.json").is_symlink()

    code, out = dl(capsys, "show", "link.json")
    assert code == 1
    assert "symbolic link" in out and "not for your eyes" not in out
    code, out = dl(capsys, "retry", "link.json")
    assert code == 1
    assert not (cfg.data_dir / "transcripts" / "link.json").exists()
    assert secret.read_text().startswith("root:x")


def test_show_never_sends_control_characters_to_the_terminal(cfg: Config, capsys: pytest.CaptureFixture[str]) -> None:
    # Not JSON, so shown raw: an ESC sequence that would clear the screen and retitle the terminal.
    dead_letter_via_queue(cfg, "evil.json", "transcripts", b"\x1b[2J\x1b]0;pwned\x07 \x9b31m not json")
    code, out = dl(capsys, "show", "evil.json")
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert r"\x1b[2J" in out
