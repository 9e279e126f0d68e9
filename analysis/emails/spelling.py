"""Spelled forms merged into what they spell: "double s" -> "ss", "nine two" / "ninety two" -> "92",
"r a h u l" / "R-A-H-U-L" / "आर ए एच यू एल" -> "rahul"."""

from __future__ import annotations

from analysis.emails.lexer import Kind, Tok, joined


def apply_multipliers(toks: list[Tok]) -> list[Tok]:
    """ "double s" -> "ss", "triple x" -> "xxx", "double 7" / "double seven" -> "77"."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if tok.kind == Kind.MULTI and nxt is not None:
            times = int(tok.text)
            repeated: Tok | None = None
            if nxt.kind == Kind.LETTER:
                repeated = joined(Kind.LETTER, nxt.text * times, [tok, nxt])
            elif nxt.kind == Kind.DIGITS and len(nxt.text) == 1:
                repeated = joined(Kind.DIGITS, nxt.text * times, [tok, nxt])
            elif nxt.kind == Kind.NUMBER and nxt.number[0] < 10:
                repeated = joined(Kind.DIGITS, str(nxt.number[0]) * times, [tok, nxt])
            if repeated is not None:
                out.append(repeated)
                i += 2
                continue
        if tok.kind == Kind.MULTI:
            tok.kind, tok.text = Kind.WORD, tok.orig
        out.append(tok)
        i += 1
    return out


def _spell_number(run: list[Tok]) -> str:
    """Digits of a run of number words: "nine two" -> 92, "ninety two" -> 92, "twenty twenty four" -> 2024."""
    values = [tok.text if tok.kind == Kind.DIGITS else tok.number[0] for tok in run]
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


def merge_numbers(toks: list[Tok]) -> list[Tok]:
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        if toks[i].kind not in (Kind.NUMBER, Kind.DIGITS):
            out.append(toks[i])
            i += 1
            continue
        j = i
        while j < len(toks) and toks[j].kind in (Kind.NUMBER, Kind.DIGITS):
            j += 1
        run = toks[i:j]
        if len(run) == 1 and run[0].kind == Kind.NUMBER and run[0].number[1]:
            run[0].kind = Kind.WORD if run[0].orig.isascii() else Kind.DEVA  # a lone "do" or "char" is a word
            out.append(run[0])
        else:
            out.append(joined(Kind.DIGITS, _spell_number(run), run))
        i = j
    return out


def _letter_run(toks: list[Tok], i: int) -> tuple[int, bool]:
    """(index after the run of letters starting at toks[i], whether the run is spelling).

    Spelling is two or more spaced letters ("r a h u l"), or three or more joined by one written "-" or "."
    ("R-A-H-U-L", "r.a.h.u.l") standing alone. A joined run inside a typed address ("a.b.c@x.com") is
    returned whole as not spelling, so no part of it is walked again (that would be quadratic).
    """
    j = i + 1
    while j < len(toks) and toks[j].kind == Kind.LETTER:
        j += 1
    if j - i > 1 or j == len(toks):
        return j, j - i > 1
    joiner, count = toks[j].orig, 1
    while (
        j + 1 < len(toks)
        and toks[j].orig == joiner
        and joiner in ("-", ".")
        and toks[j].kind in (Kind.SYMBOL, Kind.DOT)
        and toks[j + 1].kind == Kind.LETTER
        and len(toks[j + 1].text) == 1
    ):
        j += 2
        count += 1
    if count < 3:
        return i + 1, False
    alone = (i == 0 or toks[i].gap or toks[i - 1].kind == Kind.BREAK) and (
        j == len(toks) or toks[j].gap or toks[j].kind == Kind.BREAK
    )
    return j, alone


def merge_letters(toks: list[Tok]) -> list[Tok]:
    """Join spelled letters: "r a h u l", "R-A-H-U-L", "आर ए एच यू एल" -> "rahul"."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind != Kind.LETTER:
            out.append(tok)
            i += 1
            continue
        end, spelled = _letter_run(toks, i)
        run = toks[i:end]
        if spelled:
            out.append(joined(Kind.WORD, "".join(t.text for t in run if t.kind == Kind.LETTER), run))
        else:
            out.extend(_lone(t) for t in run)
        i = end
    return out


def _lone(tok: Tok) -> Tok:
    """A letter that spells nothing is a word again: a lone "जी" or "के" is Hindi, "a" is "a"."""
    if tok.kind == Kind.LETTER:
        if tok.deva:
            tok.kind, tok.text = Kind.DEVA, tok.deva
        else:
            tok.kind = Kind.WORD
    return tok
