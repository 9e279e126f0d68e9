"""The analysis entry points: a transcript (either form) in, the SingleInterface payload out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from analysis.dialogue import DialogueReader
from analysis.errors import BadTranscript
from analysis.fields import FIELDS
from analysis.language import LanguageDetector, common_words
from analysis.models import ModelCatalog
from analysis.payload import build_payload
from analysis.phrasebook import Phrasebook, shipped_phrasebook
from analysis.routing import dropoff, route
from analysis.settings import AnalysisSettings
from analysis.summary import summarize
from analysis.timeparse import format_local
from analysis.transcript import AGENT, read_transcript

_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Analysis:
    payload: dict  # exactly the seed's shape and key order
    call_ref_id: str
    timing_estimated: bool
    metadata: dict = field(default_factory=dict)  # the transcript's metadata (native form), {} otherwise
    summary: str = ""


class Analyzer:
    """Loads the phrase files and the model catalog once; `analyze` is then pure and safe to call for every
    transcript. A bad phrase file, override folder or catalog raises ValueError naming the file (and line)."""

    def __init__(self, settings: AnalysisSettings = AnalysisSettings()) -> None:
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)
        self.phrasebook = shipped_phrasebook() if settings.phrases is None else Phrasebook.load(settings.phrases)
        self.catalog = ModelCatalog.load(settings.model_catalog, common_words(self.phrasebook))
        self.dialogue = DialogueReader(self.phrasebook, self.catalog)
        self._language = LanguageDetector(self.phrasebook)

    def analyze(self, doc: object) -> Analysis:
        """`doc` is the parsed JSON value of a transcript file. Raises BadTranscript, and nothing else."""
        settings = self.settings
        transcript = read_transcript(doc, self.zone, settings.call_vendor)
        dialogue = self.dialogue.follow(transcript.turns)
        heard = dialogue.names_heard
        is_vehicle_word = self.catalog.is_vehicle_word
        language = self._language.detect(
            dialogue.customer_texts,
            settings.default_language,
            ignore=lambda word: word in heard or is_vehicle_word(word),
        )
        last_agent = next((t.time for t in reversed(transcript.turns) if t.speaker == AGENT), transcript.end)
        last_agent_time = format_local(last_agent, self.zone)
        verified = {f for f in FIELDS if dialogue.values[f]}
        request = dialogue.person_request
        routing = route(
            verified,
            {f: len(dialogue.attempts[f]) for f in FIELDS},
            dialogue.confusion,
            None if request is None else format_local(transcript.turns[request].time, self.zone),
            last_agent_time,
            settings.routing_max_mean_attempts,
            settings.routing_min_confusion,
        )
        drop = dropoff(routing, verified, dialogue.last_asked, last_agent_time)
        payload = build_payload(transcript, dialogue, settings.welcome_language, language, routing, drop, self.zone)
        return Analysis(
            payload=payload,
            call_ref_id=transcript.call_ref_id,
            timing_estimated=transcript.timing_estimated,
            metadata=transcript.metadata,
            summary=summarize(payload, spoke=bool(transcript.turns)),
        )


def analyze_bytes(raw: bytes, analyzer: Analyzer) -> Analysis:
    """Parse a transcript file's bytes (UTF-8 JSON, a BOM tolerated) and analyse it. Raises BadTranscript."""
    try:
        doc: Any = orjson.loads(raw[len(_UTF8_BOM) :] if raw.startswith(_UTF8_BOM) else raw)
    except orjson.JSONDecodeError as exc:
        raise BadTranscript(f"not valid JSON: {exc}") from None
    return analyzer.analyze(doc)
