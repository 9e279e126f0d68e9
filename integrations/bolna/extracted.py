"""Bolna's own post-call analysis, kept beside ours. Pure.

An execution body carries Bolna's `summary` of the call and `extracted_data`: what the
agent's extraction prompt pulled out of it ("Extracted data in JSON format which was
mentioned in the agent extraction_prompt", Bolna's API reference). Both go into the result's
metadata under "bolna", whatever our analysis found.

With EXTRACTED_FIELDS set (name=customer_name,model=car_model,email=email), a field our
analysis left empty is filled from extracted_data: the value, remarks "verified", its
attempts as they were. Off by default, so the payload follows our analysis exactly; routing
and drop-off stay what our analysis decided either way.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any


def field_map(pairs: Iterable[str]) -> dict[str, str]:
    """EXTRACTED_FIELDS ("name=customer_name", ...) as {our field: Bolna's key}."""
    found = {}
    for pair in pairs:
        ours, _, theirs = pair.partition("=")
        if ours.strip() and theirs.strip():
            found[ours.strip()] = theirs.strip()
    return found


def is_bolna_body(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("id"), str) and ("agent_id" in doc or "telephony_data" in doc)


def keep_bolna_analysis(
    payload: dict[str, Any], metadata: dict[str, Any], doc: Any, fields: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(payload, metadata, the fields filled from extracted_data) for a Bolna execution body;
    anything else (a native transcript) comes back as it was."""
    if not is_bolna_body(doc):
        return payload, metadata, []
    bolna: dict[str, Any] = {}
    if isinstance(doc.get("summary"), str) and doc["summary"].strip():
        bolna["summary"] = doc["summary"].strip()
    extracted = doc.get("extracted_data")
    if isinstance(extracted, dict) and extracted:
        bolna["extracted_data"] = extracted
    metadata = {**metadata, "bolna": bolna} if bolna else metadata
    if not fields or not isinstance(extracted, dict):
        return payload, metadata, []
    payload = copy.deepcopy(payload)
    filled = []
    for item in payload.get("response_data") or []:
        if not isinstance(item, dict) or item.get("key_response"):
            continue
        key = fields.get(str(item.get("key_value", "")))
        value = _text(extracted.get(key)) if key else ""
        if value:
            item["key_response"] = value
            item["remarks"] = "verified"
            filled.append(str(item["key_value"]))
    return payload, metadata, filled


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()
