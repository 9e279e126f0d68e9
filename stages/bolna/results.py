"""The analysis result of a Bolna call, as sheet columns.

Finding one is cheap: results keep their transcript's name (<execution id>.json) through
results/, delivering/ (as NAME@OWNER) and done/results/, so each pending call costs two
stat calls, plus one listing of the small delivering/ folder per pass.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from stages.bolna.events import clip

RESULT_COLUMNS = ("Summary", "Customer Name", "Model", "Email", "Routing")
_FIELD_COLUMNS = {"name": "Customer Name", "model": "Model", "email": "Email"}


class ResultFinder:
    """One pass over pending calls: `scan()` first, then `find()` per execution id."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._delivering: dict[str, str] = {}

    def scan(self) -> None:
        try:
            names = os.listdir(self.data_dir / "delivering")
        except FileNotFoundError:
            names = []
        self._delivering = {name.split("@", 1)[0]: name for name in names}

    def find(self, execution_id: str) -> dict[str, Any] | None:
        """The parsed result file for this execution, wherever the queue has moved it."""
        name = f"{execution_id}.json"
        candidates = [self.data_dir / "results" / name, self.data_dir / "done" / "results" / name]
        if name in self._delivering:
            candidates.append(self.data_dir / "delivering" / self._delivering[name])
        for path in candidates:
            try:
                doc = orjson.loads(path.read_bytes())
            except (FileNotFoundError, orjson.JSONDecodeError):
                continue
            if isinstance(doc, dict) and _payload(doc).get("call_ref_id") == execution_id:
                return doc
        return None

    def never_coming(self, execution_id: str) -> bool:
        """The processor dead-lettered the transcript: no result will appear by itself."""
        return (self.data_dir / "dead" / "transcripts" / f"{execution_id}.json").exists()


def result_fields(doc: dict[str, Any]) -> dict[str, str]:
    """Summary, the analysed name/model/email and the routing reason; blanks left out."""
    payload = _payload(doc)
    fields: dict[str, str] = {}
    summary = doc.get("summary")
    if isinstance(summary, str) and summary.strip():
        fields["Summary"] = clip(summary.strip())
    for item in payload.get("response_data") or []:
        if not isinstance(item, dict):
            continue
        column = _FIELD_COLUMNS.get(str(item.get("key_value", "")))
        answer = item.get("key_response")
        if column and isinstance(answer, str) and answer.strip():
            fields[column] = answer.strip()
    routing = payload.get("dealer_routing")
    if isinstance(routing, dict) and isinstance(routing.get("reason"), str) and routing["reason"]:
        fields["Routing"] = routing["reason"]
    return fields


def _payload(doc: dict[str, Any]) -> dict[str, Any]:
    payload = doc.get("payload")
    return payload if isinstance(payload, dict) else {}
