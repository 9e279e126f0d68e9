"""One pass over the turns: attempts per field, the captured values, confusion and the first request for a
person.

The conversation has a focus: the fields the agent's last real message asked for, or the values it read
back. A nudge ("are you still there?") keeps the focus; any other agent message replaces it. A customer
message is read against the focus: a bare name counts only as a reply to a name question, and "yes" only
affirms a read-back right before it. Values the customer volunteers (a model, an email, a clear "my name
is ...") count anywhere. For every field the last value the customer gave wins; an affirmed read-back
replaces the value the customer gave before it with the agent's spelling, but never creates one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analysis.acts import (
    affirms,
    agent_act,
    asks_for_person,
    vehicle_test,
)
from analysis.emails import extract_email
from analysis.fields import EMAIL, FIELDS, MODEL, NAME
from analysis.models import ModelCatalog
from analysis.names import customer_name, name_words
from analysis.phrases import Text
from analysis.transcript import AGENT, Turn

# A car the customer already has is not the car of interest: "I have a Swift", "mere paas Alto hai".
_LOOSE_OWNER = (
    r"i\s+(?:already\s+|currently\s+)?(?:have|own|drive|use)|i've(?:\s+got)?|i\s+am\s+(?:using|driving|having)"
    r"|we\s+(?:already\s+)?(?:have|own)|owns?|owning|currently\s+(?:have|own|drive|driving|using|use)"
    r"|(?:mere|hamare|humare)\s+(?:paas|pass|pas)|मेरे\s+पास|हमारे\s+पास|என்கிட்ட|என்னிடம்|నా\s+దగ్గర"
    r"|ನನ್ನ\s+(?:ಹತ್ರ|ಬಳಿ)|મારી\s+પાસે|ਮੇਰੇ\s+ਕੋਲ"
)
_TIGHT_OWNER = (
    r"my(?:\s+(?:old|current|existing|present))?|(?:meri|mera)(?:\s+(?:purani|purana))?|purani|purana|मेरी|मेरा"
)
_OWNED_BEFORE = re.compile(
    rf"(?<!\w)(?:(?:{_LOOSE_OWNER})(?:\s+\S+){{0,2}}|(?:{_TIGHT_OWNER})(?:\s+(?:a|an|the|ek))?)\s*$"
)
_OWNED_AFTER = re.compile(
    r"^\s*(?:hai\s+|है\s+)?(?:(?:mere|hamare)\s+pa+s|मेरे\s+पास|chala\s+rah|chalat|chalate|use\s+kar)"
)
_REFUSED_BEFORE = re.compile(
    r"(?<!\w)(?:not|no|don't\s+want|do\s+not\s+want|not\s+interested\s+in)(?:\s+(?:a|an|the))?\s*$"
)
_REFUSED_AFTER = re.compile(r"^\s*(?:nahi|nahin|नहीं|not|illa|illai|ledu|beda|nathi|ਨਹੀਂ)(?!\w)")
_CLAUSE_BREAK = re.compile(r"[,.;!?।]")
_LOOK_BACK = 80  # characters before a mention that can hold "I have a" or "not"


@dataclass
class Dialogue:
    attempts: dict[str, list[int]] = field(default_factory=lambda: {f: [] for f in FIELDS})
    values: dict[str, str] = field(default_factory=lambda: dict.fromkeys(FIELDS, ""))
    confusion: int = 0
    person_request: int | None = None  # index of the first customer message asking for a person
    last_asked: str | None = None
    customer_texts: list[str] = field(default_factory=list)
    names_heard: set[str] = field(default_factory=set)


def follow(turns: tuple[Turn, ...], catalog: ModelCatalog) -> Dialogue:
    state = Dialogue()
    is_vehicle = vehicle_test(catalog)
    focus_asks: tuple[str, ...] = ()
    focus_readback: dict[str, str] = {}
    readback_open = False
    for index, turn in enumerate(turns):
        text = Text(turn.text)
        if turn.speaker == AGENT:
            act = agent_act(text, turn.text, state.last_asked, catalog)
            state.confusion += act.confused
            for asked in act.asks:
                state.attempts[asked].append(index)
            if act.asks:
                state.last_asked = act.asks[-1]
            if act.nudge:
                continue
            focus_asks, focus_readback, readback_open = act.asks, act.readback, bool(act.readback)
            if NAME in act.readback:
                state.names_heard |= name_words(act.readback[NAME])
            continue
        state.customer_texts.append(turn.text)
        wants_person = asks_for_person(text)
        if wants_person and state.person_request is None:
            state.person_request = index
        if readback_open:
            if affirms(text):
                for read, value in focus_readback.items():
                    if state.values[read]:
                        state.values[read] = value
            readback_open = False
        expects_name = NAME in focus_asks or NAME in focus_readback
        first_words = len(state.customer_texts) == 1
        name = None if wants_person else customer_name(text, expects_name, first_words, is_vehicle)
        if name:
            state.values[NAME] = name
            state.names_heard |= name_words(name)
        model = _model_of_interest(turn.text, catalog)
        if model:
            state.values[MODEL] = model
        email = extract_email(turn.text)
        if email:
            state.values[EMAIL] = email
    return state


def _model_of_interest(raw: str, catalog: ModelCatalog) -> str | None:
    """The last model the customer names that is neither one they own nor one they turn down."""
    low = raw.lower()
    chosen = None
    previous_end = 0
    for mention in catalog.find(raw):
        before = low[max(previous_end, mention.start - _LOOK_BACK) : mention.start]
        breaks = list(_CLAUSE_BREAK.finditer(before))
        if breaks:
            before = before[breaks[-1].end() :]
        after = low[mention.end : mention.end + 40]
        previous_end = mention.end
        if _owned_or_refused(before, after):
            continue
        chosen = mention.canonical
    return chosen


def _owned_or_refused(before: str, after: str) -> bool:
    return bool(
        _OWNED_BEFORE.search(before)
        or _OWNED_AFTER.search(after)
        or _REFUSED_BEFORE.search(before)
        or _REFUSED_AFTER.search(after)
    )
