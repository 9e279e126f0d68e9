"""Post-call analysis: a transcript in, the SingleInterface payload out. Pure functions, no I/O beyond
reading the model catalog once when an Analyzer is made."""

from analysis.analyzer import Analysis, Analyzer, analyze_bytes
from analysis.errors import BadTranscript
from analysis.settings import AnalysisSettings

__all__ = ["Analysis", "AnalysisSettings", "Analyzer", "BadTranscript", "analyze_bytes"]
