"""Bolna's own analysis through the processor: kept in the result's metadata, and (with
EXTRACTED_FIELDS) filling the fields our analysis left empty, on the real analysis."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from daemon.brokers.file.layout import ensure
from daemon.config import Config, load_config
from devtools.scenarios import SCENARIOS, converse, customer_for
from stages.processor import ProcessorStage
from tests.conftest import FIXTURES
from tests.test_processor import drop, result, run_until_idle

FIXTURE = orjson.loads((FIXTURES / "bolna" / "execution-completed-inbound.json").read_bytes())


def partial_call() -> dict[str, Any]:
    """A Bolna body whose customer named a model and refused an email; Bolna's extraction has one."""
    customer = customer_for("+919900000003", {"Name": "Ananya Iyer"})
    conversation = converse(SCENARIOS["partial"], "english", customer)
    body = copy.deepcopy(FIXTURE)
    body.update(
        id="ex-partial",
        transcript=conversation.transcript,
        summary="Ananya wants a Kia; she would not give an email on the call.",
        extracted_data={"customer_name": "Ananya Iyer", "car_model": "Kia Seltos", "email": "ananya@example.com"},
    )
    return body


def processed(tmp_path: Path, body: dict[str, Any], **env: str) -> dict[str, Any]:
    cfg: Config = load_config({"DATA_DIR": str(tmp_path / "data"), "RETENTION_DAYS": "0", **env}, env_file=None)
    ensure(cfg.data_dir)
    stage = ProcessorStage(cfg)
    stage.setup()
    try:
        drop(cfg, f"{body['id']}.json", orjson.dumps(body))
        run_until_idle(stage)
    finally:
        stage.close()
    return result(cfg, f"{body['id']}.json")


def responses(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["key_value"]: item for item in doc["payload"]["response_data"]}


def test_bolna_s_summary_and_extraction_are_kept_in_the_metadata(tmp_path: Path) -> None:
    doc = processed(tmp_path, FIXTURE)
    assert doc["metadata"]["bolna"] == {
        "summary": FIXTURE["summary"].strip(),
        "extracted_data": FIXTURE["extracted_data"],
    }
    assert doc["summary"] != FIXTURE["summary"], "ours is our own"


def test_off_by_default_the_payload_is_our_analysis_alone(tmp_path: Path) -> None:
    doc = processed(tmp_path, partial_call())
    email = responses(doc)["email"]
    assert (email["key_response"], email["remarks"]) == ("", "not_available")


def test_extracted_fields_fill_only_what_our_analysis_left_empty(tmp_path: Path) -> None:
    body = partial_call()
    plain = responses(processed(tmp_path / "plain", body))
    doc = processed(tmp_path / "filled", body, EXTRACTED_FIELDS="name=customer_name,model=car_model,email=email")
    filled = responses(doc)
    assert filled["email"]["key_response"] == "ananya@example.com"
    assert filled["email"]["remarks"] == "verified"
    assert filled["email"]["attempts"] == plain["email"]["attempts"] == 1, "attempts as our analysis counted them"
    assert filled["model"] == plain["model"], "ours was not empty: Bolna's extraction does not overwrite it"
    assert filled["name"] == plain["name"]
    assert doc["payload"]["dealer_routing"] == processed(tmp_path / "again", body)["payload"]["dealer_routing"]


def test_a_bad_field_map_refuses_to_start(tmp_path: Path) -> None:
    from daemon.config import ConfigError

    with pytest.raises(ConfigError, match="EXTRACTED_FIELDS"):
        load_config({"EXTRACTED_FIELDS": "phone=mobile"}, env_file=None)
