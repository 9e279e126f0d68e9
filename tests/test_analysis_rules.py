"""Routing and drop-off rules in order, their configurable thresholds, attempt counting, the summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import Analysis, AnalysisSettings, Analyzer
from analysis.acts import AgentActs
from analysis.dialogue import vehicle_test
from analysis.fields import Field
from analysis.names import NameReader
from analysis.phrasebook import Text
from analysis.replies import asks_for_person
from analysis.routing import (
    ALL_COLLECTED,
    NOT_UNDERSTOOD,
    NOTHING,
    PARTIAL,
    PERSON_REQUESTED,
    dropoff,
    route,
)
from daemon.config import load_config

T = "2025-10-02 12:00:00"


def decide(
    verified: set[str],
    attempts: tuple[int, int, int] = (0, 0, 0),
    confusion: int = 0,
    person: str | None = None,
    max_mean: float = 2.0,
    min_confusion: int = 3,
) -> tuple[bool, str, str]:
    counts = dict(zip(("name", "model", "email"), attempts, strict=True))
    routing = route(verified, counts, confusion, person, T, max_mean, min_confusion)
    return routing.status, routing.reason, routing.time


def test_rules_fire_in_order() -> None:
    everything = {"name", "model", "email"}
    assert decide(everything, (5, 5, 5), 9, person="2025-10-02 11:59:00") == (
        True,
        PERSON_REQUESTED,
        "2025-10-02 11:59:00",
    )
    assert decide(everything, (5, 5, 5), 9) == (True, ALL_COLLECTED, T)
    assert decide({"name"}, (3, 3, 0)) == (True, NOT_UNDERSTOOD, T)
    assert decide(set(), (0, 0, 0), confusion=3) == (True, NOT_UNDERSTOOD, T)
    assert decide({"name", "email"}, (1, 2, 2), confusion=2) == (False, PARTIAL, "")
    assert decide(set(), (1, 1, 1), confusion=2) == (False, NOTHING, "")


def test_mean_attempts_is_over_the_fields_asked_and_must_exceed_the_threshold() -> None:
    assert decide(set(), (4, 0, 0))[1] == NOT_UNDERSTOOD  # 4 / 1 field
    assert decide(set(), (3, 1, 0))[1] == NOTHING  # (3 + 1) / 2 = 2.0 is not above 2
    assert decide(set(), (3, 1, 3))[1] == NOT_UNDERSTOOD  # 7 / 3
    assert decide(set(), (0, 0, 0))[1] == NOTHING  # nothing asked: no mean


def test_thresholds_are_configurable() -> None:
    assert decide({"name"}, (2, 1, 0), max_mean=1.4)[1] == NOT_UNDERSTOOD
    assert decide({"name"}, (2, 1, 0), max_mean=1.5)[1] == PARTIAL
    assert decide({"name"}, (1, 0, 0), confusion=1, min_confusion=1)[1] == NOT_UNDERSTOOD


@pytest.mark.parametrize(
    ("verified", "last_asked", "action"),
    [
        (set(), None, "ivr"),
        ({"name", "model"}, None, "ivr"),  # volunteered, never asked
        ({"name"}, "email", "email"),
        ({"name", "email"}, "email", "model"),  # the field asked last was answered: first unverified
        (set(), "model", "model"),
        ({"model"}, "model", "name"),
    ],
)
def test_dropoff(verified: set[str], last_asked: str | None, action: str) -> None:
    routing = route(verified, {"name": 1, "model": 1, "email": 1}, 0, None, T, 2.0, 3)
    assert dropoff(routing, verified, last_asked, T).action == action
    assert dropoff(routing, verified, last_asked, T).time == T


def test_a_routed_call_has_no_dropoff() -> None:
    routing = route(set(), {"name": 0, "model": 0, "email": 0}, 0, T, T, 2.0, 3)
    assert (dropoff(routing, set(), "name", T).time, dropoff(routing, set(), "name", T).action) == ("", "")


def test_settings_come_from_the_config(tmp_path: Path) -> None:
    cfg = load_config(
        {
            "TIMEZONE": "UTC",
            "CALL_VENDOR": "Waybeo",
            "WELCOME_LANGUAGE": "hindi",
            "DEFAULT_LANGUAGE": "tamil",
            "ROUTING_MAX_MEAN_ATTEMPTS": "1.5",
            "ROUTING_MIN_CONFUSION": "2",
            "MODEL_CATALOG": str(tmp_path / "c.json"),
            "DATA_DIR": str(tmp_path),
        },
        env_file=None,
    )
    assert AnalysisSettings.from_config(cfg) == AnalysisSettings(
        timezone="UTC",
        call_vendor="Waybeo",
        welcome_language="hindi",
        default_language="tamil",
        model_catalog=tmp_path / "c.json",
        phrases=None,
        routing_max_mean_attempts=1.5,
        routing_min_confusion=2,
    )


def test_settings_shape_the_payload() -> None:
    analyzer = Analyzer(
        AnalysisSettings(
            timezone="UTC",
            call_vendor="Waybeo",
            welcome_language="hindi",
            default_language="gujarati",
            routing_min_confusion=1,
        )
    )
    doc = {
        "call_ref_id": "s-1",
        "start_time": "2025-10-02T12:00:00+05:30",
        "messages": [
            {"role": "assistant", "text": "Sorry, I didn't catch that.", "timestamp": "2025-10-02T12:00:05+05:30"}
        ],
    }
    payload = analyzer.analyze(doc).payload
    assert payload["call_vendor"] == "Waybeo"
    assert payload["start_time"] == "2025-10-02 06:30:00"
    assert payload["language"] == {"welcome": "hindi", "conversational": "gujarati"}
    assert payload["dealer_routing"] == {"status": True, "reason": NOT_UNDERSTOOD, "time": "2025-10-02 06:30:05"}


def test_a_replacement_catalog_is_used(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text('{"makes": {"Acme": {"aliases": ["acme"], "models": {"Rocket": {"aliases": ["rokit"]}}}}}')
    analyzer = Analyzer(AnalysisSettings(model_catalog=catalog))
    doc = {
        "call_ref_id": "c-2",
        "start_time": T,
        "messages": [
            {"role": "assistant", "text": "Which model?"},
            {"role": "user", "text": "the rokit please"},
            {"role": "assistant", "text": "And is the Creta also fine?"},
            {"role": "user", "text": "Creta"},
        ],
    }
    assert analyzer.analyze(doc).payload["response_data"][1]["key_response"] == "Acme Rocket"


ANALYZER = Analyzer()
BOOK = ANALYZER.phrasebook
ACTS = AgentActs(BOOK, ANALYZER.catalog, NameReader(BOOK, vehicle_test(ANALYZER.catalog)))


def act(text: str, last_asked: Field | None = None) -> tuple[tuple[str, ...], dict[str, str], bool]:
    result = ACTS.act(Text(text), text, last_asked)
    return result.asks, result.readback, result.confused


@pytest.mark.parametrize(
    ("text", "last", "asks"),
    [
        ("What is your name?", None, ("name",)),
        ("Could you share your name and email id?", None, ("name", "email")),
        ("Your email and then your name, please?", None, ("email", "name")),
        ("Sorry, could you repeat that?", Field.MODEL, ("model",)),
        ("Sorry, could you repeat that?", None, ()),
        ("Just to confirm, your email is a.b@gmail.com, is that correct?", Field.EMAIL, ()),
        ("Thank you, Kiran.", Field.NAME, ()),
        ("Am I speaking with the car owner?", None, ()),
        ("Do you have a car right now?", None, ()),
        ("Which car are you planning to buy?", None, ("model",)),
        ("What is the car's name you like?", None, ("model",)),
        ("Sorry to hear that. Which model do you like?", None, ("model",)),
        ("I will send the brochure to your email.", None, ()),
        ("Just to confirm, your name is Vivek, right? And your email?", None, ("email",)),
    ],
)
def test_what_counts_as_an_attempt(text: str, last: Field | None, asks: tuple[str, ...]) -> None:
    assert act(text, last)[0] == asks


@pytest.mark.parametrize(
    ("text", "readback"),
    [
        ("Thanks, Vivek — just to confirm, I have your name as Vivek. Is that correct?", {"name": "Vivek"}),
        ("आपका नाम विवेक है, सही है?", {"name": "विवेक"}),
        ("So you want the Hyundai Creta, right?", {"model": "Hyundai Creta"}),
        ("To confirm, rahul dot sharma at gmail dot com?", {"email": "rahul.sharma@gmail.com"}),
        ("तो आपने हमें 10 में से 4 अंक दिए हैं, सही है?", {}),
        ("Thank you, Kiran.", {}),
    ],
)
def test_readbacks(text: str, readback: dict[str, str]) -> None:
    assert act(text)[1] == readback


@pytest.mark.parametrize(
    ("text", "confused"),
    [
        ("Sorry to hear that.", False),
        ("I'm sorry for the delay.", False),
        ("Sorry?", True),
        ("Pardon, please say that again.", True),
        ("Phir se dhanyavaad", False),
        ("Dobara call karenge", False),
        ("phir se boliye", True),
        ("दोबारा बताइए", True),
        ("மன்னிக்கவும்", True),
        ("క్షమించండి, మళ్ళీ చెప్పండి", True),
        ("Let me repeat your details.", False),
        ("Thanks again!", False),
    ],
)
def test_confusion_phrases(text: str, confused: bool) -> None:
    assert act(text)[2] is confused


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("talk to an agent", True),
        ("dealer se baat karao", True),
        ("Dealer se baat nahi karni", False),
        ("I don't want to speak with a dealer", False),
        ("no, connect me to the dealer", True),
        ("which dealer is nearest?", False),
        ("are you a human?", False),
        ("ਡੀਲਰ ਨਾਲ ਗੱਲ ਕਰਾਓ", True),
    ],
)
def test_requests_for_a_person(text: str, wanted: bool) -> None:
    assert asks_for_person(Text(text), BOOK) is wanted


def test_summary_of_a_call_that_never_connected() -> None:
    result: Analysis = Analyzer().analyze({"call_ref_id": "n", "start_time": T})
    assert result.summary == "No conversation; not routed (call never connected)."
