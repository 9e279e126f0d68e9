"""Car model matching against the shipped catalog and replacement catalogs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.models import DEFAULT_CATALOG, ModelCatalog, ModelMention, default_catalog


@pytest.fixture(scope="module")
def catalog() -> ModelCatalog:
    return default_catalog()


MATCHES = [
    # canonical names, case, spacing, hyphens
    ("Tata Nexon EV", "Tata Nexon EV"),
    ("NEXON", "Tata Nexon"),
    ("Hyundai Creta", "Hyundai Creta"),
    ("mujhe maruti suzuki swift chahiye", "Maruti Suzuki Swift"),
    ("Mahindra XUV700", "Mahindra XUV700"),
    ("xuv 700", "Mahindra XUV700"),
    ("XUV-700 diesel automatic", "Mahindra XUV700"),
    ("x.u.v 700", "Mahindra XUV700"),
    # the longest, most specific alias wins
    ("nexon ev", "Tata Nexon EV"),
    ("nexon e v", "Tata Nexon EV"),
    ("nexon", "Tata Nexon"),
    ("creta n line", "Hyundai Creta N Line"),
    ("creta electric chahiye", "Hyundai Creta Electric"),
    ("scorpio classic", "Mahindra Scorpio Classic"),
    ("i want the scorpio n", "Mahindra Scorpio-N"),
    ("wagon r", "Maruti Suzuki WagonR"),
    ("city hybrid chahiye", "Honda City Hybrid"),
    ("fortuner legender", "Toyota Fortuner Legender"),
    ("thar roxx", "Mahindra Thar Roxx"),
    ("swift dzire", "Maruti Suzuki Dzire"),
    # spoken numbers and letter names
    ("xuv seven hundred", "Mahindra XUV700"),
    ("ex you vee seven hundred", "Mahindra XUV700"),
    ("x u v seven double zero", "Mahindra XUV700"),
    ("mahindra xuv three x o", "Mahindra XUV 3XO"),
    ("be six", "Mahindra BE 6"),
    ("bmw ex five", "BMW X5"),
    ("hyundai i twenty", "Hyundai i20"),
    ("kia ev six", "Kia EV6"),
    # misspellings: listed ones, then ones only the speller knows
    ("kreta", "Hyundai Creta"),
    ("nexan", "Tata Nexon"),
    ("hundai creta", "Hyundai Creta"),
    ("crreta", "Hyundai Creta"),
    ("alcazer lena hai", "Hyundai Alcazar"),
    ("baleeno ka price", "Maruti Suzuki Baleno"),
    ("seltose", "Kia Seltos"),
    ("fortunerr", "Toyota Fortuner"),
    # Devanagari and mixed script
    ("नेक्सॉन", "Tata Nexon"),
    ("मुझे क्रेटा चाहिए", "Hyundai Creta"),
    ("नेक्सॉन ईवी", "Tata Nexon EV"),
    ("नेक्सॉन EV", "Tata Nexon EV"),
    ("एक्स यू वी 700", "Mahindra XUV700"),
    ("टाटा पंच", "Tata Punch"),
    # everyday words need the make or a short answer
    ("Honda City", "Honda City"),
    ("city", "Honda City"),
    ("haan ji city chahiye", "Honda City"),
    ("I live in the city with my family", None),
    ("in the city", None),
    ("audi a 4", "Audi A4"),
    ("I want a 4 wheeler for my family", None),
    ("I will see three more options tomorrow", None),
    ("we will create a new account for you today", None),
    # a make alone is not a model
    ("Tata ki koi gaadi", None),
    ("Hyundai", None),
    ("maruti suzuki ka showroom", None),
    # ordinary sentences, English and Hinglish
    ("what is the on road price", None),
    ("my name is Rahul Sharma", None),
    ("please send the brochure on whatsapp", None),
    ("mujhe abhi time nahi hai, kal baat karenge", None),
    ("uska kamra bahut bada hai", None),
    ("rahul dot sharma at gmail dot com", None),
    ("", None),
    # the last mention wins
    ("Creta nahi, Seltos", "Kia Seltos"),
    ("pehle nexon dekha tha, ab harrier chahiye", "Tata Harrier"),
]


@pytest.mark.parametrize(("text", "expected"), MATCHES, ids=[text or "empty" for text, _ in MATCHES])
def test_match(catalog: ModelCatalog, text: str, expected: str | None) -> None:
    assert catalog.match(text) == expected


def test_find_reports_every_mention_in_order_with_offsets(catalog: ModelCatalog) -> None:
    text = "I want Tata Nexon EV, or maybe a kreta"
    mentions = catalog.find(text)
    assert mentions == [ModelMention("Tata Nexon EV", 7, 20), ModelMention("Hyundai Creta", 33, 38)]
    assert [text[m.start : m.end] for m in mentions] == ["Tata Nexon EV", "kreta"]


def test_find_spans_a_spoken_model_in_devanagari(catalog: ModelCatalog) -> None:
    text = "हाँ एक्स यू वी सात सौ"
    (mention,) = catalog.find(text)
    assert (mention.canonical, text[mention.start : mention.end]) == ("Mahindra XUV700", "एक्स यू वी सात सौ")


def test_shipped_catalog_covers_the_indian_market(catalog: ModelCatalog) -> None:
    assert len(catalog.models) >= 120
    assert len(catalog.makes) >= 15
    for make in ("Maruti Suzuki", "Hyundai", "Tata", "Mahindra", "Kia", "Toyota", "Honda", "MG", "Skoda"):
        assert make in catalog.makes
    for make in ("Volkswagen", "Renault", "Nissan", "Citroen", "Jeep", "BYD", "BMW", "Mercedes-Benz", "Audi"):
        assert make in catalog.makes
    assert all(any(model.startswith(make + " ") for make in catalog.makes) for model in catalog.models)


def test_every_canonical_name_matches_itself(catalog: ModelCatalog) -> None:
    wrong = {model: catalog.match(f"I am interested in the {model}") for model in catalog.models}
    assert {model: found for model, found in wrong.items() if found != model} == {}


VEHICLE_WORDS = [
    ("nexon", True),
    ("creta", True),
    ("kreta", True),
    ("क्रेटा", True),
    ("mahindra", True),
    ("xuv", True),
    ("you", False),
    ("seven", False),
    ("the", False),
    ("hai", False),
    ("naam", False),
]


@pytest.mark.parametrize(("word", "expected"), VEHICLE_WORDS)
def test_is_vehicle_word(catalog: ModelCatalog, word: str, expected: bool) -> None:
    assert catalog.is_vehicle_word(word) is expected


ROCKET = {"_about": "test", "makes": {"Acme": {"aliases": ["akme"], "models": {"Rocket": {"aliases": ["roket"]}}}}}


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_replacement_catalog_replaces_the_shipped_one(tmp_path: Path) -> None:
    replaced = ModelCatalog.load(write(tmp_path, ROCKET))
    assert replaced.models == ("Acme Rocket",)
    assert replaced.makes == frozenset({"Acme"})
    assert replaced.match("akme roket lena hai") == "Acme Rocket"
    assert replaced.match("Tata Nexon EV") is None


def test_the_default_catalog_is_loaded_once() -> None:
    assert default_catalog() is default_catalog()


def model_with(**fields: object) -> dict[str, object]:
    return {"makes": {"Acme": {"models": {"Rocket": fields}}}}


BAD_CATALOGS = [
    ("not json", "{nope", "not valid JSON"),
    ("top level list", [], 'non-empty "makes" object'),
    ("no makes", {"makes": {}}, 'non-empty "makes" object'),
    ("unknown top-level key", {**ROCKET, "extra": 1}, "top level: unknown key 'extra'"),
    ("make without models", {"makes": {"Acme": {"aliases": ["akme"]}}}, "make 'Acme': needs a non-empty \"models\""),
    ("model not an object", {"makes": {"Acme": {"models": {"Rocket": ["roket"]}}}}, "model 'Rocket': must be"),
    ("misspelt key", model_with(alias=["roket"]), "model 'Rocket': unknown key 'alias'"),
    ("alias not a string", model_with(aliases=["roket", 7]), '"aliases" must be a list of non-empty strings'),
    ("aliases not a list", model_with(aliases="roket"), '"aliases" must be a list of non-empty strings'),
    ("alias of punctuation", model_with(aliases=["--"]), "alias '--' has no letters or digits"),
    (
        "alias of two models",
        {"makes": {"Acme": {"models": {"Rocket": {"aliases": ["zoom"]}, "Jet": {"aliases": ["Zoom!"]}}}}},
        "model 'Jet': alias 'Zoom!' (read as 'zoom') also names 'Acme Rocket'",
    ),
    (
        "make alias names a model",
        {"makes": {"Acme": {"aliases": ["rocket"], "models": {"Rocket": {}}}}},
        "also names 'Acme'",
    ),
    ("duplicate JSON name", '{"makes": {"Acme": {"models": {}}, "Acme": {"models": {}}}}', "'Acme' appears twice"),
]


@pytest.mark.parametrize(("document", "message"), [row[1:] for row in BAD_CATALOGS], ids=[r[0] for r in BAD_CATALOGS])
def test_a_bad_catalog_file_is_refused_with_a_clear_message(tmp_path: Path, document: object, message: str) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match=r"^model catalog .*catalog\.json: ") as raised:
        ModelCatalog.load(path)
    assert message in str(raised.value)


def test_a_missing_catalog_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read it"):
        ModelCatalog.load(tmp_path / "absent.json")


def test_every_make_names_the_source_of_its_spellings() -> None:
    document = json.loads(Path(DEFAULT_CATALOG).read_text(encoding="utf-8"))
    missing = [make for make, entry in document["makes"].items() if not entry.get("_source", "").startswith("https://")]
    assert missing == []


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("scorpio n z8", "Mahindra Scorpio-N"),
        ("स्कॉर्पियो एन", "Mahindra Scorpio-N"),
        ("wagnor cng", "Maruti Suzuki WagonR"),
        ("xuv three x o", "Mahindra XUV 3XO"),
        ("creta n line", "Hyundai Creta N Line"),
        ("honda city hybrid", "Honda City Hybrid"),
        ("legender", "Toyota Fortuner Legender"),
    ],
)
def test_decided_spellings_and_named_variants(catalog: ModelCatalog, text: str, canonical: str) -> None:
    assert catalog.match(text) == canonical
