"""Analysis speed, in one run: transcripts per second on one core for a realistic 30-message call (target:
at least 1,000/s), and the time for a 1 MB adversarial transcript (target: at most 2 s).

Run: .venv/bin/python bench/analysis.py [ROUNDS]

The call mixes Hindi and English, a re-asked email, read-backs, a correction and an owned car, so every
extractor does real work. Every call of the run has its own customer (name, car, email, and so every
agent line that repeats them); only the agent's fixed prompts are the same in every call, as they are in
production, where the analyser remembers how it read them. The same calls with that memory switched off
are shown beside it. Parsing the file's bytes is included; loading the phrase files and the catalog is
not (a stage does it once at start). CPU time of this process is measured, the best of several rounds of
192 calls is reported, and the catalog, the email reader and the language detector alone are timed on the
same customers' messages to show where the time goes.

The adversarial transcript is 1 MB of messages that each stress something: long runs of punctuation,
words of 100,000 letters, mixed scripts, control characters, and trigger phrases ("my name is", "dealer se
baat", "sorry?", "at dot") repeated for the whole message; no two messages are the same.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import Analyzer, analyze_bytes
from analysis.dialogue import DialogueReader
from analysis.emails import extract_email
from analysis.language import detect_language

LINES = [
    ("assistant", "Namaste! Main Tata Motors se Priya bol rahi hoon. Kya aapke paas do minute hain?"),
    ("user", "haan ji boliye, kya baat hai"),
    (
        "assistant",
        "Aapne hamari website par ek nayi gaadi ke liye enquiry ki thi. Kya main aapka naam jaan sakti hoon?",
    ),
    ("user", "haan mera naam {first} {last} hai"),
    ("assistant", "Dhanyavaad {First} ji. Just to confirm, your name is {First} {Last}, right?"),
    ("user", "haan ji sahi hai"),
    ("assistant", "Bahut badhiya. Aap kaunsi gaadi lena chahte hain?"),
    ("user", "abhi mere paas Maruti {owned} hai, upgrade karna hai"),
    ("assistant", "Achha, to aap kis model mein interested hain?"),
    ("user", "{spoken} dekh raha tha, uska price kitna hai"),
    ("assistant", "{Model} ka on-road price city ke hisaab se hai. Kya aap {Model} hi lena chahenge?"),
    ("user", "haan wahi"),
    ("assistant", "Great choice. Aapka email ID kya hai, taaki hum brochure bhej sakein?"),
    ("user", "{first} dot {last} at the rate"),
    ("assistant", "Sorry, I didn't catch that. Could you please repeat your email?"),
    ("user", "{spelled} dot {last} ninety two at gmail dot com"),
    ("assistant", "Just to confirm, your email is {first}.{last}92@gmail.com, is that correct?"),
    ("user", "nahi nahi, {first} dot {last} nine two at yahoo dot com"),
    ("assistant", "Maaf kijiye. To aapka email {first}.{last}92@yahoo.com hai, sahi hai?"),
    ("user", "haan ab sahi hai"),
    ("assistant", "Dhanyavaad. Kya aap test drive book karna chahenge?"),
    ("user", "haan weekend pe ho sakta hai kya"),
    ("assistant", "Ji bilkul, Saturday ya Sunday, aapko kaunsa din theek rahega?"),
    ("user", "sunday subah"),
    ("assistant", "Theek hai. Hamare dealer aapse sampark karke time confirm kar denge."),
    ("user", "ok aur price kya hai on road"),
    ("assistant", "On-road price city ke hisaab se alag hoti hai, dealer aapko exact quote denge."),
    ("user", "theek hai, thank you"),
    ("assistant", "Aapka din shubh ho, {First} ji. Namaste!"),
    ("user", "bye"),
]


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words("""rahul priya amit sneha vikas kavita arjun meena rohan divya karan pooja suresh anita manoj deepa
    nikhil swati ajay rekha sanjay neha vivek asha ravi geeta anil lata deepak usha prakash nisha kunal
    pallavi gaurav shruti harish komal varun isha""")
LAST = _words("""sharma verma iyer reddy patel singh nair gupta mehta joshi rao kulkarni das menon pillai bose
    chopra malhotra kapoor saxena mishra pandey tiwari yadav jain shah desai naidu kumar agarwal bansal
    chauhan thakur bhat shetty hegde goel arora sethi tandon""")
CARS = [("nexan ev", "Nexon EV"), ("kreta", "Creta"), ("seltos", "Seltos"), ("harrier", "Harrier")]
OWNED = ["Swift", "Alto", "Baleno", "Wagon R"]
CALLS = 192  # per round; every call of the run has a customer no earlier call had


def transcript_bytes(variant: int) -> bytes:
    first, last = FIRST[variant % len(FIRST)], LAST[variant // len(FIRST) % len(LAST)]  # 1,600 customers
    spoken, model = CARS[variant % len(CARS)]
    values = {
        "first": first,
        "last": last,
        "First": first.title(),
        "Last": last.title(),
        "spelled": " ".join(first),
        "spoken": spoken,
        "Model": model,
        "owned": OWNED[variant // 2 % len(OWNED)],
    }
    messages = [
        {
            "role": role,
            "text": text.format(**values),
            "timestamp": f"2025-10-02 14:{25 + i // 10:02d}:{(6 * i) % 60:02d}",
        }
        for i, (role, text) in enumerate(LINES)
    ]
    doc = {
        "call_ref_id": f"bench-{variant}",
        "start_time": "2025-10-02 14:25:00",
        "end_time": "2025-10-02 14:28:10",
        "messages": messages,
    }
    return orjson.dumps(doc)


def adversarial_bytes(size: int = 1_000_000) -> bytes:
    """About `size` bytes of distinct pathological messages, alternating agent and customer."""
    rng = random.Random(7)
    units = [
        "a.",
        "a@",
        ".",
        ",,",
        "?!",
        "a-",
        "a'",
        "क्ष",
        "aक்ఆ1@.-_ ",
        "\x00\x01\x1f\x7f\u200b\u200d",
        "my name is ",
        "dealer se baat ",
        "sorry? ",
        "at dot ",
        "r a h u l ",
        "double ",
        "ok ",
        "டீலர் கிட்ட பேசணும் ",
        "tell ",
        "Rahul ",
        "kya main ",
    ]
    messages = [{"role": "user", "text": "x" * 100_000}]  # one word of 100,000 letters
    total = 100_000
    while total < size:
        unit = units[len(messages) % len(units)]
        text = f"{rng.randrange(10**6)} " + unit * (2_100 // len(unit) + 1)
        role = "assistant" if len(messages) % 2 else "user"
        messages.append({"role": role, "text": text})
        total += len(text.encode())
    return orjson.dumps({"call_ref_id": "adversarial", "start_time": "2025-10-02 10:00:00", "messages": messages})


def cpu_seconds(work: Callable[[], object]) -> float:
    began = time.process_time()
    work()
    return time.process_time() - began


def main() -> None:
    rounds = min(int(sys.argv[1]) if len(sys.argv) > 1 else 7, len(FIRST) * len(LAST) // CALLS - 1)
    calls = [transcript_bytes(variant) for variant in range(CALLS * (rounds + 1))]
    assert len(set(calls)) == len(calls) <= len(FIRST) * len(LAST)
    analyzer = Analyzer()
    print("summary:", analyze_bytes(calls[0], analyzer).summary)

    def analyse(analyzer: Analyzer, batch: list[bytes]) -> Callable[[], object]:
        return lambda: [analyze_bytes(raw, analyzer) for raw in batch]

    # Each round analyses calls the analyser has not seen: only the agent's fixed prompts repeat.
    batches = [calls[CALLS * i : CALLS * (i + 1)] for i in range(rounds + 1)]
    cpu_seconds(analyse(analyzer, batches[0]))  # warm-up
    whole = min(cpu_seconds(analyse(analyzer, batch)) for batch in batches[1:]) / CALLS
    forgetful = Analyzer()
    forgetful.dialogue = DialogueReader(forgetful.phrasebook, forgetful.catalog, act_cache=0)
    cold = min(cpu_seconds(analyse(forgetful, batch)) for batch in batches[1:]) / CALLS

    customer = [[m["text"] for m in orjson.loads(raw)["messages"] if m["role"] == "user"] for raw in batches[1]]
    catalog = analyzer.catalog
    parts = {
        "catalog find (customer messages)": lambda: [catalog.find(t) for texts in customer for t in texts],
        "extract_email (customer messages)": lambda: [extract_email(t) for texts in customer for t in texts],
        "detect_language": lambda: [detect_language(texts, "hindi", catalog.is_vehicle_word) for texts in customer],
    }
    seconds = {name: min(cpu_seconds(work) for _ in range(rounds)) / CALLS for name, work in parts.items()}
    print(f"{len(LINES)}-message call: {1 / whole:,.0f} transcripts/s on one core ({whole * 1e6:,.0f} us each)")
    print(f"  reading every agent line afresh: {1 / cold:,.0f} transcripts/s ({cold * 1e6:,.0f} us each)")
    for name, spent in seconds.items():
        print(f"  {name:36} {spent * 1e6:6,.0f} us  {spent / whole:4.0%}")
    rest = whole - sum(seconds.values())
    print(f"  {'dialogue, names, routing, payload':36} {rest * 1e6:6,.0f} us  {rest / whole:4.0%}")

    raw = adversarial_bytes()
    fresh = Analyzer()
    elapsed = cpu_seconds(lambda: analyze_bytes(raw, fresh))
    print(f"adversarial transcript of {len(raw) / 1e6:.1f} MB: {elapsed:.2f} s (target: at most 2 s)")


if __name__ == "__main__":
    main()
