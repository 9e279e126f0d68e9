"""The stats report as terminal tables, and as a JSON document. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from cli.output import table
from cli.stats.compute import Report, Spread


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _spread_row(label: str, spread: Spread) -> list[str]:
    return [label, str(spread.count), num(spread.mean), num(spread.median), num(spread.p90), num(spread.max)]


def render_text(report: Report, *, header: Sequence[str] = ()) -> str:
    """The seven metrics, one titled table each."""
    n = report.calls
    out = [*header]
    window = f", started {report.first_start} .. {report.last_start}" if report.first_start else ""
    out.append(f"{n} calls{window}")
    if not n:
        return "\n".join(out) + "\n"

    out += ["", "1. Completion rate (name, model and email all verified)"]
    out += table(["", "calls", "share"], [["complete", str(report.complete), pct(report.complete, n)]])

    out += ["", "2. Drop-off by stage"]
    dropped = sum(report.dropoff.values())
    rows = [[stage, str(count), pct(count, n)] for stage, count in report.dropoff.items()]
    rows.append(["no drop-off", str(n - dropped), pct(n - dropped, n)])
    out += table(["stage", "calls", "share"], rows)

    out += ["", "3. Average attempts per field"]
    out += table(
        ["field", "calls", "attempts", "avg", "asked", "avg when asked"],
        [
            [a.field, str(a.calls), str(a.attempts), num(a.mean, 2), str(a.asked), num(a.mean_when_asked, 2)]
            for a in report.attempts
        ],
    )

    out += ["", "4. Language distribution (conversational)"]
    out += table(["language", "calls", "share"], [[k, str(v), pct(v, n)] for k, v in report.languages.items()])

    out += ["", f"5. Dealer routing reasons ({report.routed} of {n} routed to a dealer)"]
    out += table(["reason", "calls", "share"], [[k, str(v), pct(v, n)] for k, v in report.routing_reasons.items()])

    out += ["", "6. Call duration by outcome (seconds)"]
    out += table(
        ["outcome", "calls", "mean", "median", "p90", "max"],
        [_spread_row(o, s) for o, s in report.duration_by_outcome.items() if s.count or o != "other"],
    )

    out += ["", "7. Response time per attempt (seconds, end_time - start_time)"]
    rows = [_spread_row(f, s) for f, s in report.response_time_by_field.items()]
    rows.append(_spread_row("all fields", report.response_time))
    out += table(["field", "attempts", "mean", "median", "p90", "max"], rows)
    if report.skipped_attempts:
        out.append(f"  ({report.skipped_attempts} attempts without usable times left out)")
    return "\n".join(out) + "\n"


def report_document(report: Report, **extra: Any) -> dict[str, Any]:
    """The report as plain JSON-able data, with shares beside counts."""
    doc = asdict(report)
    doc["duration_histogram"] = [{"bucket": label, "calls": counts} for label, counts in report.duration_histogram]
    doc["dropoff_rate"] = {stage: report.rate(count) for stage, count in report.dropoff.items()}
    doc.update(extra)
    return doc
