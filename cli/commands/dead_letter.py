"""`python -m daemon dead-letter list|show|retry`: look at dead letters and send them back.

A dead letter is a task that can never succeed as it stands (the bytes as they arrived, or
as the stage last held them), kept beside its reason ("reason:", "queue:", "file:",
"call_id:", "time:"). After fixing the cause (the file, the configuration, the far end),
`retry` sends it back into its queue under its original name, with a fresh delivery record,
so WEBHOOK_MAX_AGE counts from the new attempt. With the file backend these are
DATA_DIR/dead/<queue>/NAME and NAME.reason; the commands work the same on every backend.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from contextlib import closing

import orjson

from cli.output import fmt_age, table, terminal_json, terminal_text
from daemon.broker import Broker, Entry, QueueName, State, UnavailableError
from daemon.brokers import open_broker
from daemon.config import Config
from daemon.fsutil import is_safe_name
from daemon.logs import task

log = logging.getLogger(__name__)

EX_FAILED = 1
EX_USAGE = 2
SHOW_LIMIT = 64 * 1024
QUEUES = [q.value for q in QueueName]
INBOXES = [q.value for q in QueueName if q is not QueueName.INTAKE]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dead-letter",
        help="list, show and retry dead-lettered tasks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = actions.add_parser("list", help="every dead letter with its reason, oldest first")
    ls.add_argument("--queue", choices=QUEUES, help="only this queue's dead letters")
    ls.add_argument("--json", action="store_true", help="one JSON document")
    show = actions.add_parser("show", help="a dead letter's reason and content")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--queue", choices=QUEUES, help="which queue, when NAME is in several")
    retry = actions.add_parser("retry", help="send dead letters back to their queue")
    retry.add_argument("names", nargs="*", metavar="NAME")
    retry.add_argument("--all", action="store_true", help="every dead letter (of --queue, if given)")
    retry.add_argument("--queue", choices=QUEUES, help="only this queue's dead letters")
    retry.add_argument("--to", choices=INBOXES, help="send to this queue instead (intake bodies go to transcripts)")
    p.set_defaults(func=main)


def dead_letters(broker: Broker, queue: str | None = None) -> list[Entry]:
    queues = [queue] if queue else broker.registry.queues()
    found = [e for q in queues for e in broker.registry.entries(q, State.DEAD)]
    return sorted(found, key=lambda e: (e.since, e.queue, e.name))


def _find(broker: Broker, name: str, queue: str | None) -> Entry | str:
    """The dead letter called `name`, or what to tell the user."""
    matches = [e for e in dead_letters(broker, queue) if e.name == name]
    if not matches:
        return f"no dead letter named {name}" + (f" in {queue}" if queue else "")
    if len(matches) > 1:
        return f"{name} is in several queues ({', '.join(e.queue for e in matches)}): add --queue"
    return matches[0]


def _call_id(entry: Entry) -> str:
    recorded = entry.reason.get("call_id", "-")
    return recorded if recorded != "-" else entry.name.rsplit(".", 1)[0]


def retry_one(broker: Broker, entry: Entry, to: str | None = None) -> bool:
    target = to or entry.queue  # the broker refuses what cannot be retried (intake's bodies)
    try:
        name = broker.retry(entry, to)
    except (OSError, UnavailableError, ValueError) as exc:
        log.error("%s/%s: %s; not retried", entry.queue, entry.name, exc, extra=task(_call_id(entry), "not-retried"))
        return False
    log.info("%s/%s back into %s as %s", entry.queue, entry.name, target, name, extra=task(_call_id(entry), "retried"))
    return True


def _list(broker: Broker, args: argparse.Namespace) -> int:
    letters = dead_letters(broker, args.queue)
    if args.json:
        doc = [{"queue": e.queue, "name": e.name, "mtime": e.since, **e.reason} for e in letters]
        sys.stdout.write(terminal_json(doc))
        return 0
    if not letters:
        print("no dead letters" + (f" in {args.queue}" if args.queue else ""))
        return 0
    now = time.time()
    rows = [[e.queue, e.name, fmt_age(now - e.since), e.reason.get("reason", "(no reason)")[:100]] for e in letters]
    print(terminal_text("\n".join(table(["queue", "name", "age", "reason"], rows, "llrl"))))
    return 0


def _show(broker: Broker, args: argparse.Namespace) -> int:
    found = _find(broker, args.name, args.queue)
    if isinstance(found, str):
        print(found, file=sys.stderr)
        return EX_FAILED
    try:
        raw = broker.registry.read(found, SHOW_LIMIT * 16)
    except (OSError, LookupError) as exc:
        # The registry refuses a link or a folder, never following it.
        print(terminal_text(f"{found.queue}/{found.name}: {exc}; not shown"), file=sys.stderr)
        return EX_FAILED
    lines = [f"{found.queue}/{found.name}"]
    lines += [f"{key}: {value}" for key, value in found.reason.items()] or ["(no reason kept)"]
    lines.append("")
    try:
        lines.append(orjson.dumps(orjson.loads(raw), option=orjson.OPT_INDENT_2).decode())
    except orjson.JSONDecodeError:
        lines.append(raw[:SHOW_LIMIT].decode(errors="replace"))
        if len(raw) > SHOW_LIMIT:
            lines.append(f"... ({len(raw) - SHOW_LIMIT} more bytes)")
    # Bodies come from outside: their control characters are shown, never sent to the terminal.
    print(terminal_text("\n".join(lines)))
    return 0


def _retry(broker: Broker, args: argparse.Namespace) -> int:
    if args.all == bool(args.names):
        print("retry: name dead letters, or use --all (with --queue to limit it)", file=sys.stderr)
        return EX_USAGE
    if args.all:
        letters = dead_letters(broker, args.queue)
        if not args.to:
            skipped = [e for e in letters if e.queue == QueueName.INTAKE]
            if skipped:
                log.warning("%d intake bodies left alone (use --queue intake --to transcripts)", len(skipped))
            letters = [e for e in letters if e.queue != QueueName.INTAKE]
        return 0 if all([retry_one(broker, e, args.to) for e in letters]) else EX_FAILED
    ok = True
    for name in args.names:
        found = _find(broker, name, args.queue)
        if isinstance(found, str):
            log.error("%s", found)
            ok = False
            continue
        ok = retry_one(broker, found, args.to) and ok
    return 0 if ok else EX_FAILED


def main(args: argparse.Namespace, cfg: Config) -> int:
    given = [*getattr(args, "names", []), getattr(args, "name", None)]
    bad = [n for n in given if n is not None and not is_safe_name(n)]
    if bad:
        print(terminal_text(f"not a task name: {', '.join(map(repr, bad))}"), file=sys.stderr)
        return EX_USAGE
    with closing(open_broker(cfg)) as broker:
        return {"list": _list, "show": _show, "retry": _retry}[args.action](broker, args)
