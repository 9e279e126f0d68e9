"""`python -m daemon dead-letter list|show|retry`: look at dead letters and send them back.

A dead letter is dead/<queue>/NAME (the bytes as they arrived, or as the stage last held
them) beside NAME.reason ("reason:", "queue:", "file:", "call_id:", "time:" lines). After
fixing the cause (the file, the config, the far end), `retry` moves it back into its queue's
inbox, the folder named by <queue>, under its original name, and removes the .reason. A
retried result loses its delivery record, so WEBHOOK_MAX_AGE counts from the new attempt.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from daemon.config import Config
from daemon.logs import escape_controls as shown
from daemon.logs import terminal_json, terminal_text

log = logging.getLogger(__name__)

EX_FAILED = 1
EX_USAGE = 2
SHOW_LIMIT = 64 * 1024


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dead-letter",
        help="list, show and retry dead-lettered tasks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = actions.add_parser("list", help="every dead letter with its reason, oldest first")
    ls.add_argument("--queue", help="only dead/QUEUE/")
    ls.add_argument("--json", action="store_true", help="one JSON document")
    show = actions.add_parser("show", help="a dead letter's reason and content")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--queue", help="which dead/QUEUE/ when NAME is in several")
    retry = actions.add_parser("retry", help="send dead letters back to their queue")
    retry.add_argument("names", nargs="*", metavar="NAME")
    retry.add_argument("--all", action="store_true", help="every dead letter (of --queue, if given)")
    retry.add_argument("--queue", help="only dead/QUEUE/")
    retry.add_argument("--to", metavar="QUEUE", help="send to this queue instead (e.g. intake bodies to transcripts)")
    p.set_defaults(func=main)


class NotRegularError(Exception):
    """A dead letter that is a link, a folder or a device: the queue refused it, and so do we."""


def read_regular(path: Path, limit: int) -> bytes:
    """The first `limit` bytes of a regular file, never through a symbolic link (OSError ELOOP)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # ELOOP on a link
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularError("not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    path: Path
    fields: dict[str, str]  # parsed from NAME.reason; empty when it is missing
    mtime: float

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def reason_path(self) -> Path:
        return self.path.with_name(self.path.name + ".reason")


def parse_reason(text: str) -> dict[str, str]:
    """The "key: value" lines of a .reason file; the first of each key counts."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key.isidentifier():
            fields.setdefault(key, value)
    return fields


def original_name(letter: DeadLetter) -> str:
    """The name it arrived with (dead/ adds .1, .2 on collisions), when that name is safe."""
    from daemon.fsutil import is_safe_name

    recorded = letter.fields.get("file", "")
    return recorded if is_safe_name(recorded) else letter.name


def dead_letters(data_dir: Path, queue: str | None = None) -> list[DeadLetter]:
    from daemon.queue import is_ignored_name

    root = data_dir / "dead"
    queues = [queue] if queue else sorted(e.name for e in _scandir(root) if e.is_dir(follow_symlinks=False))
    letters = []
    for q in queues:
        for entry in _scandir(root / q):
            if entry.name.endswith(".reason") or is_ignored_name(entry.name) or entry.is_dir():
                continue
            path = Path(entry.path)
            try:
                fields = parse_reason(path.with_name(entry.name + ".reason").read_text(errors="replace"))
            except FileNotFoundError:
                fields = {}
            try:
                mtime = entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:
                continue  # retried by someone else meanwhile
            letters.append(DeadLetter(q, path, fields, mtime))
    return sorted(letters, key=lambda d: (d.mtime, d.queue, d.name))


def _scandir(path: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except FileNotFoundError:
        return []


def inbox_for(queue: str) -> str | None:
    from daemon.layout import QUEUES

    return QUEUES[queue][0] if queue in QUEUES else None


def retry_one(cfg: Config, letter: DeadLetter, to: str | None = None) -> bool:
    from daemon import fsutil
    from daemon.commands.replay import without_delivery_record
    from daemon.logs import task

    call_id = letter.fields.get("call_id", "-")
    call_id = call_id if call_id != "-" else letter.name.rsplit(".", 1)[0]
    target = to or letter.queue
    inbox = inbox_for(target)
    if inbox is None:
        log.error(
            "dead/%s/%s: %s is not a queue; use --to transcripts or results",
            letter.queue,
            letter.name,
            target,
            extra=task(call_id, "not-retried"),
        )
        return False
    root = cfg.data_dir
    try:
        raw = read_regular(letter.path, cfg.max_task_bytes + 1)
    except (OSError, NotRegularError) as exc:
        what = "a symbolic link" if isinstance(exc, OSError) and exc.errno == errno.ELOOP else exc
        log.error("dead/%s/%s: %s; not retried", letter.queue, letter.name, what, extra=task(call_id, "not-retried"))
        return False
    dest = fsutil.unique_path(root / inbox, original_name(letter))
    if target == "results":
        raw = without_delivery_record(raw)
        fsutil.atomic_write(root / inbox, dest.name, raw, root / "tmp")
        letter.path.unlink()
    else:
        now = time.time()
        os.utime(letter.path, (now, now))  # it waits from now on, not from when it first arrived
        fsutil.durable_rename(letter.path, dest)
    letter.reason_path.unlink(missing_ok=True)
    log.info("dead/%s/%s back into %s/%s", letter.queue, letter.name, inbox, dest.name, extra=task(call_id, "retried"))
    return True


def _find(cfg: Config, name: str, queue: str | None) -> DeadLetter | str:
    """The dead letter called `name`, or what to tell the user."""
    matches = [d for d in dead_letters(cfg.data_dir, queue) if d.name == name]
    if not matches:
        return f"no dead letter named {name}" + (f" in dead/{queue}/" if queue else "")
    if len(matches) > 1:
        return f"{name} is in several queues ({', '.join(d.queue for d in matches)}): add --queue"
    return matches[0]


def _list(cfg: Config, args: argparse.Namespace) -> int:

    from daemon.commands.status import fmt_age
    from daemon.stats.text import table

    letters = dead_letters(cfg.data_dir, args.queue)
    if args.json:
        doc = [{"queue": d.queue, "name": d.name, "mtime": d.mtime, **d.fields} for d in letters]
        sys.stdout.write(terminal_json(doc))
        return 0
    if not letters:
        print("no dead letters" + (f" in dead/{args.queue}/" if args.queue else ""))
        return 0
    now = time.time()
    rows = [
        [
            shown(d.queue),
            shown(d.name),
            fmt_age(now - d.mtime),
            shown(d.fields.get("reason", "(no .reason file)")[:100]),
        ]
        for d in letters
    ]
    print(terminal_text("\n".join(table(["queue", "name", "age", "reason"], rows, "llrl"))))
    return 0


def _show(cfg: Config, args: argparse.Namespace) -> int:
    import orjson

    found = _find(cfg, args.name, args.queue)
    if isinstance(found, str):
        print(found, file=sys.stderr)
        return EX_FAILED
    try:
        raw = read_regular(found.path, SHOW_LIMIT * 16)
        reason = read_regular(found.reason_path, SHOW_LIMIT).decode(errors="replace").rstrip()
    except FileNotFoundError:
        reason = "(no .reason file)"
    except (OSError, NotRegularError) as exc:
        what = "a symbolic link" if isinstance(exc, OSError) and exc.errno == errno.ELOOP else str(exc)
        print(shown(f"dead/{found.queue}/{found.name}: {what}; not shown"), file=sys.stderr)
        return EX_FAILED
    # Bodies come from outside: their control characters are shown, never sent to the terminal.
    print(shown(f"dead/{found.queue}/{found.name}"))
    print("\n".join(shown(line) for line in reason.splitlines()))
    print()
    try:
        text = orjson.dumps(orjson.loads(raw), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        text = raw[:SHOW_LIMIT].decode(errors="replace")
        if len(raw) > SHOW_LIMIT:
            text += f"\n... ({len(raw) - SHOW_LIMIT} more bytes)"
    print("\n".join(shown(line) for line in text.splitlines()))
    return 0


def _retry(cfg: Config, args: argparse.Namespace) -> int:
    from daemon.layout import ensure

    if args.all == bool(args.names):
        print("retry: name dead letters, or use --all (with --queue to limit it)", file=sys.stderr)
        return EX_USAGE
    if args.to and inbox_for(args.to) is None:
        print(f"--to {args.to}: not a queue", file=sys.stderr)
        return EX_USAGE
    ensure(cfg)
    if args.all:
        letters = dead_letters(cfg.data_dir, args.queue)
        if not args.to:
            skipped = [d for d in letters if inbox_for(d.queue) is None]
            for queue in sorted({d.queue for d in skipped}):
                log.warning("dead/%s/ is not a queue: left alone (use --queue %s --to QUEUE)", queue, queue)
            letters = [d for d in letters if inbox_for(d.queue) is not None]
        return 0 if all([retry_one(cfg, d, args.to) for d in letters]) else EX_FAILED
    ok = True
    for name in args.names:
        found = _find(cfg, name, args.queue)
        if isinstance(found, str):
            log.error("%s", found)
            ok = False
            continue
        ok = retry_one(cfg, found, args.to) and ok
    return 0 if ok else EX_FAILED


def main(args: argparse.Namespace, cfg: Config) -> int:
    from daemon.fsutil import is_safe_name

    given = [*getattr(args, "names", []), getattr(args, "name", None), args.queue, getattr(args, "to", None)]
    bad = [n for n in given if n is not None and not is_safe_name(n)]
    if bad:
        print(f"not a file or queue name: {', '.join(map(repr, bad))}", file=sys.stderr)
        return EX_USAGE
    return {"list": _list, "show": _show, "retry": _retry}[args.action](cfg, args)
