"""The stats report as one self-contained HTML page with inline SVG charts. Pure.

The page loads nothing: no scripts, fonts, images or styles from elsewhere, and its
Content-Security-Policy forbids it, so it opens the same from a mail attachment or a
machine without network access.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from cli.stats import svg
from cli.stats.compute import Report, Spread
from cli.stats.text import num, pct

OUTCOME_COLORS = {"complete": "#2f9e44", "partial": "#f08c00", "failed": "#e03131", "other": "#868e96"}
FUNNEL_STEPS = (
    ("ivr", "Past the greeting"),
    ("name", "Past the name question"),
    ("model", "Past the model question"),
)

_STYLE = """
body{margin:0;background:#f5f7fa;color:#1f2933;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:1160px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:15px;margin:0 0 12px}
.sub{color:#616e7c;margin:0 0 20px}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-bottom:16px}
.tile,.card{background:#fff;border:1px solid #d9e2ec;border-radius:8px;padding:14px 16px}
.tile b{display:block;font-size:24px}.tile span{color:#616e7c}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin-bottom:16px}
.card svg{max-width:100%;height:auto}
table{border-collapse:collapse;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #e4e7eb}
th{text-align:left;color:#616e7c;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
"""


def funnel_steps(report: Report) -> list[tuple[str, int]]:
    """Calls still on the line after each drop-off point, in the order the bot asks."""
    steps = [("All calls", report.calls)]
    remaining = report.calls
    for stage, label in FUNNEL_STEPS:
        remaining -= report.dropoff.get(stage, 0)
        steps.append((label, remaining))
    steps.append(("No drop-off", report.calls - sum(report.dropoff.values())))
    return steps


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th class="{"n" if i else ""}">{escape(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"n" if i else ""}">{escape(c)}</td>' for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _spread_cells(label: str, s: Spread) -> list[str]:
    return [label, str(s.count), num(s.mean), num(s.median), num(s.p90), num(s.max)]


def _card(title: str, content: str) -> str:
    return f'<section class="card"><h2>{escape(title)}</h2>{content}</section>'


def render_html(report: Report, *, title: str, subtitle: str) -> str:
    n = report.calls
    tiles = [
        ("calls", str(n)),
        ("completion rate", pct(report.complete, n)),
        ("routed to a dealer", pct(report.routed, n)),
        ("median response time", f"{num(report.response_time.median)} s"),
    ]
    tiles_html = "".join(f'<div class="tile"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for k, v in tiles)
    charts = [
        _card(
            "Drop-off funnel",
            svg.funnel("funnel", "Calls remaining after each drop-off point", funnel_steps(report), color="#74a9d8"),
        ),
        _card(
            "Call duration distribution",
            svg.stacked_columns(
                "durations",
                "Calls per duration range, by outcome",
                report.duration_histogram,
                {o: c for o, c in OUTCOME_COLORS.items() if o != "other" or report.outcomes.get("other")},
            ),
        ),
        _card(
            "Language distribution",
            svg.hbars(
                "languages",
                "Calls per conversational language",
                list(report.languages.items()),
                color="#7950f2",
                value_label=lambda v: f"{v} ({pct(v, n)})",
            ),
        ),
        _card(
            "Dealer routing reasons",
            svg.hbars(
                "routing",
                "Calls per dealer routing reason",
                list(report.routing_reasons.items()),
                color="#1c7ed6",
                value_label=lambda v: f"{v} ({pct(v, n)})",
            ),
        ),
    ]
    attempts = _table(
        ["field", "calls", "attempts", "avg", "asked", "avg when asked"],
        [
            [a.field, str(a.calls), str(a.attempts), num(a.mean, 2), str(a.asked), num(a.mean_when_asked, 2)]
            for a in report.attempts
        ],
    )
    dropoff = _table(
        ["drop-off stage", "calls", "share"],
        [
            *([stage, str(count), pct(count, n)] for stage, count in report.dropoff.items()),
            ["no drop-off", str(n - sum(report.dropoff.values())), pct(n - sum(report.dropoff.values()), n)],
        ],
    )
    durations = _table(
        ["outcome", "calls", "mean s", "median s", "p90 s", "max s"],
        [_spread_cells(o, s) for o, s in report.duration_by_outcome.items() if s.count or o != "other"],
    )
    responses = _table(
        ["field", "attempts", "mean s", "median s", "p90 s", "max s"],
        [
            *(_spread_cells(f, s) for f, s in report.response_time_by_field.items()),
            _spread_cells("all fields", report.response_time),
        ],
    )
    tables = [
        _card("Drop-off by stage", dropoff),
        _card("Average attempts per field", attempts),
        _card("Call duration by outcome", durations),
        _card("Response time per attempt (end - start)", responses),
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body><main>"
        f'<h1>{escape(title)}</h1><p class="sub">{escape(subtitle)}</p>'
        f'<div class="tiles">{tiles_html}</div>'
        f'<div class="grid">{"".join(charts)}</div>'
        f'<div class="grid">{"".join(tables)}</div>'
        "</main></body></html>\n"
    )
