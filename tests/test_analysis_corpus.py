"""The corpora: every transcript analysed against the expectations written in its own "_expect" key (the
analyzer ignores unknown keys).

- tests/transcripts/*.json: hand-written while building the analyser. Seed examples live in
  transcripts/seed/ and are checked whole in test_analysis_seed.py.
- tests/corpus/dev/<category>/*.json: the development corpus, written from the spec alone by someone who had
  not seen the analyser (format: tests/corpus/README.md). A failure names its category in the test id.
- tests/corpus/dev2/<category>/*.json: a second development batch (ids prefixed d2-), written the same way by
  another person, in the same categories.

At the end of the module a table is printed: per corpus and category, the cases and how many of their name,
model, email, language, routing reason and drop-off values are right.

"_expect" keys (all optional except the first seven for a good transcript):
  name, model, email      key_response of each field ("" when not verified)
  attempts                [name, model, email] attempt counts
  language                language.conversational
  reason                  person | all | unclear | partial | none (the routing rule that fired)
  dropoff                 dropoff.action
  remarks                 [name, model, email] remarks
  routing_time, dropoff_time, duration, start_time, end_time, call_vendor, recording_url, timing_estimated
  details                 {field: [[start_time, end_time], ...]} attempt windows
  bad                     the file is bad input; the value must appear in the BadTranscript reason
  *_note                  a comment
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from analysis import Analyzer, BadTranscript

HERE = Path(__file__).parent
HAND_WRITTEN = HERE / "transcripts"
DEVELOPMENT = ("dev", "dev2")  # tests/corpus/<name>/<category>/*.json
CATEGORIES = {"person_request", "acknowledgement", "ivr_network", "not_attempts", "owned_vs_wanted", "model_names"}
# (corpus, category, path): the hand-written transcripts are a corpus and a category of their own.
CASES = [("transcripts", "transcripts", path) for path in sorted(HAND_WRITTEN.glob("*.json"))] + [
    (corpus, path.parent.name, path)
    for corpus in DEVELOPMENT
    for path in sorted((HERE / "corpus" / corpus).glob("*/*.json"))
]
REASONS = {
    "person": "Customer requested to speak with dealer",
    "all": "All data collected - routing to dealer",
    "unclear": "Unable to understand customer responses",
    "partial": "Partial data collected - call ended",
    "none": "No data collected - call failed",
}
REQUIRED = ("name", "model", "email", "attempts", "language", "reason", "dropoff")
SCORED = ("name", "model", "email", "language", "reason", "dropoff")
FIELDS = ("name", "model", "email")
TOP_LEVEL = ("duration", "start_time", "end_time", "call_vendor", "recording_url")

# (corpus, category) -> [cases, values right, values scored], filled in by the tests, printed at the end.
SCORES: dict[tuple[str, str], Counter[str]] = {}


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


class _ScoreTable:
    """A plugin printing SCORES in pytest's terminal summary (registered by the fixture below)."""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not SCORES:
            return
        write = terminalreporter.write_line
        write("")
        write(f"{'corpus':12} {'category':18} {'cases':>5} {'values right':>14} {'percent':>8}")
        total: Counter[str] = Counter()
        for corpus in sorted({corpus for corpus, _ in SCORES}):
            subtotal: Counter[str] = Counter()
            categories = sorted(category for name, category in SCORES if name == corpus)
            for category in categories:
                subtotal.update(SCORES[corpus, category])
                write(_row(corpus, category, SCORES[corpus, category]))
            if len(categories) > 1:
                write(_row(corpus, "all", subtotal))
            total.update(subtotal)
        write(_row("all", "", total))


@pytest.fixture(scope="module", autouse=True)
def score_table(request: pytest.FixtureRequest) -> None:
    manager = request.config.pluginmanager
    if not manager.has_plugin("analysis-corpus-scores"):
        manager.register(_ScoreTable(), "analysis-corpus-scores")


def _row(corpus: str, category: str, counts: Counter[str]) -> str:
    right, scored = counts["right"], counts["scored"]
    percent = 100.0 * right / scored if scored else 100.0
    return f"{corpus:12} {category:18} {counts['cases']:5} {f'{right}/{scored}':>14} {percent:7.1f}%"


def test_the_corpora_are_large_enough() -> None:
    cases = Counter(corpus for corpus, _, _ in CASES)
    assert cases["transcripts"] >= 80
    for corpus in DEVELOPMENT:
        assert cases[corpus] >= 150, corpus
        assert {category for name, category, _ in CASES if name == corpus} == CATEGORIES, corpus
    # Every call id is unique across the corpora.
    stems = [path.stem for _, _, path in CASES]
    assert len(stems) == len(set(stems))


@pytest.mark.parametrize(
    ("corpus", "category", "path"), CASES, ids=[f"{category}/{path.stem}" for _, category, path in CASES]
)
def test_transcript(corpus: str, category: str, path: Path, analyzer: Analyzer) -> None:
    doc = orjson.loads(path.read_bytes())
    # A file that is not an object keeps its expectations in its first element.
    notes = doc["_expect"] if isinstance(doc, dict) else doc[0]["_expect"]
    expect = {k: v for k, v in notes.items() if not k.endswith("_note")}
    if "bad" in expect:
        with pytest.raises(BadTranscript) as caught:
            analyzer.analyze(doc)
        assert expect["bad"] in str(caught.value)
        return
    assert set(REQUIRED) <= set(expect), f"{path.name}: _expect lacks {set(REQUIRED) - set(expect)}"
    result = analyzer.analyze(doc)
    got = observed(result.payload, result.timing_estimated, expect)
    counts = SCORES.setdefault((corpus, category), Counter())
    counts["cases"] += 1
    counts["scored"] += len(SCORED)
    counts["right"] += sum(got[key] == expect[key] for key in SCORED)
    assert got == expect
    assert_consistent(result.payload)


def observed(payload: dict[str, Any], timing_estimated: bool, expect: dict[str, Any]) -> dict[str, Any]:
    """The payload's values under the _expect keys (only those the file asks about)."""
    fields = {item["key_value"]: item for item in payload["response_data"]}
    routing = payload["dealer_routing"]
    values: dict[str, Any] = {
        **{f: fields[f]["key_response"] for f in FIELDS},
        "attempts": [fields[f]["attempts"] for f in FIELDS],
        "remarks": [fields[f]["remarks"] for f in FIELDS],
        "language": payload["language"]["conversational"],
        "reason": next((code for code, text in REASONS.items() if text == routing["reason"]), routing["reason"]),
        "routing_time": routing["time"],
        "dropoff": payload["dropoff"]["action"],
        "dropoff_time": payload["dropoff"]["time"],
        "timing_estimated": timing_estimated,
        "details": {
            f: [[a["start_time"], a["end_time"]] for a in fields[f]["attempts_details"]]
            for f in expect.get("details", {})
        },
        **{key: payload[key] for key in TOP_LEVEL},
    }
    return {key: values[key] for key in expect}


def assert_consistent(payload: dict[str, Any]) -> None:
    """Invariants every payload keeps, whatever the transcript."""
    for item in payload["response_data"]:
        assert (item["remarks"] == "verified") == bool(item["key_response"])
        assert item["attempts"] == len(item["attempts_details"])
        assert [a["sequence"] for a in item["attempts_details"]] == list(range(1, item["attempts"] + 1))
        if item["remarks"] == "not_attempted":
            assert item["attempts"] == 0
    routing = payload["dealer_routing"]
    assert routing["status"] == (routing["reason"] in (REASONS["person"], REASONS["all"], REASONS["unclear"]))
    assert (routing["time"] == "") == (not routing["status"])
    if routing["status"]:
        assert payload["dropoff"] == {"time": "", "action": ""}
