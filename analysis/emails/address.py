"""Addresses found in a token list: every "@" gathers the words before it into a local part and the words
after it into a dotted domain. Filler words ("my email is", "likh lijiye", "hai") end a local part, which is
how spoken prefixes get dropped."""

from __future__ import annotations

from analysis.emails.lexer import JOINER_TEXTS, Kind, Tok
from analysis.emails.transliterate import transliterate
from analysis.spoken import key, word_set

# Words that end a local part: spoken prefixes, fillers, pronouns ("my email id is", "likh lijiye", "hai").
_STOP_WORDS = word_set("""
    my mera meri mere mujhe email emails mail id ids address is it it's its that that's thats this these here
    there the a an and or but so also then now i i'm im i'll me we you your you're he she they him her his our
    am are was were be will would can could should please pls plz ok okay okey yes yeah yep ya haan han ha hai
    hain h hoon hu ji jee sir madam mam maam no nahi nahin na not sorry wait actually correct correction right
    wrong hmm hm um umm uh uhh er ah oh well like just to too for of in on with from by as send sent write
    written note down type spell spelled spelling tell told say said give given take name naam likh likho
    likhiye likhie likhe lijiye lijie lijye lo le lena kar karo kariye kijiye kijie dijiye dijie do de dena
    bolo boliye bol aap apna apni main mai mein ye yeh woh wo toh ka ki ke ko se par aur ek wala wali vala
    bhai bhaiya sahab what which where why how call number phone mobile whatsapp speaking hello hi hey thank
    thanks welcome sure good fine done again repeat change update new old same double triple
""")
_DEVA_STOP_WORDS = word_set("""
    मेरा मेरी मेरे मुझे ईमेल इमेल मेल आईडी आइडी एड्रेस है हैं हूं हूँ हाँ हां हा जी सर मैडम तो यह ये वह वो और
    या नहीं नही ना मत सॉरी ओके ठीक लिख लिखो लिखिए लिखिये लीजिए लीजिये लिजिए लो ले कर करो करिए कीजिए दीजिए
    दो दे बोलो बोलिए आप अपना अपनी मैं में का की के को से पर भी फिर नाम इज माय द इट्स वाला वाली भाई साहब
    प्लीज नोट एक
""")
# Devanagari words that mean something else in a domain ("को" is a Hindi postposition, and ".co" in one).
_DEVA_DOMAIN_WORDS = {
    key(word): latin
    for latin, words in (
        ("com", "कॉम कोम कौम"),
        ("in", "इन"),
        ("co", "को"),
        ("net", "नेट"),
        ("org", "ऑर्ग ओआरजी"),
        ("mail", "मेल"),
        ("icloud", "आईक्लाउड"),
        ("rediff", "रेडिफ"),
    )
    for word in words.split()
}
_DOMAIN_FIXES = {
    "g-mail": "gmail",
    "jimail": "gmail",
    "geemail": "gmail",
    "jeemail": "gmail",
    "hot-mail": "hotmail",
    "yahu": "yahoo",
    "ya-hoo": "yahoo",
    "out-look": "outlook",
    "redifmail": "rediffmail",
    "rediff-mail": "rediffmail",
}
_TLD_FIXES = {"come": "com", "kom": "com"}
# "gmail com" with the "dot" swallowed by the ASR; only for providers everyone knows.
_PROVIDERS = word_set("gmail yahoo hotmail outlook rediffmail icloud ymail live protonmail aol")
_PROVIDER_TLDS = frozenset(("com", "in", "net", "co"))
# TLDs that are no everyday word, so "gmail. com" is a domain ("at home. in the evening" is not).
_UNMISTAKABLE_TLDS = word_set("com net org")
# Words that end a local part but can be part of a domain ("g mail", "hot mail").
_DOMAIN_STOP_WORDS = _STOP_WORDS - {"mail"}
_MAX_LOCAL_WORDS = 4
_MAX_LABEL_WORDS = 3


def _word_text(tok: Tok, in_domain: bool) -> str | None:
    """What a word-like token adds to an address at this position, or None if it ends the address."""
    if tok.kind == Kind.DIGITS:
        return tok.text
    if tok.kind == Kind.WORD:
        stop = tok.text in (_DOMAIN_STOP_WORDS if in_domain else _STOP_WORDS) and not tok.typed
        return None if stop else tok.text
    if tok.kind == Kind.DEVA:
        if tok.text in _DEVA_DOMAIN_WORDS:
            return _DEVA_DOMAIN_WORDS[tok.text] if in_domain else None
        if tok.text in _DEVA_STOP_WORDS:
            return None
        return transliterate(tok.orig) or None
    return None


def _glued(word: Tok, joiner: Tok) -> bool:
    """True if a spelled letter that looks like a filler still belongs to the address, being joined to its
    neighbour: "a dot sharma", "vinay dot h"."""
    return word.kind == Kind.WORD and len(word.text) == 1 and joiner.kind in (Kind.DOT, Kind.SYMBOL)


def _local_part(toks: list[Tok], at: int, floor: int) -> tuple[int, str]:
    """Walk back from the "@" at index `at` (not below `floor`); return (first index, local part)."""
    pieces: list[str] = []
    words, j = 0, at - 1
    while j >= floor:
        tok = toks[j]
        if tok.kind in (Kind.DOT, Kind.SYMBOL):
            pieces.append(tok.text)
        else:
            text = _word_text(tok, in_domain=False)
            if text is None and (_glued(tok, toks[j + 1]) or (j > floor and _glued(tok, toks[j - 1]))):
                text = tok.text
            if text is None or words == _MAX_LOCAL_WORDS:
                break
            pieces.append(text)
            words += not tok.typed  # the cap is for spoken words; a typed address is taken whole
        j -= 1
    while pieces and pieces[-1] in (".", "-"):  # a dangling "dot"/"dash" that opened the phrase
        pieces.pop()
        j += 1
    has_word = any(p not in JOINER_TEXTS for p in pieces)
    return j + 1, "".join(reversed(pieces)) if has_word else ""


def _is_dot(toks: list[Tok], i: int) -> bool:
    """A dot inside a domain; a sentence full stop counts when "com", "net" ... follows ("gmail. com")."""
    if i >= len(toks):
        return False
    if toks[i].kind in (Kind.DOT, Kind.POINT):
        return True
    return (
        toks[i].kind == Kind.BREAK
        and toks[i].text == "."
        and i + 1 < len(toks)
        and toks[i + 1].kind == Kind.WORD
        and toks[i + 1].text in _UNMISTAKABLE_TLDS
    )


def _label(toks: list[Tok], i: int) -> tuple[str, int]:
    """One domain label after a dot: a word, digits, or hyphen-joined words. Returns ("", i) if none."""
    parts: list[str] = []
    while i < len(toks):
        tok = toks[i]
        text = tok.text if tok.kind == Kind.WORD else _word_text(tok, in_domain=True)
        if text is None:
            break
        parts.append(text if tok.typed else _TLD_FIXES.get(text, text))
        i += 1
        if i + 1 < len(toks) and toks[i].kind == Kind.SYMBOL and toks[i].text == "-":
            parts.append("-")
            i += 1
        else:
            break
    return "".join(parts).strip("-"), i


def _domain(toks: list[Tok], at: int) -> tuple[str, int]:
    """Walk forward from the "@"; return (domain, index after it), or ("", at) without a dotted domain."""
    first: list[str] = []
    i, words = at + 1, 0
    while i < len(toks) and not _is_dot(toks, i):
        tok = toks[i]
        if tok.kind == Kind.SYMBOL and tok.text == "-":
            first.append("-")
        elif tok.kind == Kind.WORD and tok.text in _PROVIDER_TLDS and "".join(first) in _PROVIDERS:
            break  # "gmail com": the ASR lost the "dot"
        else:
            text = _word_text(tok, in_domain=True)
            if text is None or words == _MAX_LABEL_WORDS:
                break
            first.append(text)
            words += 1
        i += 1
    if not words:
        return "", at
    name = "".join(first)
    labels = [_DOMAIN_FIXES.get(name, name)]
    while True:
        if _is_dot(toks, i):
            label, after = _label(toks, i + 1)
            if not label:
                break
            labels.append(label)
            i = after
        elif (
            i < len(toks)
            and toks[i].kind == Kind.WORD
            and (
                (len(labels) == 1 and labels[0] in _PROVIDERS and toks[i].text in _PROVIDER_TLDS)
                or (labels[-1] == "co" and toks[i].text in ("in", "uk"))
            )
        ):  # "yahoo dot co in"
            labels.append(toks[i].text)
            i += 1
        else:
            break
    return (".".join(labels), i) if len(labels) > 1 else ("", at)


def candidates(toks: list[Tok]) -> list[tuple[int, int, str]]:
    """Every address-shaped span, as (first token, index after last token, address), in order."""
    found: list[tuple[int, int, str]] = []
    floor = 0
    for at, tok in enumerate(toks):
        if tok.kind != Kind.AT or at < floor:
            continue
        start, local = _local_part(toks, at, floor)
        if not local:
            continue
        domain, end = _domain(toks, at)
        if domain:
            found.append((start, end, f"{local}@{domain}"))
            floor = end
    return found
