"""The simulator's batches, as Bolna's batch API documents them.

- POST /batches (multipart: agent_id, file, from_phone_numbers) answers 201
  {"batch_id": <32 hex>, "state": "created"}; the CSV needs a `contact_number` column and
  every other column becomes the call's user data.
- A created batch calls nobody until POST /batches/{id}/schedule with `scheduled_at`: ISO
  8601 with a numeric offset. A trailing "Z" is refused with a 500; a time less than 2
  minutes ahead is refused; Bolna rounds the start up to the next 10-minute mark.
- GET /batches/{id}: status created, scheduled, queued, executed, with execution_status
  counts; GET /batches/{id}/executions: a bare array of execution bodies.
"""

from __future__ import annotations

import csv
import io
import math
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from calls.statuses import TERMINAL
from devtools.sim_calls import SimulatedCall, bolna_time

E164 = re.compile(r"\+[1-9]\d{6,14}")
MIN_AHEAD = 120.0
ROUNDED_TO = 600.0


class BatchRefusedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class SimulatedBatch:
    agent_id: str
    rows: list[dict[str, str]]
    total_contacts: int
    from_numbers: list[str]
    created_at: float
    batch_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: str = "created"
    scheduled_at: float | None = None
    scheduled_text: str = ""  # scheduled_at as it was sent
    starts_at: float | None = None
    executions: list[str] = field(default_factory=list)

    def schedule(self, text: str, now: float) -> float:
        """Check `scheduled_at` as Bolna does; returns when the batch will start (wall clock)."""
        if self.status != "created":
            raise BatchRefusedError(400, f"the batch is {self.status}, not created")
        if text.strip().endswith(("Z", "z")):
            raise BatchRefusedError(500, "Internal server error")  # what Bolna answers a trailing Z
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise BatchRefusedError(400, "scheduled_at must be ISO 8601 with a time zone") from None
        if moment.tzinfo is None:
            raise BatchRefusedError(400, "scheduled_at must be ISO 8601 with a time zone")
        at = moment.timestamp()
        if at < now + MIN_AHEAD - 1:
            raise BatchRefusedError(400, "scheduled_at must be at least 2 minutes in the future")
        self.status, self.scheduled_at, self.scheduled_text = "scheduled", at, text
        self.starts_at = math.ceil(at / ROUNDED_TO) * ROUNDED_TO
        return self.starts_at

    def doc(self, calls: dict[str, SimulatedCall], now: float) -> dict[str, Any]:
        counts = Counter(calls[e].status for e in self.executions if e in calls)
        status = self.status
        if status == "queued" and self.executions and all(calls[e].status in TERMINAL for e in self.executions):
            status = "executed"
        return {
            "batch_id": self.batch_id,
            "humanized_created_at": "just now",
            "created_at": bolna_time(self.created_at) + "Z",
            "updated_at": bolna_time(now) + "Z",
            "status": status,
            "scheduled_at": bolna_time(self.scheduled_at) + "Z" if self.scheduled_at else None,
            "from_phone_numbers": self.from_numbers,
            "file_name": "leads.csv",
            "valid_contacts": len(self.rows),
            "total_contacts": self.total_contacts,
            "execution_status": dict(counts),
        }


def parse_csv(data: bytes) -> tuple[list[dict[str, str]], int]:
    """The CSV's rows with a valid contact_number, and how many rows it had."""
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BatchRefusedError(400, f"the file is not a CSV: {exc}") from None
    if "contact_number" not in (reader.fieldnames or []):
        raise BatchRefusedError(400, "the CSV needs a contact_number column")
    valid = [row for row in rows if E164.fullmatch((row.get("contact_number") or "").strip())]
    return valid, len(rows)
