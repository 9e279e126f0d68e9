"""One pass over the turns: attempts per field, the captured values, confusion and the first request for a
person.

The conversation has a focus: the fields the agent's last real message asked for, or the values it read
back. A nudge ("are you still there?") keeps the focus; any other agent message replaces it. A customer
message is read against the focus: a bare name counts only as a reply to a name question, and "yes" only
affirms a read-back right before it. Values the customer volunteers (a model, an email, a clear "my name
is ...") count anywhere. For every field the last value the customer gave wins; an affirmed read-back
replaces the value the customer gave before it with the agent's spelling, but never creates one, and a
name read back and affirmed is then only replaced by a clear "my name is ...".

A message from an IVR or a voicemail box in the customer's place gives nothing: no name, model, email,
request or yes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from analysis.acts import AgentAct, AgentActs
from analysis.emails import extract_email
from analysis.fields import EMAIL, FIELDS, MODEL, NAME, Field
from analysis.memo import Memo
from analysis.models import ModelCatalog
from analysis.names import NameReader, name_words
from analysis.phrasebook import Phrasebook, Text
from analysis.phrasebook.text import fold
from analysis.replies import affirms, asks_for_person, is_ivr
from analysis.transcript import AGENT, Turn

_CLAUSE_BREAK = re.compile(r"[,.;!?।]")
_LOOK_BACK = 80  # characters before a mention that can hold "I have a" or "not"
_LOOK_AHEAD = 40  # characters after it that can hold "hai mere paas" or "nahi"
_ACT_CACHE = 4096  # agent lines remembered (a few hundred bytes each)


@dataclass
class Dialogue:
    attempts: dict[Field, list[int]] = field(default_factory=lambda: {f: [] for f in FIELDS})
    values: dict[Field, str] = field(default_factory=lambda: dict.fromkeys(FIELDS, ""))
    confusion: int = 0
    person_request: int | None = None  # index of the first customer message asking for a person
    last_asked: Field | None = None
    customer_texts: list[str] = field(default_factory=list)
    names_heard: set[str] = field(default_factory=set)


def vehicle_test(catalog: ModelCatalog) -> Callable[[str], bool]:
    """True for a candidate name made only of car words ("Creta", "Nexon EV")."""
    is_vehicle_word = catalog.is_vehicle_word
    return lambda candidate: all(is_vehicle_word(word) for word in candidate.lower().split())


class DialogueReader:
    """Follows conversations with one phrasebook and one catalog, both fixed at construction.

    What an agent message does depends only on its text and the field asked before it, and voice agents say
    the same lines call after call, so those readings are remembered (up to `act_cache` of them).
    """

    def __init__(self, book: Phrasebook, catalog: ModelCatalog, act_cache: int = _ACT_CACHE) -> None:
        self._book = book
        self._catalog = catalog
        self.names = NameReader(book, vehicle_test(catalog))
        self.acts = AgentActs(book, catalog, self.names)
        self._acts: Memo[tuple[str, Field | None], AgentAct] = Memo(act_cache)

    def _act(self, raw: str, last_asked: Field | None) -> AgentAct:
        return self._acts.get((raw, last_asked), self._read_act, raw, last_asked)

    def _read_act(self, raw: str, last_asked: Field | None) -> AgentAct:
        return self.acts.act(Text(raw), raw, last_asked)

    def follow(self, turns: tuple[Turn, ...]) -> Dialogue:
        book, names = self._book, self.names
        state = Dialogue()
        focus_asks: tuple[Field, ...] = ()
        focus_readback: dict[Field, str] = {}
        focus_owned = False
        readback_open = False
        name_confirmed = False  # the name is a read-back the customer affirmed
        owned: set[str] = set()  # models the customer has said they own
        for index, turn in enumerate(turns):
            if turn.speaker == AGENT:
                act = self._act(turn.text, state.last_asked)
                state.confusion += act.confused
                for asked in act.asks:
                    state.attempts[asked].append(index)
                if act.asks:
                    state.last_asked = act.asks[-1]
                if act.nudge:
                    continue
                focus_asks, focus_readback, readback_open = act.asks, act.readback, bool(act.readback)
                focus_owned = act.owned_question
                if NAME in act.readback:
                    state.names_heard |= name_words(act.readback[NAME])
                continue
            state.customer_texts.append(turn.text)
            text = Text(turn.text)
            if is_ivr(text, book):
                readback_open = False
                continue
            wants_person = asks_for_person(text, book)
            if wants_person and state.person_request is None:
                state.person_request = index
            affirmed_name = False
            if readback_open:
                if affirms(text, book):
                    for read, value in focus_readback.items():
                        if state.values[read]:
                            state.values[read] = value
                            affirmed_name |= read == NAME
                readback_open = False
            name_confirmed |= affirmed_name
            expects_name = NAME in focus_asks or NAME in focus_readback
            first_words = len(state.customer_texts) == 1
            name = None
            if not wants_person:
                if name_confirmed:  # only a clear "my name is ..." replaces an affirmed read-back
                    name = names.customer_name(text, expected=False, first_words=False)
                else:
                    name = names.customer_name(text, expects_name, first_words)
            if name:
                state.values[NAME] = name
                state.names_heard |= name_words(name)
                name_confirmed = False
            model = self.model_of_interest(turn.text, focus_owned, owned, asked=MODEL in focus_asks)
            if model:
                state.values[MODEL] = model
            elif state.values[MODEL] in owned:  # "Creta" earlier, then "I already have a Creta"
                state.values[MODEL] = ""
            email = extract_email(turn.text)
            if email:
                state.values[EMAIL] = email
        return state

    def model_of_interest(self, raw: str, owned_focus: bool, owned_models: set[str], asked: bool = False) -> str | None:
        """The last model the customer names that is neither one they own nor one they turn down. In reply to
        a question about the car they have now, a model counts only with a word of wanting ("chahiye"). A
        model once said to be owned stays owned for the call; `owned_models` collects them. `asked`: the
        message replies to a question for the model ("i twenty" and "punch" are the cars there)."""
        book = self._book
        chosen = None
        previous_end = 0
        for mention in self._catalog.find(raw, asked):
            before = fold(raw[max(previous_end, mention.start - _LOOK_BACK) : mention.start].lower())
            breaks = list(_CLAUSE_BREAK.finditer(before))
            if breaks:
                before = before[breaks[-1].end() :]
            after = fold(raw[mention.end : mention.end + _LOOK_AHEAD].lower())
            previous_end = mention.end
            owned = book.owned_before.ends(before) or book.owned_after.starts(after)
            # "Creta nahi" turns the Creta down; in "Seltos, not Creta" the "not" belongs to the next clause.
            same_clause = _CLAUSE_BREAK.split(after, maxsplit=1)[0]
            refused = not owned and (book.refused_before.ends(before) or book.refused_after.starts(same_clause))
            if not (owned or refused) and (owned_focus or mention.canonical in owned_models):
                # Asked about the car they have now, or naming one they own: only a word of wanting makes it
                # the car of interest ("Seltos chahiye").
                wanted = before in book.choice or _CLAUSE_BREAK.split(after, maxsplit=1)[0] in book.choice
                owned = owned_focus and not wanted
                refused = not wanted  # passed over: a car they own, named again
            if owned:
                owned_models.add(mention.canonical)
            if owned or refused:
                continue
            chosen = mention.canonical
        return chosen
