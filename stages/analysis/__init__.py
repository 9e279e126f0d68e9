"""Post-call analysis: a transcript in, the SingleInterface payload out. Pure functions, no I/O beyond
reading the model catalog once when an Analyzer is made."""

from stages.analysis.analyzer import Analysis, Analyzer, analyze_bytes
from stages.analysis.errors import BadTranscript
from stages.analysis.settings import AnalysisSettings

__all__ = ["Analysis", "AnalysisSettings", "Analyzer", "BadTranscript", "analyze_bytes"]
