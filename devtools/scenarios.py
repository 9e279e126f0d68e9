"""Synthetic calls for the simulator: who answers, what they say, in which language. Pure.

The scenario and language of a call follow from the phone number (a hash), so the same lead
always produces the same call and tests are reproducible. A lead may pin them through its
user data ("Scenario", "Language" columns in the sheet). Conversations follow a car
dealership's lead-qualification agent asking for name, model and email, in English,
Hinglish, Hindi (Devanagari, mixed with English as real calls are) and Tamil.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scenario:
    name: str
    final_status: str  # the call's terminal Bolna status
    script: tuple[str, ...] = ()  # turn keys; "a:" lines are the agent's, "u:" the customer's

    @property
    def connected(self) -> bool:
        return bool(self.script)

    @property
    def spoke(self) -> bool:
        """The customer said something: a call can complete with nobody on the line."""
        return any(line.startswith("u:") for line in self.script)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "complete",
            "completed",
            (
                "a:greet ask_name",
                "u:name",
                "a:confirm_name",
                "u:yes",
                "a:ask_model",
                "u:model",
                "a:ask_email",
                "u:email",
                "a:thanks",
            ),
        ),
        Scenario(
            "partial",
            "completed",
            ("a:greet ask_name", "u:name", "a:ask_model", "u:model", "a:ask_email", "u:no_email", "a:bye"),
        ),
        Scenario("dealer", "completed", ("a:greet ask_name", "u:name", "a:ask_model", "u:dealer", "a:handoff")),
        Scenario(
            "confused",
            "completed",
            (
                "a:greet ask_name",
                "u:unclear",
                "a:repeat ask_name",
                "u:unclear",
                "a:repeat ask_name",
                "u:unclear",
                "a:repeat",
                "u:unclear",
                "a:callback",
            ),
        ),
        Scenario("no-answer", "no-answer"),
        Scenario("busy", "busy"),
        Scenario("failed", "failed"),
    )
}
# What the hard simulator adds (`python -m daemon simulate --hard`, and the tests that need
# reality's inconvenient side): a call the customer rejects, which Bolna reports as
# `completed` with conversation_duration 0 and only the agent's greeting; Bolna's own
# `error`; and a call `canceled` before it was placed.
HARD_SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("rejected", "completed", ("a:greet ask_name",)),
        Scenario("error", "error"),
        Scenario("canceled", "canceled"),
    )
}
ALL_SCENARIOS = SCENARIOS | HARD_SCENARIOS
LANGUAGES = ("english", "hinglish", "hindi", "tamil")
MODELS = (
    "Hyundai Creta",
    "Tata Nexon EV",
    "Mahindra XUV700",
    "Kia Seltos",
    "Maruti Suzuki Brezza",
    "Toyota Innova Hycross",
    "Tata Punch",
    "Mahindra Scorpio N",
)
_NAMES = ("Aarav Sharma", "Priya Nair", "Karthik Raja", "Sneha Kulkarni", "Rohit Verma", "Divya Iyer")

_AGENT = {
    "english": {
        "greet": "Hello! This is Priya from Callpipe Motors, thanks for your interest in our cars.",
        "ask_name": "May I know your name, please?",
        "confirm_name": "Just to confirm, your name is {name}, is that correct?",
        "ask_model": "Which car model are you looking for?",
        "ask_email": "Could you please share your email id?",
        "repeat": "Sorry, I didn't understand. Could you please say that again?",
        "thanks": "Thank you, {first}. Our dealer will call you shortly with the best offers.",
        "handoff": "Sure, I am connecting you to our dealer right away.",
        "bye": "No problem at all. Thank you for your time, have a nice day!",
        "callback": "I am having trouble hearing you. Our dealer will call you back. Thank you!",
    },
    "hinglish": {
        "greet": "Namaste! Main Priya bol rahi hoon Callpipe Motors se.",
        "ask_name": "Kya main aapka naam jaan sakti hoon?",
        "confirm_name": "Just to confirm, aapka naam {name} hai, sahi hai?",
        "ask_model": "Aap kaunsa car model dekh rahe hain?",
        "ask_email": "Aapka email id kya hai?",
        "repeat": "Maaf kijiye, samjha nahi. Kya aap phir se bol sakte hain?",
        "thanks": "Dhanyavaad {first} ji! Hamare dealer aapko jaldi call karenge.",
        "handoff": "Theek hai, main aapko abhi dealer se connect karti hoon.",
        "bye": "Koi baat nahi. Aapke samay ke liye dhanyavaad!",
        "callback": "Aawaz saaf nahi aa rahi. Hamare dealer aapko call back karenge. Dhanyavaad!",
    },
    "hindi": {
        "greet": "नमस्ते! मैं Callpipe Motors से प्रिया बोल रही हूँ।",
        "ask_name": "क्या मैं आपका नाम जान सकती हूँ?",
        "confirm_name": "Just to confirm, आपका नाम {name} है, सही है?",
        "ask_model": "आप कौन सा car model देख रहे हैं?",
        "ask_email": "आपका email id क्या है?",
        "repeat": "माफ़ कीजिए, समझ नहीं आया। क्या आप फिर से बोल सकते हैं?",
        "thanks": "धन्यवाद {first} जी! हमारे dealer आपको जल्दी कॉल करेंगे।",
        "handoff": "ठीक है, मैं आपको अभी dealer से जोड़ रही हूँ।",
        "bye": "कोई बात नहीं। आपके समय के लिए धन्यवाद!",
        "callback": "आवाज़ साफ़ नहीं आ रही। हमारे dealer आपको वापस कॉल करेंगे। धन्यवाद!",
    },
    "tamil": {
        "greet": "வணக்கம்! நான் Callpipe Motors லிருந்து ப்ரியா பேசுகிறேன்.",
        "ask_name": "உங்கள் பெயர் என்ன?",
        "confirm_name": "Just to confirm, உங்கள் பெயர் {name}, சரியா?",
        "ask_model": "நீங்கள் எந்த car model பார்க்கிறீர்கள்?",
        "ask_email": "உங்கள் email id சொல்ல முடியுமா?",
        "repeat": "மன்னிக்கவும், எனக்கு புரியவில்லை. மீண்டும் சொல்ல முடியுமா?",
        "thanks": "நன்றி {first}! எங்கள் dealer விரைவில் உங்களை அழைப்பார்.",
        "handoff": "சரி, உங்களை இப்போது எங்கள் dealer இடம் இணைக்கிறேன்.",
        "bye": "பரவாயில்லை. உங்கள் நேரத்திற்கு நன்றி!",
        "callback": "சரியாக கேட்கவில்லை. எங்கள் dealer உங்களை மீண்டும் அழைப்பார். நன்றி!",
    },
}
_CUSTOMER = {
    "english": {
        "name": "my name is {name}",
        "yes": "yes, that's right",
        "model": "I'm looking for the {model}",
        "email": "sure, it's {email}",
        "no_email": "I'd rather not share my email",
        "dealer": "can I speak to a dealer directly?",
        "unclear": "sorry, what? the line is breaking",
    },
    "hinglish": {
        "name": "haan ji, mera naam {name} hai",
        "yes": "haan ji, sahi hai",
        "model": "mujhe {model} chahiye",
        "email": "haan, likh lijiye {email}",
        "no_email": "email nahi dena hai, sorry",
        "dealer": "mujhe dealer se baat karni hai",
        "unclear": "kya? aawaz nahi aa rahi",
    },
    "hindi": {
        "name": "जी, मेरा नाम {name} है",
        "yes": "हाँ जी, सही है",
        "model": "मुझे {model} चाहिए",
        "email": "जी, {email}",
        "no_email": "email नहीं देना है",
        "dealer": "मुझे dealer से बात करनी है",
        "unclear": "क्या? आवाज़ नहीं आ रही",
    },
    "tamil": {
        "name": "en peru {name}",
        "yes": "ஆமா, சரி",
        "model": "எனக்கு {model} வேணும்",
        "email": "{email}",
        "no_email": "email கொடுக்க விருப்பம் இல்லை",
        "dealer": "dealer கிட்ட பேசணும்",
        "unclear": "என்ன? சரியா கேட்கல",
    },
}
# How each language says "@" and "." when spelling an email aloud.
_SPOKEN_AT_DOT = {
    "english": ("at", "dot"),
    "hinglish": ("at the rate", "dot"),
    "hindi": ("एट द रेट", "डॉट"),
    "tamil": ("at", "dot"),
}
_SUMMARIES = {
    "complete": "{name} is interested in the {model} and shared the email {email}. "
    "The agent confirmed the details and promised a dealer call with offers.",
    "partial": "{name} is interested in the {model} but declined to share an email id. "
    "The agent thanked the customer and ended the call.",
    "dealer": "{name} asked to speak with a dealer before naming a model; the agent transferred the call.",
    "confused": "The customer could not hear the agent clearly and no details were collected; "
    "the agent promised a call back from the dealer.",
    "rejected": "The customer did not respond; the call ended after the greeting.",
}


@dataclass(frozen=True)
class Customer:
    name: str
    model: str
    email: str

    @property
    def first(self) -> str:
        return self.name.split()[0]


@dataclass(frozen=True)
class Conversation:
    scenario: Scenario
    language: str
    customer: Customer
    turns: tuple[tuple[str, str], ...]  # (role, text)

    @property
    def transcript(self) -> str:
        """Bolna's form: one `role: text` line per turn; customer lines carry two spaces."""
        return "".join(f"{role}:{'  ' if role == 'user' else ' '}{text}\n" for role, text in self.turns)

    @property
    def talk_seconds(self) -> float:
        """About 2.5 words a second, plus a pause per turn."""
        words = sum(len(text.split()) for _, text in self.turns)
        return round(words / 2.5 + 1.2 * len(self.turns), 1)

    @property
    def summary(self) -> str:
        template = _SUMMARIES.get(self.scenario.name, "")
        c = self.customer
        return template.format(name=c.name, model=c.model, email=c.email)

    @property
    def extracted(self) -> dict[str, str]:
        said = {key for role, key in self._keys() if role == "u"}
        c = self.customer
        return {
            "name": c.name if "name" in said else "",
            "model": c.model if "model" in said else "",
            "email": c.email if "email" in said else "",
        }

    def _keys(self) -> list[tuple[str, str]]:
        return [(line[0], key) for line in self.scenario.script for key in line[2:].split()]


def choose(phone: str, user_data: Mapping[str, Any], pool: Mapping[str, Scenario] = SCENARIOS) -> tuple[Scenario, str]:
    """The scenario and language of a call: pinned by user data, else from the number's hash
    (over `pool`: the hard simulator draws from ALL_SCENARIOS)."""
    digest = hashlib.sha256(phone.encode()).digest()
    names = list(pool)
    scenario = pool[names[digest[0] % len(names)]]
    language = LANGUAGES[digest[1] % len(LANGUAGES)]
    pinned = _hint(user_data, "scenario")
    if pinned in ALL_SCENARIOS:
        scenario = ALL_SCENARIOS[pinned]
    pinned_language = _hint(user_data, "language")
    if pinned_language in LANGUAGES:
        language = pinned_language
    return scenario, language


def customer_for(phone: str, user_data: Mapping[str, Any]) -> Customer:
    digest = hashlib.sha256(phone.encode()).digest()
    name = str(_field(user_data, "name") or _NAMES[digest[2] % len(_NAMES)]).strip()
    model = MODELS[digest[3] % len(MODELS)]
    local = ".".join(re.sub(r"[^a-z]", "", part.lower()) for part in name.split()[:2]) or "customer"
    return Customer(name=name, model=model, email=f"{local}@gmail.com")


def converse(scenario: Scenario, language: str, customer: Customer) -> Conversation:
    at, dot = _SPOKEN_AT_DOT[language]
    local, domain = customer.email.split("@")
    spoken_email = f" {dot} ".join(local.split(".")) + f" {at} " + f" {dot} ".join(domain.split("."))
    values = {"name": customer.name, "first": customer.first, "model": customer.model, "email": spoken_email}
    turns = []
    for line in scenario.script:
        role, keys = line.split(":", 1)
        table = _AGENT[language] if role == "a" else _CUSTOMER[language]
        text = " ".join(table[key].format(**values) for key in keys.split())
        turns.append(("assistant" if role == "a" else "user", text))
    return Conversation(scenario, language, customer, tuple(turns))


def _field(data: Mapping[str, Any], name: str) -> Any:
    """A user-data value by name, ignoring case (sheet headers are "Name", prompts use "name")."""
    return next((value for key, value in data.items() if str(key).strip().lower() == name), None)


def _hint(data: Mapping[str, Any], name: str) -> str:
    value = _field(data, name)
    return str(value).strip().lower() if value else ""
