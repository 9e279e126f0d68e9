"""The `stats --html` report rendered by a real headless Chromium (Debian's `chromium`).

The DOM dump shows the four charts are in the page; the screenshot shows they are drawn, and
drawn to scale: each chart's colour covers an area in proportion to the counts it shows.
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

from cli.main import main as cli_main
from tests.test_stats import write_dataset

pytestmark = pytest.mark.slow  # two Chromium runs

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
# Bar colours of daemon/stats/html.py, as RGB.
FUNNEL = (0x74, 0xA9, 0xD8)
LANGUAGES = (0x79, 0x50, 0xF2)
ROUTING = (0x1C, 0x7E, 0xD6)
COMPLETE, PARTIAL, FAILED = (0x2F, 0x9E, 0x44), (0xF0, 0x8C, 0x00), (0xE0, 0x31, 0x31)
BACKGROUND = (0xF5, 0xF7, 0xFA)


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB or RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + prev[i]) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
            elif kind == 4:
                up_left = prev[i - channels] if i >= channels else 0
                p = left + prev[i] - up_left
                pa, pb, pc = abs(p - left), abs(p - prev[i]), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else prev[i] if pb <= pc else up_left
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line) if channels == 3 else bytes(b for j, b in enumerate(line) if j % 4 != 3))
        prev = line
    return width, height, rows


def colour_counts(rows: list[bytes]) -> Counter[tuple[int, int, int]]:
    counts: Counter[tuple[int, int, int]] = Counter()
    for row in rows:
        counts.update(zip(row[0::3], row[1::3], row[2::3], strict=True))
    return counts


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Counter[tuple[int, int, int]], int]:
    if not CHROMIUM.exists():
        pytest.fail(
            "this test renders the HTML report in headless Chromium: install Debian's package with "
            "`apt-get install -y chromium` (CI: add it to .ci/run before `make test`)"
        )
    tmp = tmp_path_factory.mktemp("report")
    data_dir = tmp / "data"
    write_dataset(data_dir)
    report = tmp / "report.html"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATA_DIR", str(data_dir))
        mp.setenv("TIMEZONE", "Asia/Kolkata")
        assert cli_main(["--env-file", "/nonexistent/.env", "stats", "--html", str(report)]) == 0
    profile = ["--user-data-dir=" + str(tmp / "profile")]
    url = report.as_uri()
    dom = subprocess.run(
        [str(CHROMIUM), *FLAGS, *profile, "--dump-dom", url], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    shot = tmp / "report.png"
    # Half scale keeps the pure-Python PNG decoding quick; bar interiors keep their exact colour.
    subprocess.run(
        [
            str(CHROMIUM),
            *FLAGS,
            *profile,
            "--force-device-scale-factor=0.5",
            "--window-size=1200,1600",
            f"--screenshot={shot}",
            url,
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    width, height, rows = decode_png(shot.read_bytes())
    assert (width, height) == (600, 800)
    return dom, colour_counts(rows), width * height


def test_dom_holds_the_four_charts_with_their_bars(rendered: tuple[str, Counter, int]) -> None:
    dom, _, _ = rendered
    charts = dict(re.findall(r'<svg class="chart" data-chart="(\w+)"(.*?)</svg>', dom, re.S))
    assert sorted(charts) == ["durations", "funnel", "languages", "routing"]
    bars = {name: re.findall(r'<rect class="bar"[^>]*width="([\d.]+)"', body) for name, body in charts.items()}
    assert len(bars["funnel"]) == 5  # all calls, past greeting, past name, past model, no drop-off
    assert len(bars["languages"]) == 3  # hindi, english, tamil
    assert len(bars["routing"]) == 5  # the five routing reasons
    assert len(bars["durations"]) == 7  # non-empty (bucket, outcome) cells of the histogram
    assert all(float(w) > 0 for ws in bars.values() for w in ws)


def test_screenshot_shows_each_chart_drawn_to_scale(rendered: tuple[str, Counter, int]) -> None:
    _, colours, total = rendered
    assert colours[BACKGROUND] < total * 0.9, "the page is (nearly) blank"
    for colour in (FUNNEL, LANGUAGES, ROUTING, COMPLETE, PARTIAL, FAILED):
        assert colours[colour] > 100, f"no chart drawn in #{bytes(colour).hex()}"
    # Durations (all 18 calls): complete, partial and failed hold 6 calls each, so their columns
    # cover the same area (the 12 px legend squares are a small, equal addition to each).
    assert colours[COMPLETE] == pytest.approx(colours[PARTIAL], rel=0.05)
    assert colours[COMPLETE] == pytest.approx(colours[FAILED], rel=0.05)
    # Languages: bars of 10, 7 and 1 calls; routing: 6, 6, 3, 2 and 1. Bars are equally tall and
    # the longest spans the full width, so the areas are as 18/10 spans to 18/6 spans.
    language_span = colours[LANGUAGES] / (18 / 10)
    routing_span = colours[ROUTING] / (18 / 6)
    assert language_span == pytest.approx(routing_span, rel=0.05)
