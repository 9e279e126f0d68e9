"""`python -m daemon replay CALL_ID ...`: run a finished call through the pipeline again.

Replay is a copy (DESIGN.md): the call's transcript goes from done/transcripts/ back into
transcripts/, so it is analysed and delivered again; with --deliver-only its stored result
goes from done/results/ into results/ and is only re-sent. The done copy stays. A call is
found by file name (CALL_ID or CALL_ID.json), else by the ids inside the files: call_ref_id
or id of a transcript; payload call_ref_id, payload id or webhook_id of a result. When
several files match, the newest is replayed.

A re-sent result keeps its webhook-id, so a receiver that de-duplicates sees a repeat; a
re-analysed transcript gets the same id too when the payload comes out the same.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from daemon.config import Config

log = logging.getLogger(__name__)

EX_NOT_FOUND = 1
EX_USAGE = 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help="queue finished calls again (transcript, or result with --deliver-only)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("call_ids", nargs="+", metavar="CALL_ID", help="a file name stem, call_ref_id or id")
    p.add_argument("--deliver-only", action="store_true", help="re-send the stored result instead of analysing again")
    p.set_defaults(func=main)


def transcript_ids(doc: Any) -> set[str]:
    """The ids a transcript answers to: native call_ref_id, or a Bolna body's id."""
    if not isinstance(doc, dict):
        return set()
    return {str(doc[k]) for k in ("call_ref_id", "id") if isinstance(doc.get(k), str | int)}


def result_ids(doc: Any) -> set[str]:
    if not isinstance(doc, dict):
        return set()
    ids = {doc["webhook_id"]} if isinstance(doc.get("webhook_id"), str) else set()
    payload = doc.get("payload")
    if isinstance(payload, dict):
        ids |= {str(payload[k]) for k in ("call_ref_id", "id") if isinstance(payload.get(k), str | int)}
    return ids


def _files(folder: Path) -> Iterator[os.DirEntry[str]]:
    from daemon.queue import is_ignored_name

    with os.scandir(folder) as it:
        for entry in it:
            if not is_ignored_name(entry.name) and entry.is_file(follow_symlinks=False):
                yield entry


def find_done(folder: Path, call_id: str, ids_of: Callable[[Any], set[str]], max_bytes: int) -> Path | None:
    """The file for `call_id` in a done folder: by name first, else by the ids inside (newest wins)."""
    import orjson

    for name in (call_id, f"{call_id}.json"):
        path = folder / name
        if path.is_file() and not path.is_symlink():
            return path
    matches = []
    for entry in _files(folder):
        try:
            if entry.stat(follow_symlinks=False).st_size > max_bytes:
                continue
            doc = orjson.loads(Path(entry.path).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        if call_id in ids_of(doc):
            matches.append((entry.stat(follow_symlinks=False).st_mtime, entry.path))
    if len(matches) > 1:
        log.warning("%d files match %s in %s; replaying the newest", len(matches), call_id, folder)
    return Path(max(matches)[1]) if matches else None


def without_delivery_record(raw: bytes) -> bytes:
    """A result as the processor wrote it: a re-send starts a fresh delivery record and lifetime."""
    import orjson

    from stages.delivery import RECORD_KEY

    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw
    if isinstance(doc, dict) and RECORD_KEY in doc:
        del doc[RECORD_KEY]
        return orjson.dumps(doc)
    return raw


def replay_one(cfg: Config, call_id: str, *, deliver_only: bool) -> bool:
    from daemon import fsutil
    from daemon.layout import QUEUES
    from daemon.logs import task

    if not fsutil.is_safe_name(call_id):
        log.error("not a call id: %r (use 1-128 characters of A-Z a-z 0-9 . _ -)", call_id)
        return False
    queue = "results" if deliver_only else "transcripts"
    inbox, active, done = QUEUES[queue]
    root = cfg.data_dir
    found = find_done(root / done, call_id, result_ids if deliver_only else transcript_ids, cfg.max_task_bytes)
    if found is None:
        log.error("no file for this call in %s/", done, extra=task(call_id, "not-found"))
        return False
    name = found.name
    if (root / inbox / name).exists() or any(root.joinpath(active).glob(f"{name}@*")):
        log.error(
            "%s is already queued in %s/ or %s/; not queued twice",
            name,
            inbox,
            active,
            extra=task(call_id, "already-queued"),
        )
        return False
    raw = found.read_bytes()
    if deliver_only:
        raw = without_delivery_record(raw)
    fsutil.atomic_write(root / inbox, name, raw, root / "tmp")
    log.info("replaying %s/%s into %s/", done, name, inbox, extra=task(call_id, "replayed"))
    return True


def main(args: argparse.Namespace, cfg: Config) -> int:
    from daemon import fsutil
    from daemon.layout import ensure

    unsafe = [c for c in args.call_ids if not fsutil.is_safe_name(c)]
    if unsafe:
        for call_id in unsafe:
            log.error("not a call id: %r (use 1-128 characters of A-Z a-z 0-9 . _ -)", call_id)
        return EX_USAGE
    ensure(cfg)
    replayed = [replay_one(cfg, c, deliver_only=args.deliver_only) for c in args.call_ids]
    return 0 if all(replayed) else EX_NOT_FOUND
