"""One deterministic line for the sheet's Summary column."""

from __future__ import annotations

from typing import Any

from analysis.routing import ALL_COLLECTED, NOT_UNDERSTOOD, PERSON_REQUESTED

_ROUTED_BECAUSE = {
    PERSON_REQUESTED: "customer asked for a dealer",
    ALL_COLLECTED: "all data collected",
    NOT_UNDERSTOOD: "customer not understood",
}


def summarize(payload: dict[str, Any], spoke: bool) -> str:
    """E.g. "Rahul Sharma wants a Tata Nexon EV; email rahul.sharma@gmail.com; routed to dealer (all data
    collected)." `spoke`: the call had any conversation at all."""
    values = {item["key_value"]: item["key_response"] for item in payload["response_data"]}
    if not spoke:
        return "No conversation; not routed (call never connected)."
    who = values["name"] or "Caller"
    model = values["model"]
    interest = f"wants {_article(model)} {model}" if model else "no model given"
    email = f"email {values['email']}" if values["email"] else "no email"
    routing = payload["dealer_routing"]
    if routing["status"]:
        outcome = f"routed to dealer ({_ROUTED_BECAUSE.get(routing['reason'], routing['reason'])})"
    else:
        data = "partial data" if any(values.values()) else "no data"
        outcome = f"not routed ({data}; dropped at {payload['dropoff']['action']})"
    separator = " " if model else ", "
    return f"{who}{separator}{interest}; {email}; {outcome}."


def _article(model: str) -> str:
    return "an" if model[0].upper() in "AEIOU" or model.startswith("MG ") else "a"
