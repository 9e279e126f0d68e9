"""Configuration: .env under the environment, one line per bad value, secrets never shown."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from daemon import logs
from daemon.config import ConfigError, Duration, Secret, load_config
from tests.conftest import ROOT


def test_defaults_match_the_design() -> None:
    cfg = load_config({}, env_file=None)
    assert cfg.data_dir == Path("data")
    assert cfg.timezone == "Asia/Kolkata"
    assert cfg.webhook_retry_attempts == 3 and cfg.webhook_timeout_ms == 10000
    assert cfg.bolna_base_url == "https://api.bolna.ai"
    assert cfg.call_vendor == "Ozonetel"
    assert cfg.webhook_url == ""  # no default points at a third party


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("WEBHOOK_RETRY_ATTEMPTS=5\nAPI_TOKEN=bn-from-file\nTIMEZONE=UTC\n")
    cfg = load_config({"TIMEZONE": "Asia/Dubai"}, env_file=env_file)
    assert cfg.webhook_retry_attempts == 5
    assert cfg.timezone == "Asia/Dubai"
    assert cfg.bolna_api_token.reveal() == "bn-from-file"  # the seed's name works


def test_new_name_wins_over_the_seeds_alias() -> None:
    cfg = load_config({"API_TOKEN": "old", "BOLNA_API_TOKEN": "new"}, env_file=None)
    assert cfg.bolna_api_token.reveal() == "new"


def test_webhook_url_falls_back_to_the_base_url() -> None:
    cfg = load_config({"WEBHOOK_BASE_URL": "http://127.0.0.1:9/"}, env_file=None)
    assert cfg.webhook_url == "http://127.0.0.1:9/api/webhooks/singleinterface"
    cfg = load_config({"WEBHOOK_BASE_URL": "http://a", "SINGLEINTERFACE_WEBHOOK_URL": "http://b/x"}, env_file=None)
    assert cfg.webhook_url == "http://b/x"


@pytest.mark.parametrize(
    ("raw", "seconds"), [("90", 90), ("500ms", 0.5), ("15m", 900), ("2h", 7200), ("3d", 259200), ("1.5s", 1.5)]
)
def test_durations(raw: str, seconds: float) -> None:
    cfg = load_config({"WEBHOOK_MAX_AGE": raw}, env_file=None)
    assert isinstance(cfg.webhook_max_age, Duration) and cfg.webhook_max_age == seconds


def test_every_bad_value_gets_its_own_line_and_secrets_stay_hidden() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(
            {
                "WEBHOOK_TIMEOUT_MS": "ten",
                "WEBHOOKS_ENABLED": "maybe",
                "WEBHOOK_SECRET": "hunter2-not-whsec",
                "CALLING_WINDOW": "9am-9pm",
                "SINGLEINTERFACE_WEBHOOK_URL": "ftp://x",
            },
            env_file=None,
        )
    lines = str(err.value).splitlines()
    assert len(lines) == 5
    assert {line.split(":")[0] for line in lines} == {
        "WEBHOOK_TIMEOUT_MS",
        "WEBHOOKS_ENABLED",
        "WEBHOOK_SECRET",
        "CALLING_WINDOW",
        "SINGLEINTERFACE_WEBHOOK_URL",
    }
    assert "hunter2" not in str(err.value)
    assert "'ten'" in str(err.value)


def test_secret_never_prints_itself() -> None:
    s = Secret("bn-test-not-a-real-key")
    assert "not-a-real" not in repr(s) and "not-a-real" not in str(s) and "not-a-real" not in f"{s}"
    assert s.reveal() == "bn-test-not-a-real-key"
    cfg = load_config({"BOLNA_API_TOKEN": "bn-test-not-a-real-key"}, env_file=None)
    assert "not-a-real" not in repr(cfg)


def test_cli_reports_config_errors_and_exits_78(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "daemon", "--env-file", str(tmp_path / "none"), "run", "processor"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "WEBHOOK_SECRET": "s3cret-value", "RESCAN_SECONDS": "0"},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 78
    assert "config error: RESCAN_SECONDS: must be greater than 0" in proc.stderr
    assert "config error: WEBHOOK_SECRET" in proc.stderr
    assert "s3cret" not in proc.stderr + proc.stdout


def test_json_log_lines_carry_stage_call_id_and_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("processor", "json", "INFO")
    try:
        logging.getLogger("x").info("analysed in %s ms", 3, extra=logs.task("call-7", "done"))
    finally:
        logs.configure("pytest", "text", "WARNING")
    doc = orjson.loads(capsys.readouterr().out.strip())
    assert (doc["stage"], doc["call_id"], doc["outcome"], doc["message"]) == (
        "processor",
        "call-7",
        "done",
        "analysed in 3 ms",
    )


def test_text_log_lines_name_the_stage_and_call(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("delivery", "text", "INFO")
    try:
        logging.getLogger("x").info("acknowledged", extra=logs.task("call-9", "sent"))
        logging.getLogger("x").info("no task here")
    finally:
        logs.configure("pytest", "text", "WARNING")
    first, second = capsys.readouterr().out.strip().splitlines()
    assert first.endswith("delivery INFO call-9 sent acknowledged")
    assert second.endswith("delivery INFO - - no task here")


def test_a_message_cannot_forge_a_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A newline in a value (a webhook's status, say) stays inside its own line, escaped."""
    forged = "completed\n2026-01-01 00:00:00.000 intake INFO ex-1 applied all good\x1b[2J"
    logs.configure("intake", "text", "INFO")
    try:
        logging.getLogger("x").warning("status %s", forged, extra=logs.task("ex\r\n1", "bad"))
    finally:
        logs.configure("pytest", "text", "WARNING")
    (line,) = capsys.readouterr().out.strip().splitlines()
    escaped = r"completed\n2026-01-01 00:00:00.000 intake INFO ex-1 applied all good\x1b[2J"
    assert line.endswith(r"intake WARNING ex\r\n1 bad status " + escaped)


def test_personal_data_is_logged_only_with_log_pii(capsys: pytest.CaptureFixture[str]) -> None:
    say = logging.getLogger("x")
    for enabled in (False, True):
        logs.configure("processor", "text", "INFO", log_pii=enabled)
        try:
            say.info("summary %s", logs.pii("Asha Rao wants a Creta"))
            say.info("bounced mail to asha.rao@example.com from +91 99000 00014 (9900000017)")
            say.info("call 18882175837982271 ex 6c972873-19b2-44b0-a6bf-d4f690a7a9cf")  # ids stay
        finally:
            logs.configure("pytest", "text", "WARNING")
        out = capsys.readouterr().out
        for value in ("Asha Rao", "asha.rao@example.com", "+91 99000 00014", "9900000017"):
            assert (value in out) is enabled, (value, enabled)
        assert "18882175837982271" in out and "6c972873-19b2-44b0-a6bf-d4f690a7a9cf" in out
