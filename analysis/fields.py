"""The three fields the agent collects, in the payload's order."""

from __future__ import annotations

from enum import StrEnum


class Field(StrEnum):
    NAME = "name"
    MODEL = "model"
    EMAIL = "email"


NAME, MODEL, EMAIL = Field.NAME, Field.MODEL, Field.EMAIL
FIELDS: tuple[Field, ...] = tuple(Field)
