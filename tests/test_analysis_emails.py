"""Spoken and typed email addresses in one customer message (analysis/emails.py)."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from analysis.emails import _plain, extract_email, normalize_spoken_email

EXTRACTED = [
    # "at" in its spoken forms
    ("rahul at gmail dot com", "rahul@gmail.com"),
    ("rahul at the rate gmail dot com", "rahul@gmail.com"),
    ("rahul at the rate of gmail dot com", "rahul@gmail.com"),
    ("rahul @ the rate gmail dot com", "rahul@gmail.com"),
    ("rahul attherate gmail dot com", "rahul@gmail.com"),
    ("rahul एट gmail डॉट com", "rahul@gmail.com"),
    ("rahul एट द रेट gmail डॉट com", "rahul@gmail.com"),
    ("rahul ऐट द रेट gmail डॉट com", "rahul@gmail.com"),
    # dot, period, point (domain only), underscore, dash
    ("rahul dot sharma at gmail dot com", "rahul.sharma@gmail.com"),
    ("rahul period sharma at gmail period com", "rahul.sharma@gmail.com"),
    ("amit at gmail point com", "amit@gmail.com"),
    ("priya underscore mehta at gmail dot com", "priya_mehta@gmail.com"),
    ("priya अंडरस्कोर mehta एट gmail डॉट com", "priya_mehta@gmail.com"),
    ("amit dash kumar at gmail dot com", "amit-kumar@gmail.com"),
    ("amit hyphen kumar at gmail dot com", "amit-kumar@gmail.com"),
    ("amit minus kumar at outlook dot com", "amit-kumar@outlook.com"),
    # spelled letters, doubled letters and digits
    ("r a h u l at gmail dot com", "rahul@gmail.com"),
    ("R A H U L at gmail dot com", "rahul@gmail.com"),
    ("R-A-H-U-L at the rate gmail dot com", "rahul@gmail.com"),
    ("r.a.h.u.l at gmail dot com", "rahul@gmail.com"),
    ("a b c at gmail dot com", "abc@gmail.com"),
    ("pa double s i at outlook dot com", "passi@outlook.com"),
    ("triple x at gmail dot com", "xxx@gmail.com"),
    ("rahul double 7 at gmail dot com", "rahul77@gmail.com"),
    ("rahul double seven at gmail dot com", "rahul77@gmail.com"),
    ("double u a t at gmail dot com", "wat@gmail.com"),
    ("a dot sharma at gmail dot com", "a.sharma@gmail.com"),
    # spoken digits, English
    ("rahul nine two at gmail dot com", "rahul92@gmail.com"),
    ("rahul ninety two at gmail dot com", "rahul92@gmail.com"),
    ("rahul twenty twenty four at gmail dot com", "rahul2024@gmail.com"),
    ("rahul two thousand twenty four at gmail dot com", "rahul2024@gmail.com"),
    ("anjali nineteen ninety five at gmail dot com", "anjali1995@gmail.com"),
    ("anjali one nine nine five at gmail dot com", "anjali1995@gmail.com"),
    ("vikas five hundred twelve at gmail dot com", "vikas512@gmail.com"),
    ("rahul 9 two at gmail dot com", "rahul92@gmail.com"),
    # spoken digits, Hindi in Latin and Devanagari
    ("rahul ek do teen at gmail dot com", "rahul123@gmail.com"),
    ("sunita char paanch at gmail dot com", "sunita45@gmail.com"),
    ("ravi chhe saat aath nau at gmail dot com", "ravi6789@gmail.com"),
    ("ravi shunya nau at gmail dot com", "ravi09@gmail.com"),
    ("likh do rahul at gmail dot com", "rahul@gmail.com"),  # a lone "do" is the Hindi verb, not 2
    ("rahul एक दो तीन एट gmail डॉट com", "rahul123@gmail.com"),
    ("rahul १२३ एट gmail डॉट com", "rahul123@gmail.com"),
    ("राहुल डबल सेवन एट जीमेल डॉट कॉम", "rahul77@gmail.com"),
    # spoken prefixes and fillers are dropped; spaced words in the local part are joined
    ("my email is vikas malhotra at gmail dot com", "vikasmalhotra@gmail.com"),
    ("vikas malhotra at gmail dot com", "vikasmalhotra@gmail.com"),
    ("my email id is sneha at yahoo dot com", "sneha@yahoo.com"),
    ("email hai sunil at the rate of gmail dot com", "sunil@gmail.com"),
    ("likh lijiye priya underscore mehta at rediff mail dot com", "priya_mehta@rediffmail.com"),
    ("mera email rahul nine two at g mail dot com hai", "rahul92@gmail.com"),
    ("it's neha at gmail dot com", "neha@gmail.com"),
    ("haan ji, vikas dot malhotra at the rate gmail dot com", "vikas.malhotra@gmail.com"),
    ("my e-mail is neha at gmail dot com please", "neha@gmail.com"),
    ("Rahul Sharma at Gmail dot com", "rahulsharma@gmail.com"),
    # Devanagari transcripts
    ("मेरा ईमेल राहुल एट द रेट जीमेल डॉट कॉम है", "rahul@gmail.com"),
    ("आर ए एच यू एल नौ दो एट जीमेल डॉट कॉम", "rahul92@gmail.com"),
    ("मेरी ईमेल आईडी है priya एट gmail डॉट com", "priya@gmail.com"),
    ("विकास एट याहू डॉट को डॉट इन", "vikas@yahoo.co.in"),
    # domains split or mangled by the ASR
    ("rahul at g mail dot com", "rahul@gmail.com"),
    ("rahul at gee mail dot com", "rahul@gmail.com"),
    ("rahul ninety two at hot mail dot com", "rahul92@hotmail.com"),
    ("rahul twenty twenty four at yahoo dot co dot in", "rahul2024@yahoo.co.in"),
    ("sneha at yahoo dot co in", "sneha@yahoo.co.in"),
    ("rahul at out look dot com", "rahul@outlook.com"),
    ("rahul at gmail com", "rahul@gmail.com"),
    ("rahul at gmail. com", "rahul@gmail.com"),
    ("my email is rahul @ gmail . com", "rahul@gmail.com"),
    ("rahul at the rate gmail dot come", "rahul@gmail.com"),
    ("rahul at tata motors dot co dot in", "rahul@tatamotors.co.in"),
    # corrections within one message: the last complete address wins
    ("rahul at gmail dot com, sorry no, rahul dot sharma at gmail dot com", "rahul.sharma@gmail.com"),
    ("rahul at gmail dot com sorry rahul dot sharma at yahoo dot com", "rahul.sharma@yahoo.com"),
    ("rahul at gmail dot com, sorry, rahul dot sharma at gmail", "rahul@gmail.com"),
    ("rahul at gmail dot com at the showroom", "rahul@gmail.com"),
    # typed addresses pass through
    ("rahul.sharma@gmail.com", "rahul.sharma@gmail.com"),
    ("Rahul.Sharma@Gmail.COM.", "rahul.sharma@gmail.com"),
    ("email: rahul_sharma+cars@gmail.com, thanks", "rahul_sharma+cars@gmail.com"),
    ("hello@company.com", "hello@company.com"),
    ("one.two@x.co.in", "one.two@x.co.in"),
    ("a.b.c@example.org", "a.b.c@example.org"),
    ("rahul dot sharma@gmail.com", "rahul.sharma@gmail.com"),
]

NO_EMAIL = [
    "I'll send it later",
    "at the showroom",
    "I will be at the showroom tomorrow",
    "dot",
    "rahul at gmail",
    "rahul@gmail",
    "at gmail dot com",
    "my email is at gmail dot com",
    "rahul dot at gmail dot com",
    "rahul at the showroom dot com",
    "nine two",
    "mera naam rahul sharma hai",
    "the meeting is at five",
    "rahul at office. in an hour",
    "email nahi hai",
    "",
    "   ",
    "@",
    "@@ . .",
    "राहुल जी",
]

NORMALIZED = [
    ("my email is vikas malhotra at gmail dot com", "my email is vikasmalhotra@gmail.com"),
    ("r a h u l at gmail dot com", "rahul@gmail.com"),
    (
        "rahul at gmail dot com, sorry no, rahul dot sharma at gmail dot com",
        "rahul@gmail.com, sorry no, rahul.sharma@gmail.com",
    ),
    ("मेरा ईमेल राहुल एट द रेट जीमेल डॉट कॉम है", "मेरा ईमेल rahul@gmail.com है"),
    ("I'll be at the showroom.", "i'll be at the showroom."),
    ("my e-mail is R-A-H-U-L at gmail dot com", "my e-mail is rahul@gmail.com"),
]


@pytest.mark.parametrize(("text", "expected"), EXTRACTED, ids=[t for t, _ in EXTRACTED])
def test_extracts_the_spoken_address(text: str, expected: str) -> None:
    assert extract_email(text) == expected


@pytest.mark.parametrize("text", NO_EMAIL)
def test_text_without_a_complete_address_gives_none(text: str) -> None:
    assert extract_email(text) is None


@pytest.mark.parametrize(("text", "expected"), NORMALIZED, ids=[t for t, _ in NORMALIZED])
def test_normalize_rewrites_only_the_address(text: str, expected: str) -> None:
    assert normalize_spoken_email(text) == expected


def test_every_extracted_address_passes_syntax_validation() -> None:
    for _, expected in EXTRACTED:
        assert validate_email(expected, check_deliverability=False).normalized.lower() == expected


_SPOKEN_WORDS = st.sampled_from(
    [
        "at",
        "dot",
        "the",
        "rate",
        "of",
        "double",
        "triple",
        "underscore",
        "dash",
        "point",
        "a",
        "b",
        "r",
        "ek",
        "do",
        "teen",
        "nine",
        "ninety",
        "twenty",
        "hundred",
        "thousand",
        "gmail",
        "g",
        "mail",
        "com",
        "co",
        "in",
        "my",
        "email",
        "is",
        "hai",
        "sorry",
        "@",
        ".",
        "-",
        "_",
        "+",
        ",",
        "एट",
        "डॉट",
        "जीमेल",
        "कॉम",
        "जी",
        "के",
        "आर",
        "ए",
        "डबल",
        "दो",
        "९",
        "ज़ीरो",
        "राहुल",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.lists(_SPOKEN_WORDS, max_size=20).map(" ".join)))
def test_never_raises_and_only_returns_valid_lower_case_addresses(text: str) -> None:
    normalize_spoken_email(text)
    found = extract_email(text)
    if found is not None:
        assert found == found.lower()
        validate_email(found, check_deliverability=False)


_ATOM = st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)
_TYPED_LOCAL = st.lists(_ATOM, min_size=1, max_size=6).flatmap(
    lambda atoms: st.sampled_from([".", "_", "-"]).map(lambda sep: sep.join(atoms))
)
_TYPED_DOMAIN = st.tuples(
    st.lists(st.from_regex(r"[a-z][a-z0-9]{1,9}", fullmatch=True), min_size=1, max_size=2),
    st.sampled_from(["com", "in", "co.in", "org", "net"]),
).map(lambda parts: ".".join([*parts[0], parts[1]]))


@settings(max_examples=200, deadline=None)
@given(_TYPED_LOCAL, _TYPED_DOMAIN, st.sampled_from(["{}", "my email is {}", "email hai {} ji", "{}. thanks"]))
def test_typed_addresses_pass_through_unchanged(local: str, domain: str, sentence: str) -> None:
    address = f"{local}@{domain}"
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        assume(False)
    assert extract_email(sentence.format(address.upper())) == address


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[a-z0-9._+-]{1,12}@[a-z0-9.-]{1,12}\.(com|in|co\.in|uk|ai|museum|test|local)", fullmatch=True))
def test_the_plain_address_shortcut_agrees_with_the_validator(address: str) -> None:
    """Plain addresses skip email_validator for speed; each one it lets through, the validator accepts
    unchanged."""
    if _plain(address):
        assert validate_email(address, check_deliverability=False).normalized.lower() == address


def test_the_plain_address_shortcut_takes_the_usual_addresses() -> None:
    assert _plain("rahul.sharma92@gmail.com") and _plain("a_b-c+d@mail.co.in")
    assert not _plain("rahul..sharma@gmail.com") and not _plain("rahul@localhost.local")
