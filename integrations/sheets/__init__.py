"""The lead sheet the dialer reads and the dialer and intake write: Google Sheets or a local CSV.

sheet = open_sheet(cfg)
for lead in sheet.read():                # one request per dialer cycle
    lead.get("Phone Number")
writer = SheetWriter(sheet, cfg.sheet_flush_seconds)
writer.update(Target(key, Cell("Phone Number"), "990...", hint=lead.row), {"Status": "queued"})
writer.maybe_flush()                     # one batched request every few seconds at most;
                                         # each lead's row is found again just before
"""

from __future__ import annotations

import requests

from daemon.clock import SYSTEM_CLOCK, Clock
from daemon.config import Config
from integrations.sheets.csvfile import CsvSheet
from integrations.sheets.google import GoogleSheet
from integrations.sheets.model import (
    SEED_COLUMNS,
    Cell,
    Lead,
    LeadSheet,
    LeadUpdate,
    SheetError,
    Target,
    WriteReport,
)
from integrations.sheets.writer import SheetWriter

__all__ = [
    "SEED_COLUMNS",
    "Cell",
    "CsvSheet",
    "GoogleSheet",
    "Lead",
    "LeadSheet",
    "LeadUpdate",
    "SheetError",
    "SheetWriter",
    "Target",
    "WriteReport",
    "open_sheet",
]


def open_sheet(cfg: Config, *, session: requests.Session | None = None, clock: Clock = SYSTEM_CLOCK) -> LeadSheet:
    """Google backend when cfg.sheet_url is set (needs cfg.credentials_file), else the CSV backend at cfg.leads_path().
    `session` lets tests inject a session pointed at the local fake server."""
    if not cfg.sheet_url:
        return CsvSheet(cfg.leads_path())
    if cfg.credentials_file is None:
        raise SheetError("SHEET_URL is set, so CREDENTIALS_FILE must name a Google service-account key file")
    return GoogleSheet.open(
        cfg.sheet_url,
        cfg.credentials_file,
        clock=clock,
        transport=session,
        per_minute=cfg.sheet_requests_per_minute,
    )
