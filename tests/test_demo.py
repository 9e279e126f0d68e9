"""`make run` as a person runs it: in a terminal, stopped with Ctrl-C.

One real run of the whole loop (sink, simulator, the four stages) under a pseudo-terminal, with
the shell's usual umask 022 and no LOG_PII. Afterwards: make exited 0, every stage stopped
cleanly, `status` is healthy, the data folder's git-tracked skeleton is untouched, every file
callpipe wrote is 0600 in 0700 folders, and no name, email or phone number reached a log line.
"""

from __future__ import annotations

import csv
import os
import pty
import re
import select
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _checkout_like(folder: Path) -> Path:
    """A git repository holding what a clone has under data/: the .gitignore and the .gitkeep files."""
    folder.mkdir()
    shutil.copy(ROOT / ".gitignore", folder / ".gitignore")
    for sub in ("transcripts", "processing", "results"):
        (folder / "data" / sub).mkdir(parents=True)
        (folder / "data" / sub / ".gitkeep").touch()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-C", str(folder)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "skeleton"], check=True)
    return folder / "data"


def _run_make_in_a_terminal(env: dict[str, str], stop_when: bytes, count: int, timeout: float) -> tuple[int, str]:
    """`make -s run` on a pseudo-terminal; Ctrl-C once `stop_when` has appeared `count` times."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session whose controlling terminal is the pty, as in a shell
        os.umask(0o022)
        os.chdir(ROOT)
        os.execvpe("make", ["make", "-s", "run"], env)
    out = b""
    deadline = time.monotonic() + timeout
    interrupted = False
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break  # the terminal closed: everything on it has exited
                if not chunk:
                    break
                out += chunk
            if not interrupted and (out.count(stop_when) >= count or time.monotonic() > deadline):
                os.write(fd, b"\x03")  # what the terminal sends for Ctrl-C
                interrupted = True
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def _personal_data(data: Path) -> set[str]:
    """Every name, email and phone number the run handled: the lead sheet's and the payloads'."""
    found: set[str] = set()
    with (ROOT / "samples" / "leads.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            found.add(row["Name"])
            found.add(re.sub(r"\D", "", row["Phone Number"])[-10:])
    for path in (data / "sink").glob("*.json"):
        for item in orjson.loads(path.read_bytes())["response_data"]:
            if item["key_value"] in ("name", "email") and item["key_response"]:
                found.add(item["key_response"])
    return found


def test_ctrl_c_on_make_run_stops_everything_cleanly_and_leaks_nothing(tmp_path: Path) -> None:
    data = _checkout_like(tmp_path / "checkout")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LOG_", "DATA_DIR"))},
        "DATA_DIR": str(data),
        "SINK_PORT": str(_free_port()),
        "SIMULATOR_PORT": str(_free_port()),
        "INTAKE_PORT": str(_free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    samples = len(list((ROOT / "samples" / "transcripts").glob("*.json")))
    # Stop once the samples are delivered and the dialer has rung someone: every stage is busy.
    code, output = _run_make_in_a_terminal(env, b" delivered ", samples + 1, timeout=60)

    assert code == 0, output[-3000:]
    assert "Interrupt" not in output  # make's own word when it is killed by the signal
    for stage in ("dialer", "intake", "processor", "delivery"):
        assert re.search(rf" {stage} INFO .* stopped cleanly", output), f"{stage} did not stop cleanly"

    status = subprocess.run(
        [sys.executable, "-m", "daemon", "status"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert status.returncode == 0, status.stdout + status.stderr

    git = subprocess.run(["git", "-C", str(data.parent), "status", "--porcelain"], capture_output=True, text=True)
    assert git.stdout == "", "make run left the checkout dirty:\n" + git.stdout
    for sub in ("transcripts", "processing", "results"):
        assert (data / sub / ".gitkeep").is_file()

    written = [p for p in data.rglob("*") if not p.name.startswith(".") or p.is_dir()]
    assert len(written) > 20
    for path in [data, *written]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_dir():
            assert mode == 0o700, f"{path.relative_to(data)} is {mode:o}"
        elif path.is_file():
            assert mode == 0o600, f"{path.relative_to(data)} is {mode:o}"

    personal = _personal_data(data)
    assert len(personal) > 15  # the check below means something only if there was data to leak
    leaked = sorted(value for value in personal if value in output)
    assert leaked == [], f"personal data in the log: {leaked}"
