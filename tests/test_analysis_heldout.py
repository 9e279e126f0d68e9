"""The held-out corpus: scored, never tuned on.

tests/corpus/heldout/ was written from the spec alone by someone who had seen neither the analyser
nor the development corpus, and checked by a second reader; the analyser was never run on it while
being built. It measures how well the analysis generalises, so it is scored as a whole rather than
asserted file by file: the table is printed (`pytest -s tests/test_analysis_heldout.py`), and the
test fails if the share of right values (name, model, email, language, routing reason, drop-off)
falls below FLOOR. Raise FLOOR as the analysis improves; never edit a held-out file to pass.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson

from analysis import Analyzer
from tests.test_analysis_corpus import SCORED, observed

HELDOUT = Path(__file__).parent / "corpus" / "heldout"
FLOOR = 0.98  # the issue asks for at least 0.97; 0.986 when this floor was set


def test_the_heldout_corpus_scores_at_least_the_floor() -> None:
    analyzer = Analyzer()
    per: dict[str, Counter[str]] = {}
    for path in sorted(HELDOUT.glob("*/*.json")):
        doc = orjson.loads(path.read_bytes())
        expect = {k: v for k, v in doc["_expect"].items() if not k.endswith("_note")}
        result = analyzer.analyze(doc)
        got = observed(result.payload, result.timing_estimated, expect)
        counts = per.setdefault(path.parent.name, Counter())
        counts["cases"] += 1
        counts["scored"] += len(SCORED)
        counts["right"] += sum(got[key] == expect[key] for key in SCORED)
    total: Counter[str] = Counter()
    print(f"\n{'held-out category':18} {'cases':>5} {'values right':>14} {'percent':>8}")
    for category, counts in sorted(per.items()):
        total.update(counts)
        print(
            f"{category:18} {counts['cases']:5} {counts['right']:>8}/{counts['scored']:<5} "
            f"{100 * counts['right'] / counts['scored']:7.1f}%"
        )
    share = total["right"] / total["scored"]
    print(f"{'all':18} {total['cases']:5} {total['right']:>8}/{total['scored']:<5} {100 * share:7.1f}%")
    assert total["cases"] >= 120 and len(per) == 6
    assert share >= FLOOR
