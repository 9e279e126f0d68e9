"""Conversational language detection from the customer's words."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from analysis.language import LANGUAGES, detect_language, language_scores
from analysis.models import default_catalog


def is_car(word: str) -> bool:
    return default_catalog().is_vehicle_word(word)


def is_name(word: str) -> bool:
    return word in {"विवेक", "muthu", "hai"}


DETECTIONS: list[tuple[str, list[str], str, Callable[[str], bool] | None, str]] = [
    # (id, customer messages, default, ignore, expected)
    ("english sentence", ["Yes, I am looking for a new car"], "hindi", None, "english"),
    ("english over two messages", ["My name is Priya Mehta", "I want the Creta"], "hindi", None, "english"),
    ("indian english", ["kindly do the needful and revert by tomorrow itself"], "hindi", None, "english"),
    ("english with a devanagari name", ["yeah i am here my name is विवेक"], "hindi", None, "english"),
    ("hinglish", ["haan ji", "mera naam Rahul hai"], "english", None, "hindi"),
    ("hinglish refusal", ["nahi abhi nahi, baad mein call karna"], "english", None, "hindi"),
    ("hinglish with a car", ["mujhe Creta chahiye"], "english", None, "hindi"),
    ("devanagari", ["मेरा नाम राहुल है"], "english", None, "hindi"),
    ("tamil romanized", ["en peru Muthu"], "hindi", None, "tamil"),
    ("tamil with a car", ["romba nandri, Innova venum"], "hindi", None, "tamil"),
    ("tamil script", ["என் பெயர் முத்து"], "hindi", None, "tamil"),
    ("tamil beats borrowed english", ["yes sir", "en peru Muthu"], "hindi", None, "tamil"),
    ("telugu romanized", ["naa peru Ravi"], "hindi", None, "telugu"),
    ("telugu with a car", ["avunu, Creta kavali"], "hindi", None, "telugu"),
    ("telugu script", ["నా పేరు రవి"], "hindi", None, "telugu"),
    ("kannada romanized", ["nanna hesaru Manjunath"], "hindi", None, "kannada"),
    ("kannada with english", ["houdu, swalpa wait maadi"], "hindi", None, "kannada"),
    ("kannada script", ["ನನ್ನ ಹೆಸರು ಮಂಜುನಾಥ್"], "hindi", None, "kannada"),
    ("gujarati romanized", ["maru naam Hetal che"], "hindi", None, "gujarati"),
    ("gujarati with a car", ["haa, mane Creta joie che"], "hindi", None, "gujarati"),
    ("gujarati script", ["મારું નામ હેતલ છે"], "hindi", None, "gujarati"),
    ("punjabi romanized", ["mera naa Gurpreet", "tusi ki haal"], "hindi", None, "punjabi"),
    ("punjabi with a car", ["haanji, sanu Scorpio chahidi"], "hindi", None, "punjabi"),
    ("gurmukhi", ["ਮੇਰਾ ਨਾਮ ਗੁਰਪ੍ਰੀਤ ਹੈ"], "hindi", None, "punjabi"),
    ("mixed script leans hindi", ["मेरा नाम Rahul है", "I want Creta"], "english", None, "hindi"),
    ("mixed script leans english", ["hello", "my name is Rahul and I want a Nexon", "हाँ"], "hindi", None, "english"),
    # no signal: email words, addresses, spelled letters, digits
    ("spoken email", ["rahul dot sharma at gmail dot com"], "tamil", None, "tamil"),
    ("devanagari spoken email", ["एट द रेट जीमेल डॉट कॉम"], "english", None, "english"),
    ("written email", ["rahul.sharma@gmail.com"], "telugu", None, "telugu"),
    ("spelled email", ["r a h u l at the rate gmail dot co dot in"], "kannada", None, "kannada"),
    ("digits", ["98765 43210", "९८७६५"], "gujarati", None, "gujarati"),
    # ignore(): personal names and car names
    ("devanagari name counts without ignore", ["विवेक"], "english", None, "hindi"),
    ("devanagari name ignored", ["विवेक"], "english", is_name, "english"),
    ("devanagari car counts without ignore", ["क्रेटा"], "english", None, "hindi"),
    ("devanagari car ignored", ["क्रेटा", "yes"], "hindi", is_car, "english"),
    ("car ignored, language kept", ["नेक्सॉन ईवी चाहिए"], "english", is_car, "hindi"),
    # ties: the latest message with a signal for a tied language decides
    ("tie to the later english", ["haan ji", "it is"], "hindi", None, "english"),
    ("tie to the later telugu", ["enna", "ledu"], "hindi", None, "telugu"),
    ("tie to the later tamil", ["ledu", "enna"], "hindi", None, "tamil"),
    ("tie skips messages without signal", ["enna", "ledu", "12345", "rahul at gmail dot com"], "hindi", None, "telugu"),
    ("unresolved tie takes the default", ["it is", "haan ji"], "punjabi", None, "punjabi"),
    ("unresolved tie, default outside", ["it is", "haan ji"], "tamil", None, "hindi"),
    # shared words count for each language that has them
    ("illa alone", ["illa"], "hindi", None, "tamil"),
    ("illa with kannada", ["illa", "beku"], "hindi", None, "kannada"),
    ("illa with tamil", ["illa", "venum"], "kannada", None, "tamil"),
    # no signal at all: the default
    ("no messages", [], "hindi", None, "hindi"),
    ("empty messages", ["", "   "], "telugu", None, "telugu"),
    ("english homographs count for neither", ["to do me"], "gujarati", None, "gujarati"),
    ("a borrowed word alone", ["ok"], "hindi", None, "english"),
]


@pytest.mark.parametrize(
    ("messages", "default", "ignore", "expected"), [row[1:] for row in DETECTIONS], ids=[row[0] for row in DETECTIONS]
)
def test_detect_language(
    messages: list[str], default: str, ignore: Callable[[str], bool] | None, expected: str
) -> None:
    assert detect_language(messages, default=default, ignore=ignore) == expected


def signals(text: str, ignore: Callable[[str], bool] | None = None) -> dict[str, float]:
    scores = language_scores(text, ignore)
    assert tuple(scores) == LANGUAGES
    return {language: score for language, score in scores.items() if score}


SCORES = [
    ("mera naam Rahul hai", {"hindi": 4.0, "punjabi": 3.0, "gujarati": 1.0}),  # + "mera naam" phrase
    ("naa peru Ravi", {"telugu": 3.0, "punjabi": 1.0, "tamil": 1.0}),  # + "naa peru" phrase
    ("illa", {"tamil": 1.0, "kannada": 1.0}),
    ("ok yes sir", {"english": 1.5}),
    ("I want to buy a car", {"english": 4.5}),
    ("to do me", {}),
    ("मेरा नाम", {"hindi": 2.0}),
    ("ਮੇਰਾ ਨਾਮ", {"punjabi": 2.0}),
    ("என் பெயர்", {"tamil": 2.0}),
    ("నా పేరు", {"telugu": 2.0}),
    ("ನನ್ನ ಹೆಸರು", {"kannada": 2.0}),
    ("મારું નામ", {"gujarati": 2.0}),
    ("XUV700 98765 ९८७", {}),
    ("rahul dot sharma at gmail dot co dot in", {}),
]


@pytest.mark.parametrize(("text", "expected"), SCORES)
def test_language_scores(text: str, expected: dict[str, float]) -> None:
    assert signals(text) == expected


def test_ignore_sees_lower_cased_words_and_silences_them() -> None:
    assert signals("Hai", is_name) == {}
    assert signals("Hai") == {"hindi": 1.0, "punjabi": 1.0}
