"""Phrase knowledge as data: the shipped phrase files, an operator's override folder (ANALYSIS_PHRASES), and
the checks that stop a bad file at start-up with its name and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis import AnalysisSettings, Analyzer
from analysis.phrasebook import SECTIONS, Phrasebook, PhraseSet, Text, shipped_phrasebook
from analysis.phrasebook.files import LANGUAGE_FILES, SHIPPED
from analysis.phrasebook.syntax import PhraseError, parse
from daemon.config import load_config

REQUESTED = "Customer requested to speak with dealer"
NEW_REQUEST = "mujhe bade sahab se milwao"


def call(customer_line: str) -> dict:
    return {
        "call_ref_id": "override-1",
        "start_time": "2025-10-02 10:00:00",
        "messages": [
            {"role": "assistant", "text": "Namaste! Aapka naam kya hai?", "timestamp": "2025-10-02 10:00:02"},
            {"role": "user", "text": customer_line, "timestamp": "2025-10-02 10:00:06"},
            {"role": "assistant", "text": "Ji, ek minute.", "timestamp": "2025-10-02 10:00:09"},
        ],
    }


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_language_ships_a_file_and_every_section_is_known() -> None:
    assert {path.stem for path in SHIPPED.glob("*.txt")} == set(LANGUAGE_FILES)
    book = shipped_phrasebook()
    for name in SECTIONS:
        assert getattr(book, name), f"section [{name}] is empty in every language"
    assert set(book.words) == {language for language in LANGUAGE_FILES.values()}


def test_an_override_adds_a_person_request_and_the_call_routes_to_the_dealer(tmp_path: Path) -> None:
    shipped = Analyzer().analyze(call(NEW_REQUEST)).payload
    assert shipped["dealer_routing"]["reason"] != REQUESTED
    write(tmp_path / "phrases", "hi.txt", "[person_request]\nbade sahab se {milwao,milwa do,baat karao}\n")
    analyzer = Analyzer(AnalysisSettings(phrases=tmp_path / "phrases"))
    routing = analyzer.analyze(call(NEW_REQUEST)).payload["dealer_routing"]
    assert routing == {"status": True, "reason": REQUESTED, "time": "2025-10-02 10:00:06"}
    # Adding keeps what was shipped.
    assert analyzer.analyze(call("dealer se baat karao")).payload["dealer_routing"]["reason"] == REQUESTED


def test_replace_swaps_one_language_section_and_a_minus_line_removes_one_phrase(tmp_path: Path) -> None:
    folder = tmp_path / "phrases"
    write(folder, "hi.txt", "[person_request: replace]\nbade sahab se milwao\n")
    write(
        folder,
        "en.txt",
        "[person_request]\n-{human,real person,live agent,agent,dealer,representative,executive,human agent} please\n",
    )
    book = Phrasebook.load(folder)
    assert book.person_request.search(Text(NEW_REQUEST)) is not None
    assert book.person_request.search(Text("dealer se baat karao")) is None  # the shipped Hindi lines are gone
    assert book.person_request.search(Text("agent please")) is None  # removed
    assert book.person_request.search(Text("connect me to a human agent")) is not None  # other English lines stay
    assert book.person_request.search(Text("டீலர் கிட்ட பேசணும்")) is not None  # other languages untouched


def test_the_setting_comes_from_the_environment(tmp_path: Path) -> None:
    cfg = load_config({"DATA_DIR": str(tmp_path), "ANALYSIS_PHRASES": str(tmp_path / "p")}, env_file=None)
    assert AnalysisSettings.from_config(cfg).phrases == tmp_path / "p"
    assert AnalysisSettings.from_config(load_config({"DATA_DIR": str(tmp_path)}, env_file=None)).phrases is None


BAD_FILES = [
    ("unknown section", "hi.txt", "[person_request]\nok\n\n[persn_request]\nx\n", 4, "unknown section [persn_request]"),
    ("line before a section", "hi.txt", "# comment\ndealer se baat\n", 2, "before any [section]"),
    ("unbalanced brace", "hi.txt", "[person_request]\n{dealer,agent se baat\n", 2, "'{' without its '}'"),
    ("nested braces", "ta.txt", "[confusion]\n{a,{b,c}}\n", 2, "do not nest"),
    ("star inside a word", "te.txt", "[confusion]\nmal*li\n", 2, "'*' may only end a word"),
    ("punctuation in a word", "kn.txt", "[nudge]\nhello!\n", 2, "letters, digits and ' only"),
    ("only optional words", "gu.txt", "[closing]\n{bye,}\n", 2, "no word that must appear"),
    ("starts with a question mark", "pa.txt", "[readback]\n? sahi\n", 2, "must start with a word"),
    ("a word list with punctuation", "en.txt", "[not_name]\nyes no, maybe\n", 2, "'no,' is not a word"),
    ("a pair of three words", "hi.txt", "[signature]\nmera naam hai\n", 2, "two words, not 3"),
    ("same section twice", "hi.txt", "[nudge]\nhello\n[nudge]\nhi\n", 3, "again (it starts at line 1)"),
    ("removing what is not shipped", "hi.txt", "[nudge]\n-namaste ji\n", 2, "removes nothing"),
    ("unknown mode", "hi.txt", "[nudge: append]\nhello\n", 1, "the only mode is ': replace'"),
]


@pytest.mark.parametrize(
    ("name", "text", "line", "message"), [row[1:] for row in BAD_FILES], ids=[row[0] for row in BAD_FILES]
)
def test_a_bad_override_file_is_refused_naming_the_file_and_line(
    tmp_path: Path, name: str, text: str, line: int, message: str
) -> None:
    path = write(tmp_path / "phrases", name, text)
    with pytest.raises(ValueError) as raised:
        Analyzer(AnalysisSettings(phrases=tmp_path / "phrases"))
    assert f"phrase file {path}, line {line}: " in str(raised.value)
    assert message in str(raised.value)


def test_a_file_that_is_no_language_or_not_utf8_or_a_folder_that_is_missing(tmp_path: Path) -> None:
    folder = tmp_path / "phrases"
    write(folder, "README.md", "notes are ignored")
    write(folder, "marathi.txt", "[nudge]\nhello\n")
    with pytest.raises(ValueError, match=r"marathi\.txt: not a language file; the names are en\.txt"):
        Phrasebook.load(folder)
    (folder / "marathi.txt").unlink()
    (folder / "hi.txt").write_bytes(b"[nudge]\n\xff\xfe\n")
    with pytest.raises(ValueError, match=r"hi\.txt: cannot read it"):
        Phrasebook.load(folder)
    with pytest.raises(ValueError, match="not a folder"):
        Phrasebook.load(tmp_path / "absent")


PHRASES = [
    # (phrase, text, matches)
    ("dealer se baat", "Dealer se baat karni hai", True),
    ("dealer se baat", "dealer, se baat", True),  # commas and spaces between words
    ("{phir se,phirse}", "phirse boliye", True),  # glued by the speech recogniser: listed as such
    ("name", "what is your name?", True),
    ("name", "he named it", False),  # whole words only
    ("பெயர*", "உங்கள் பெயரை சொல்லுங்க", True),
    ("ज़रूर", "जरूर", True),  # nuktas never matter
    ("जरूर", "ज़रूर बताइए", True),
    ("{please ,}repeat", "repeat", True),
    ("{please ,}repeat", "please repeat", True),
    ("sorry ?", "sorry? what", True),
    ("sorry ?", "sorry to hear that", False),
    ("tell ... to call me", "tell the showroom manager to call me", True),
    ("tell ... to call me", "tell them that the manager will never want to call me", False),  # at most three words
    ("car's name", "your car's name", True),
]


@pytest.mark.parametrize(("phrase", "text", "matches"), PHRASES)
def test_phrase_syntax(phrase: str, text: str, matches: bool) -> None:
    assert (PhraseSet([phrase]).search(Text(text)) is not None) is matches


def test_matches_are_offsets_into_the_text_and_do_not_overlap() -> None:
    phrases = PhraseSet(["dealer se baat", "baat karao", "se baat karao"])
    text = Text("Haan, DEALER se baat karao")
    assert [text.low[m.start() : m.end()] for m in phrases.finditer(text)] == ["dealer se baat"]


def test_a_phrase_error_says_what_is_wrong() -> None:
    with pytest.raises(PhraseError, match=re.escape("'}' without its '{'")):
        parse("dealer}")


def test_every_shipped_phrase_group_compiles() -> None:
    book = shipped_phrasebook()
    for name in SECTIONS:
        phrases = getattr(book, name)
        if isinstance(phrases, PhraseSet):
            phrases.compile_all()


def test_a_glued_position_gates_on_its_words_and_short_texts_are_remembered() -> None:
    # "{your ,the ,}{dealer,agent}" says "your dealer": the position gates on the nouns, however many ways
    # it can be said, so a phrase never gates on a common word ("me", "on") for want of counting them.
    phrase = parse("{can,could} {your ,the ,a ,some ,}{dealer,agent,manager,senior,supervisor,human} call me")
    assert phrase.gate == frozenset({"dealer", "agent", "manager", "senior", "supervisor", "human"})
    # Pieces glued without a space are one word: "{matlad,maatlad}{ali,aali}" gates on "matladali"...
    glued = parse("dealer tho {matlad,maatlad}{ali,aali}").gates[-1]
    assert glued == {"matladali", "maatladali", "matladaali", "maatladaali"}
    phrases = PhraseSet(["dealer se baat"])
    first = phrases.spans(Text("haan dealer se baat karao"))
    assert first == phrases.spans(Text("haan dealer se baat karao")) == [(5, 19)]
    assert phrases.spans(Text("dealer se baat " + "karao " * 20)) == [(0, 14)]
