"""How fast the intake answers a Bolna webhook, beside what answering after a sheet write would cost.

    python bench/intake.py [--calls 200]

Each call posts its five webhooks (initiated ... completed) to a real intake on 127.0.0.1.
Printed side by side: the answer time, and one write of a row to a CSV lead sheet of the
same size (what an inline sheet update, as the seed's script did, adds to every answer; a
Google Sheets write is a network round trip on top). Compare ratios, not absolute figures.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])

import requests

from daemon.config import Secret, load_config
from integrations.sheets import SEED_COLUMNS, CsvSheet
from stages.intake import IntakeStage

STATUSES = ("initiated", "ringing", "in-progress", "call-disconnected", "completed")
TRANSCRIPT = "assistant: Namaste! Aap kaunsa model dekh rahe hain?\nuser:  mujhe Hyundai Creta chahiye\n" * 12


def body(n: int, status: str) -> dict[str, object]:
    phone = f"+9199{n:08d}"
    done = status == "completed"
    return {
        "id": f"bench-{n:06d}",
        "status": status,
        "user_number": phone,
        "created_at": "2026-01-28T13:17:50.116924",
        "conversation_duration": 61.5 if done else 0,
        "transcript": TRANSCRIPT if done else None,
        "summary": "A bench call." if done else None,
        "telephony_data": {"duration": "62" if done else None, "call_type": "outbound", "to_number": phone},
        "context_details": {"recipient_phone_number": phone, "recipient_data": {}},
    }


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return f"p50 {pick(0.5):7.2f} ms   p95 {pick(0.95):7.2f} ms   p99 {pick(0.99):7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        leads = root / "leads.csv"
        with leads.open("w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(SEED_COLUMNS)
            for n in range(args.calls):
                out.writerow([f"Lead {n}", f"+9199{n:08d}"])
        cfg = load_config(
            {"DATA_DIR": str(root / "data"), "LEADS_CSV": str(leads), "INTAKE_PORT": "0"}, env_file=None
        ).replace(intake_token=Secret("bench"))
        stage = IntakeStage(cfg)
        stage.setup()
        assert stage.server is not None
        url = stage.server.url + "/webhook/bolna"
        session = requests.Session()
        answers: list[float] = []
        try:
            for n in range(args.calls):
                for status in STATUSES:
                    start = time.perf_counter()
                    response = session.post(url, json=body(n, status), headers={"X-Callpipe-Token": "bench"})
                    answers.append(time.perf_counter() - start)
                    assert response.status_code == 200, response.text
                stage.run_once()
        finally:
            stage.close()
        sheet = CsvSheet(leads)
        writes = []
        for n in range(min(args.calls, 200)):
            start = time.perf_counter()
            sheet.write({n + 2: {"Status": "completed", "Transcript": TRANSCRIPT}})
            writes.append(time.perf_counter() - start)
    print(f"{len(answers)} webhooks over {args.calls} calls")
    print(f"  intake answer         {percentiles(answers)}")
    print(f"  one CSV sheet write   {percentiles(writes)}   ({len(writes)} writes, sheet of {args.calls} rows)")
    ratio = (statistics.median(answers) + statistics.median(writes)) / statistics.median(answers)
    print(f"  an inline write would make the median answer {ratio:.1f}x slower (Google Sheets: a round trip more)")


if __name__ == "__main__":
    main()
