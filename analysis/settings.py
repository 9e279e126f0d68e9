"""What the analysis needs from the configuration, as one small frozen value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class AnalysisSettings:
    timezone: str = "Asia/Kolkata"
    call_vendor: str = "Ozonetel"
    welcome_language: str = "english"
    default_language: str = "hindi"
    model_catalog: Path | None = None
    phrases: Path | None = None  # a folder of phrase-file overrides (analysis/phrasebook/files.py)
    routing_max_mean_attempts: float = 2.0
    routing_min_confusion: int = 3

    @classmethod
    def from_config(cls, cfg: Any) -> AnalysisSettings:
        """Take the fields of the same names from a `daemon.config.Config`."""
        return cls(
            timezone=cfg.timezone,
            call_vendor=cfg.call_vendor,
            welcome_language=cfg.welcome_language,
            default_language=cfg.default_language,
            model_catalog=cfg.model_catalog,
            phrases=cfg.analysis_phrases,
            routing_max_mean_attempts=float(cfg.routing_max_mean_attempts),
            routing_min_confusion=int(cfg.routing_min_confusion),
        )
