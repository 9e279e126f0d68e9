"""Email addresses spoken by a customer, as an ASR engine wrote them down.

One customer message goes in ("mera email r a h u l nine two at the rate g mail dot com hai"); the last
complete, syntactically valid address comes out ("rahul92@gmail.com"). The text is cut into tokens, spoken
forms become symbols, digits and letters, and every "@" gathers the words before it into a local part and the
words after it into a domain. Filler words ("my email is", "likh lijiye", "hai") end a local part, which is how
spoken prefixes get dropped. Validation is syntax only: this module never touches the network.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

# Cheap pre-filter: a message without any of these cannot hold an address.
_SIGNAL = re.compile(r"@|\bat|एट|ऐट")

_TOKEN = re.compile(
    r"(?P<word>[a-z0-9]+(?:'[a-z]+)?)"
    r"|(?P<deva>[\u0900-\u0963\u0971-\u097f\u200c\u200d]+)"
    r"|(?P<devadigit>[\u0966-\u096f]+)"
    # A dot or hyphen inside a written word ("rahul.sharma", "R-A-H-U-L") belongs to it; elsewhere it is
    # sentence punctuation.
    r"|(?P<inner>(?<=[a-z0-9\u0900-\u097f])[.\-](?=[a-z0-9\u0900-\u097f]))"
    r"|(?P<sym>[@_+])"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.DOTALL,
)
_DEVA_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")
_NUKTA = "\u093c"

# Token kinds.
WORD, LETTER, DIGITS, NUMBER, MULTI, AT, DOT, POINT, SYMBOL, BREAK, DEVA = (
    "word",
    "letter",
    "digits",
    "number",
    "multi",
    "at",
    "dot",
    "point",
    "symbol",
    "break",
    "deva",
)
_JOINERS = (AT, DOT, SYMBOL)
_JOINER_TEXTS = frozenset(".-_+")


class _Tok:
    """One token: `text` is what it adds to an address, `orig` what the customer said, `gap` whether
    whitespace came before it (so untouched text can be written back as it was), `typed` whether it is a
    word written against an "@", "." or "_" (part of a typed address, taken literally). A NUMBER carries
    `number` (value, needs-a-neighbour); a LETTER spoken in Devanagari keeps that word in `deva`."""

    __slots__ = ("deva", "gap", "kind", "number", "orig", "text", "typed")

    def __init__(self, kind: str, text: str, orig: str, gap: bool) -> None:
        self.kind, self.text, self.orig, self.gap = kind, text, orig, gap
        self.typed = False
        self.number: tuple[int, bool] = (0, False)
        self.deva = ""


def _joined(kind: str, text: str, parts: list[_Tok]) -> _Tok:
    """One token standing for several, keeping what the customer said."""
    orig = parts[0].orig + "".join((" " if t.gap else "") + t.orig for t in parts[1:])
    tok = _Tok(kind, text, orig, parts[0].gap)
    tok.typed = all(t.typed for t in parts)
    return tok


def _deva_key(word: str) -> str:
    """Lookup form of a Devanagari word: NFC without nukta or zero-width joiners, so spellings match."""
    return unicodedata.normalize("NFC", word).replace(_NUKTA, "").replace("\u200c", "").replace("\u200d", "")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(_deva_key(w) for w in words.split())


# Spoken phrases, keyed by their words (Devanagari ones in lookup form); the longest match wins.
_PHRASES: dict[tuple[str, ...], tuple[str, str]] = {}
for _phrase, _kind, _text in (
    ("at|attherate|atherate|एट|ऐट", AT, "@"),
    (
        "at the rate|at the rate of|at rate|at d rate|at da rate|at de rate|@ the rate|@ the rate of|@ rate"
        "|एट द रेट|ऐट द रेट|एट दी रेट|एट दि रेट|ऐट दि रेट|एट द रेट ऑफ|एट रेट|@ द रेट",
        AT,
        "@",
    ),
    ("dot|period|डॉट|डोट|डाट", DOT, "."),
    ("point|पॉइंट|पॉइन्ट", POINT, "."),
    ("underscore|under score|अंडरस्कोर|अंडर स्कोर", SYMBOL, "_"),
    ("dash|hyphen|minus|डैश|हाइफन|हायफन|माइनस", SYMBOL, "-"),
    ("double|डबल", MULTI, "2"),
    ("triple|ट्रिपल", MULTI, "3"),
    ("double u|double you|डबल्यू|डब्ल्यू|डबल यू", LETTER, "w"),
    ("gee mail|jee mail|जी मेल|जीमेल", WORD, "gmail"),
    ("हॉट मेल|हॉटमेल", WORD, "hotmail"),
    ("याहू", WORD, "yahoo"),
    ("आउट लुक|आउटलुक", WORD, "outlook"),
    ("रेडिफ मेल|रेडिफमेल", WORD, "rediffmail"),
    ("आई डी|आईडी|आइडी", WORD, "id"),
):
    for _words in _phrase.split("|"):
        _PHRASES[tuple(_deva_key(w) for w in _words.split())] = (_kind, _text)
_PHRASE_LEN = max(len(p) for p in _PHRASES)
_PHRASE_STARTS = frozenset(p[0] for p in _PHRASES)

# Number words: value, and whether the word only counts as a number next to another number ("do", "char" and
# Devanagari "टू" are everyday words too).
_NUMBERS: dict[str, tuple[int, bool]] = {}
for _number, _names in enumerate(
    (
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    )
):
    _NUMBERS[_names] = (_number, False)
for _number, _names in zip(
    range(20, 100, 10), ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"), strict=True
):
    _NUMBERS[_names] = (_number, False)
_NUMBERS.update(hundred=(100, False), thousand=(1000, False))
for _number, _names in enumerate(
    (
        "shunya shoonya sunya oh शून्य जीरो",
        "ek एक वन",
        "do दो टू",
        "teen tin तीन थ्री",
        "char chaar चार फोर",
        "paanch panch paach पांच पाँच फाइव",
        "chhe chhah chah che छह छः छे छै सिक्स",
        "saat sat सात सेवन",
        "aath ath आठ",
        "nau नौ नाइन नाईन",
    )
):
    for _word in _names.split():
        _NUMBERS[_deva_key(_word)] = (_number, True)

# Letter names as Devanagari ASR spells them; they only count inside a run of spelled letters.
_DEVA_LETTERS = {
    _deva_key(name): letter
    for letter, names in zip(
        "abcdefghijklmnopqrstuvwxyz",
        (
            "ए",
            "बी",
            "सी",
            "डी",
            "ई",
            "एफ",
            "जी",
            "एच",
            "आई",
            "जे",
            "के",
            "एल",
            "एम",
            "एन",
            "ओ",
            "पी",
            "क्यू",
            "आर",
            "एस",
            "टी",
            "यू",
            "वी",
            "",
            "एक्स",
            "वाई",
            "जेड ज़ेड",
        ),
        strict=True,
    )
    for name in names.split()
}

# Words that end a local part: spoken prefixes, fillers, pronouns ("my email id is", "likh lijiye", "hai").
_STOP_WORDS = _word_set("""
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
_DEVA_STOP_WORDS = _word_set("""
    मेरा मेरी मेरे मुझे ईमेल इमेल मेल आईडी आइडी एड्रेस है हैं हूं हूँ हाँ हां हा जी सर मैडम तो यह ये वह वो और
    या नहीं नही ना मत सॉरी ओके ठीक लिख लिखो लिखिए लिखिये लीजिए लीजिये लिजिए लो ले कर करो करिए कीजिए दीजिए
    दो दे बोलो बोलिए आप अपना अपनी मैं में का की के को से पर भी फिर नाम इज माय द इट्स वाला वाली भाई साहब
    प्लीज नोट एक
""")
# Devanagari words that mean something else in a domain ("को" is a Hindi postposition, and ".co" in one).
_DEVA_DOMAIN_WORDS = {
    _deva_key(word): latin
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
_PROVIDERS = _word_set("gmail yahoo hotmail outlook rediffmail icloud ymail live protonmail aol")
_PROVIDER_TLDS = frozenset(("com", "in", "net", "co"))
# TLDs that are no everyday word, so "gmail. com" is a domain ("at home. in the evening" is not).
_UNMISTAKABLE_TLDS = _word_set("com net org")
# Words that end a local part but can be part of a domain ("g mail", "hot mail").
_DOMAIN_STOP_WORDS = _STOP_WORDS - {"mail"}
_MAX_LOCAL_WORDS = 4
_MAX_LABEL_WORDS = 3

# Devanagari to Latin, for names spoken in a Devanagari transcript ("राहुल" -> "rahul"). Best effort: the
# inherent vowel is dropped at a word's end only, long vowels fold to short ones.
_CONSONANTS = {
    "क": "k",
    "ख": "kh",
    "ग": "g",
    "घ": "gh",
    "ङ": "n",
    "च": "ch",
    "छ": "chh",
    "ज": "j",
    "झ": "jh",
    "ञ": "n",
    "ट": "t",
    "ठ": "th",
    "ड": "d",
    "ढ": "dh",
    "ण": "n",
    "त": "t",
    "थ": "th",
    "द": "d",
    "ध": "dh",
    "न": "n",
    "प": "p",
    "फ": "ph",
    "ब": "b",
    "भ": "bh",
    "म": "m",
    "य": "y",
    "र": "r",
    "ल": "l",
    "व": "v",
    "श": "sh",
    "ष": "sh",
    "स": "s",
    "ह": "h",
    "ळ": "l",
}
_NUKTA_CONSONANTS = {"k": "q", "kh": "kh", "g": "g", "j": "z", "d": "r", "dh": "rh", "ph": "f", "y": "y"}
_VOWEL_SIGNS = {
    "ा": "a",
    "ि": "i",
    "ी": "i",
    "ु": "u",
    "ू": "u",
    "ृ": "ri",
    "े": "e",
    "ै": "ai",
    "ो": "o",
    "ौ": "au",
    "ॉ": "o",
    "ॅ": "e",
}
_VOWELS = {
    "अ": "a",
    "आ": "a",
    "इ": "i",
    "ई": "i",
    "उ": "u",
    "ऊ": "u",
    "ऋ": "ri",
    "ए": "e",
    "ऐ": "ai",
    "ओ": "o",
    "औ": "au",
    "ऑ": "o",
}
_VIRAMA, _NASALS = "्", "ंँ"


def _transliterate(word: str) -> str:
    out: list[str] = []
    inherent = False  # the last consonant still carries its unwritten "a"
    for ch in word:
        if ch in _CONSONANTS:
            if inherent:
                out.append("a")
            out.append(_CONSONANTS[ch])
            inherent = True
        elif ch == _NUKTA and out:
            out[-1] = _NUKTA_CONSONANTS.get(out[-1], out[-1])
        elif ch in _VOWEL_SIGNS:
            out.append(_VOWEL_SIGNS[ch])
            inherent = False
        elif ch == _VIRAMA:
            inherent = False
        elif ch in _NASALS or ch == "ः":
            if inherent:
                out.append("a")
            out.append("n" if ch in _NASALS else "h")
            inherent = False
        elif ch in _VOWELS:
            if inherent:
                out.append("a")
            out.append(_VOWELS[ch])
            inherent = False
    return "".join(out)


def _lex(text: str) -> list[_Tok]:
    """Cut lower-cased text into tokens and turn spoken phrases into symbols, numbers and letters."""
    raw: list[_Tok] = []
    gap = False
    for m in _TOKEN.finditer(text):
        kind, piece = m.lastgroup, m.group()
        if kind == "space":
            gap = True
            continue
        if kind == "word":
            raw.append(_Tok(WORD, piece, piece, gap))
        elif kind == "deva":
            raw.append(_Tok(DEVA, _deva_key(piece), piece, gap))
        elif kind == "devadigit":
            raw.append(_Tok(DIGITS, piece.translate(_DEVA_DIGITS), piece, gap))
        elif kind == "inner":
            raw.append(_Tok(DOT if piece == "." else SYMBOL, piece, piece, gap))
        elif kind == "sym":
            raw.append(_Tok(AT if piece == "@" else SYMBOL, piece, piece, gap))
        else:
            raw.append(_Tok(BREAK, piece, piece, gap))
        gap = False
    n = len(raw)
    for i, tok in enumerate(raw):
        if tok.kind == WORD:
            tok.typed = (i + 1 < n and not raw[i + 1].gap and raw[i + 1].kind in _JOINERS) or (
                i > 0 and not tok.gap and raw[i - 1].kind in _JOINERS
            )
    toks: list[_Tok] = []
    i = 0
    while i < n:
        spoken = raw[i].text in _PHRASE_STARTS and not raw[i].typed
        sizes = range(min(_PHRASE_LEN, n - i), 0, -1) if spoken else ()
        for size in sizes:
            hit = _PHRASES.get(tuple(t.text for t in raw[i : i + size]))
            if hit is not None:
                toks.append(_joined(hit[0], hit[1], raw[i : i + size]))
                i += size
                break
        else:
            toks.append(_classify(raw[i]))
            i += 1
    return toks


def _classify(tok: _Tok) -> _Tok:
    key = tok.text
    if tok.kind == WORD:
        if key.isdigit():
            tok.kind = DIGITS
        elif key in _NUMBERS and not tok.typed:
            tok.kind, tok.number = NUMBER, _NUMBERS[key]
        elif len(key) == 1:
            tok.kind = LETTER
    elif tok.kind == DEVA:
        if key in _NUMBERS:
            tok.kind, tok.number = NUMBER, _NUMBERS[key]
        elif key in _DEVA_LETTERS:
            tok.kind, tok.text, tok.deva = LETTER, _DEVA_LETTERS[key], key
    return tok


def _apply_multipliers(toks: list[_Tok]) -> list[_Tok]:
    """ "double s" -> "ss", "triple x" -> "xxx", "double 7" / "double seven" -> "77"."""
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if tok.kind == MULTI and nxt is not None:
            times = int(tok.text)
            repeated: _Tok | None = None
            if nxt.kind == LETTER:
                repeated = _joined(LETTER, nxt.text * times, [tok, nxt])
            elif nxt.kind == DIGITS and len(nxt.text) == 1:
                repeated = _joined(DIGITS, nxt.text * times, [tok, nxt])
            elif nxt.kind == NUMBER and nxt.number[0] < 10:
                repeated = _joined(DIGITS, str(nxt.number[0]) * times, [tok, nxt])
            if repeated is not None:
                out.append(repeated)
                i += 2
                continue
        if tok.kind == MULTI:
            tok.kind, tok.text = WORD, tok.orig
        out.append(tok)
        i += 1
    return out


def _spell_number(run: list[_Tok]) -> str:
    """Digits of a run of number words: "nine two" -> 92, "ninety two" -> 92, "twenty twenty four" -> 2024."""
    values = [tok.text if tok.kind == DIGITS else tok.number[0] for tok in run]
    out: list[str] = []
    i = 0
    while i < len(values):
        value = values[i]
        if isinstance(value, str):
            out.append(value)
            i += 1
            continue
        nxt = values[i + 1] if i + 1 < len(values) else None
        if value in (100, 1000) or (value < 10 and nxt in (100, 1000)):
            total, i = _compound(values, i)
            out.append(str(total))
            continue
        if 20 <= value < 100 and isinstance(nxt, int) and 0 < nxt < 10:
            out.append(str(value + nxt))
            i += 2
            continue
        out.append(str(value))
        i += 1
    return "".join(out)


def _compound(values: list[int | str], i: int) -> tuple[int, int]:
    """Read "[unit] thousand [unit hundred] [tens] [unit]" from values[i:]; return (number, next index)."""
    total, current = 0, 0
    while i < len(values):
        value = values[i]
        if not isinstance(value, int):
            break
        if value in (100, 1000):
            if value == 100 and current >= 100:
                break
            scaled = (current or 1) * value
            if value == 1000:
                total, current = total + scaled, 0
            else:
                current = scaled
        elif (value < 10 and current % 10 == 0 and current % 100 != 10) or (10 <= value < 100 and current % 100 == 0):
            current += value
        else:
            break
        i += 1
    return total + current, i


def _merge_numbers(toks: list[_Tok]) -> list[_Tok]:
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        if toks[i].kind not in (NUMBER, DIGITS):
            out.append(toks[i])
            i += 1
            continue
        j = i
        while j < len(toks) and toks[j].kind in (NUMBER, DIGITS):
            j += 1
        run = toks[i:j]
        if len(run) == 1 and run[0].kind == NUMBER and run[0].number[1]:
            run[0].kind = WORD if run[0].orig.isascii() else DEVA  # a lone "do" or "char" is a Hindi word
            out.append(run[0])
        else:
            out.append(_joined(DIGITS, _spell_number(run), run))
        i = j
    return out


def _letter_run_end(toks: list[_Tok], i: int) -> int:
    """Index after the spelled-letter run starting at toks[i], or i + 1 when it is a lone letter.

    A run is two or more spaced letters ("r a h u l"), or three or more joined by one written "-" or "."
    ("R-A-H-U-L", "r.a.h.u.l").
    """
    j = i + 1
    while j < len(toks) and toks[j].kind == LETTER:
        j += 1
    if j - i > 1 or j == len(toks):
        return j
    joiner, count = toks[j].orig, 1
    while (
        j + 1 < len(toks)
        and toks[j].orig == joiner
        and joiner in ("-", ".")
        and toks[j].kind in (SYMBOL, DOT)
        and toks[j + 1].kind == LETTER
        and len(toks[j + 1].text) == 1
    ):
        j += 2
        count += 1
    # Only a stand-alone "r.a.h.u.l" is spelling; "a.b.c@x.com" or "a.b.c.d2@x.com" is typed as meant.
    alone = (i == 0 or toks[i].gap or toks[i - 1].kind == BREAK) and (
        j == len(toks) or toks[j].gap or toks[j].kind == BREAK
    )
    return j if count >= 3 and alone else i + 1


def _merge_letters(toks: list[_Tok]) -> list[_Tok]:
    """Join spelled letters: "r a h u l", "R-A-H-U-L", "आर ए एच यू एल" -> "rahul"."""
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind != LETTER:
            out.append(tok)
            i += 1
            continue
        end = _letter_run_end(toks, i)
        if end - i > 1:
            run = toks[i:end]
            out.append(_joined(WORD, "".join(t.text for t in run if t.kind == LETTER), run))
        elif tok.deva:
            tok.kind, tok.text = DEVA, tok.deva  # a lone "जी" or "के" is a Hindi word again
            out.append(tok)
        else:
            tok.kind = WORD
            out.append(tok)
        i = end
    return out


def _word_text(tok: _Tok, in_domain: bool) -> str | None:
    """What a word-like token adds to an address at this position, or None if it ends the address."""
    if tok.kind == DIGITS:
        return tok.text
    if tok.kind == WORD:
        stop = tok.text in (_DOMAIN_STOP_WORDS if in_domain else _STOP_WORDS) and not tok.typed
        return None if stop else tok.text
    if tok.kind == DEVA:
        if tok.text in _DEVA_DOMAIN_WORDS:
            return _DEVA_DOMAIN_WORDS[tok.text] if in_domain else None
        if tok.text in _DEVA_STOP_WORDS:
            return None
        return _transliterate(tok.orig) or None
    return None


def _glued(word: _Tok, joiner: _Tok) -> bool:
    """True if a spelled letter that looks like a filler still belongs to the address: "a dot sharma"."""
    return word.kind == WORD and len(word.text) == 1 and joiner.kind in (DOT, SYMBOL)


def _local_part(toks: list[_Tok], at: int, floor: int) -> tuple[int, str]:
    """Walk back from the "@" at index `at` (not below `floor`); return (first index, local part)."""
    pieces: list[str] = []
    words, j = 0, at - 1
    while j >= floor:
        tok = toks[j]
        if tok.kind in (DOT, SYMBOL):
            pieces.append(tok.text)
        else:
            text = _word_text(tok, in_domain=False)
            if text is None and _glued(tok, toks[j + 1]):
                text = tok.text
            if text is None or words == _MAX_LOCAL_WORDS:
                break
            pieces.append(text)
            words += not tok.typed  # the cap is for spoken words; a typed address is taken whole
        j -= 1
    while pieces and pieces[-1] in (".", "-"):  # a dangling "dot"/"dash" that opened the phrase
        pieces.pop()
        j += 1
    has_word = any(p not in _JOINER_TEXTS for p in pieces)
    return j + 1, "".join(reversed(pieces)) if has_word else ""


def _is_dot(toks: list[_Tok], i: int) -> bool:
    """A dot inside a domain; a sentence full stop counts when "com", "net" ... follows ("gmail. com")."""
    if i >= len(toks):
        return False
    if toks[i].kind in (DOT, POINT):
        return True
    return (
        toks[i].kind == BREAK
        and toks[i].text == "."
        and i + 1 < len(toks)
        and toks[i + 1].kind == WORD
        and toks[i + 1].text in _UNMISTAKABLE_TLDS
    )


def _label(toks: list[_Tok], i: int) -> tuple[str, int]:
    """One domain label after a dot: a word, digits, or hyphen-joined words. Returns ("", i) if none."""
    parts: list[str] = []
    while i < len(toks):
        tok = toks[i]
        text = tok.text if tok.kind == WORD else _word_text(tok, in_domain=True)
        if text is None:
            break
        parts.append(text if tok.typed else _TLD_FIXES.get(text, text))
        i += 1
        if i + 1 < len(toks) and toks[i].kind == SYMBOL and toks[i].text == "-":
            parts.append("-")
            i += 1
        else:
            break
    return "".join(parts).strip("-"), i


def _domain(toks: list[_Tok], at: int) -> tuple[str, int]:
    """Walk forward from the "@"; return (domain, index after it), or ("", at) without a dotted domain."""
    first: list[str] = []
    i, words = at + 1, 0
    while i < len(toks) and not _is_dot(toks, i):
        tok = toks[i]
        if tok.kind == SYMBOL and tok.text == "-":
            first.append("-")
        elif tok.kind == WORD and tok.text in _PROVIDER_TLDS and "".join(first) in _PROVIDERS:
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
            and toks[i].kind == WORD
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


def _tokens(text: str) -> list[_Tok]:
    text = text.lower().replace("\u2019", "'")
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return _merge_letters(_merge_numbers(_apply_multipliers(_lex(text))))


def _candidates(toks: list[_Tok]) -> list[tuple[int, int, str]]:
    """Every address-shaped span, as (first token, index after last token, address), in order."""
    found: list[tuple[int, int, str]] = []
    floor = 0
    for at, tok in enumerate(toks):
        if tok.kind != AT or at < floor:
            continue
        start, local = _local_part(toks, at, floor)
        if not local:
            continue
        domain, end = _domain(toks, at)
        if domain:
            found.append((start, end, f"{local}@{domain}"))
            floor = end
    return found


def normalize_spoken_email(text: str) -> str:
    """The text after spoken-form normalisation (exposed for table tests and debugging).

    Every address-shaped span is written as one address ("vikas malhotra at gmail dot com" ->
    "vikasmalhotra@gmail.com"); the other words stay as said, lower-cased.
    """
    toks = _tokens(text)
    spans = {start: (end, address) for start, end, address in _candidates(toks)}
    out: list[str] = []
    i = 0
    while i < len(toks):
        if out and toks[i].gap:
            out.append(" ")
        if i in spans:
            i, address = spans[i]
            out.append(address)
        else:
            out.append(toks[i].orig)
            i += 1
    return "".join(out)


def extract_email(text: str) -> str | None:
    """Normalise spoken forms in ONE customer message (English and Hindi, Latin or Devanagari) and return the
    LAST complete, syntactically valid address in it (lower case), else None. No DNS, ever."""
    if not isinstance(text, str) or not _SIGNAL.search(text.lower()):
        return None
    for _, _, address in reversed(_candidates(_tokens(text))):
        valid = _validated(address)
        if valid is not None:
            return valid
    return None


@functools.lru_cache(maxsize=4096)
def _validated(address: str) -> str | None:
    """The address if its syntax is valid (customers repeat an address, so answers are cached)."""
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except (EmailNotValidError, ValueError, UnicodeError):
        return None
