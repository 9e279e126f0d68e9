"""When an attempt started and ended."""

from __future__ import annotations

from datetime import datetime

from analysis.transcript import AGENT, Turn


def attempt_window(turns: tuple[Turn, ...], index: int, call_end: datetime) -> tuple[datetime, datetime]:
    """From the asking message to the customer's last message before the next agent message; if the
    customer said nothing, to the next message, or to the call's end when there is none."""
    last_reply = None
    for following in range(index + 1, len(turns)):  # no slice: a copy per attempt would be quadratic
        turn = turns[following]
        if turn.speaker == AGENT:
            break
        last_reply = turn.time
    if last_reply is not None:
        return turns[index].time, last_reply
    if index + 1 < len(turns):
        return turns[index].time, turns[index + 1].time
    return turns[index].time, call_end
