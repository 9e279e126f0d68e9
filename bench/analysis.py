"""Transcripts analysed per second on one core, for a realistic 30-message call (target: >= 1,000/s).

Run: .venv/bin/python bench/analysis.py [ROUNDS]
The transcript mixes Hindi and English, a re-asked email, read-backs, a correction and an owned car, so every
extractor does real work. Parsing the file's bytes is included; loading the catalog is not (a stage does it
once at start). CPU time of this process is measured (other processes on the machine do not count), the best
of several rounds is reported, and the same messages are run through the catalog, the email extractor and
the language detector alone, side by side, to show where the time goes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import Analyzer, analyze_bytes
from analysis.emails import extract_email
from analysis.language import detect_language

LINES = [
    ("assistant", "Namaste! Main Tata Motors se Priya bol rahi hoon. Kya aapke paas do minute hain?"),
    ("user", "haan ji boliye, kya baat hai"),
    (
        "assistant",
        "Aapne hamari website par ek nayi gaadi ke liye enquiry ki thi. Kya main aapka naam jaan sakti hoon?",
    ),
    ("user", "haan mera naam rahul sharma hai"),
    ("assistant", "Dhanyavaad Rahul ji. Just to confirm, your name is Rahul Sharma, right?"),
    ("user", "haan ji sahi hai"),
    ("assistant", "Bahut badhiya. Aap kaunsi gaadi lena chahte hain?"),
    ("user", "abhi mere paas Maruti Swift hai, upgrade karna hai"),
    ("assistant", "Achha, to aap kis model mein interested hain?"),
    ("user", "nexan ev dekh raha tha, uska range kitna hai"),
    ("assistant", "Nexon EV ki range lagbhag 465 kilometre hai. Kya aap Nexon EV hi lena chahenge?"),
    ("user", "haan wahi"),
    ("assistant", "Great choice. Aapka email ID kya hai, taaki hum brochure bhej sakein?"),
    ("user", "rahul dot sharma at the rate"),
    ("assistant", "Sorry, I didn't catch that. Could you please repeat your email?"),
    ("user", "r a h u l dot sharma ninety two at gmail dot com"),
    ("assistant", "Just to confirm, your email is rahul.sharma92@gmail.com, is that correct?"),
    ("user", "nahi nahi, rahul dot sharma nine two at yahoo dot com"),
    ("assistant", "Maaf kijiye. To aapka email rahul.sharma92@yahoo.com hai, sahi hai?"),
    ("user", "haan ab sahi hai"),
    ("assistant", "Dhanyavaad. Kya aap test drive book karna chahenge?"),
    ("user", "haan weekend pe ho sakta hai kya"),
    ("assistant", "Ji bilkul, Saturday ya Sunday, aapko kaunsa din theek rahega?"),
    ("user", "sunday subah"),
    ("assistant", "Theek hai. Hamare dealer aapse sampark karke time confirm kar denge."),
    ("user", "ok aur price kya hai on road"),
    ("assistant", "On-road price city ke hisaab se alag hoti hai, dealer aapko exact quote denge."),
    ("user", "theek hai, thank you"),
    ("assistant", "Aapka din shubh ho, Rahul ji. Namaste!"),
    ("user", "bye"),
]
PER_ROUND = 200


def transcript_bytes() -> bytes:
    messages = [
        {"role": role, "text": text, "timestamp": f"2025-10-02 14:{25 + i // 10:02d}:{(6 * i) % 60:02d}"}
        for i, (role, text) in enumerate(LINES)
    ]
    doc = {
        "call_ref_id": "bench-1",
        "start_time": "2025-10-02 14:25:00",
        "end_time": "2025-10-02 14:28:10",
        "messages": messages,
    }
    return orjson.dumps(doc)


def best_seconds(work: Callable[[], object], rounds: int) -> float:
    """The fastest of `rounds` rounds, in CPU seconds per call."""
    for _ in range(20):
        work()
    times = []
    for _ in range(rounds):
        began = time.process_time()
        for _ in range(PER_ROUND):
            work()
        times.append((time.process_time() - began) / PER_ROUND)
    return min(times)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    analyzer = Analyzer()
    raw = transcript_bytes()
    print("summary:", analyze_bytes(raw, analyzer).summary)
    customer = [text for role, text in LINES if role == "user"]
    catalog = analyzer.catalog
    whole = best_seconds(lambda: analyze_bytes(raw, analyzer), rounds)
    parts = {
        "catalog find (customer messages)": best_seconds(lambda: [catalog.find(t) for t in customer], rounds),
        "extract_email (customer messages)": best_seconds(lambda: [extract_email(t) for t in customer], rounds),
        "detect_language": best_seconds(lambda: detect_language(customer, "hindi", catalog.is_vehicle_word), rounds),
    }
    print(f"{len(LINES)}-message transcript: {1 / whole:,.0f} transcripts/s on one core ({whole * 1e6:,.0f} us each)")
    for name, seconds in parts.items():
        print(f"  {name:36} {seconds * 1e6:6,.0f} us  {seconds / whole:4.0%}")
    rest = whole - sum(parts.values())
    print(f"  {'dialogue, names, routing, payload':36} {rest * 1e6:6,.0f} us  {rest / whole:4.0%}")


if __name__ == "__main__":
    main()
