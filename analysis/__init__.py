"""Post-call analysis: a transcript in, the SingleInterface payload out. Pure functions, no I/O beyond
reading the phrase files (phrasebook/data, and an ANALYSIS_PHRASES override folder) and the model catalog
once when an Analyzer is made.

The house: `transcript.py` reads either form into turns; `dialogue.py` follows them, with `acts.py` for
what an agent line does, `replies.py` and `names.py` for the customer's side, `models/` and `emails/` for
values, all knowing how people speak from `phrasebook/` and `spoken.py`; `language.py`, `routing.py` and
`payload.py` make the payload."""

from analysis.analyzer import Analysis, Analyzer, analyze_bytes
from analysis.errors import BadTranscript
from analysis.settings import AnalysisSettings

__all__ = ["Analysis", "AnalysisSettings", "Analyzer", "BadTranscript", "analyze_bytes"]
