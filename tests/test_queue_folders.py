"""Pure folder logic on a fake filesystem: names, layout, unique paths, the FIFO index."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from daemon import fsutil
from daemon.broker import QueueName, call_id_of
from daemon.brokers.file.layout import ensure, folders, queue_names
from daemon.brokers.file.names import NameIndex as _Index
from daemon.brokers.file.names import is_ignored_name


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("call-1.json", True),
        ("6c972873-19b2-44b0-a6bf-d4f690a7a9cf.json", True),
        ("A_b.C-9", True),
        ("x" * 128, True),
        ("x" * 129, False),
        (".hidden", False),
        ("..", False),
        ("../x.json", False),
        ("a/b.json", False),
        ("sp ace.json", False),
        ("नाम.json", False),
        ("semi;colon", False),
        ("", False),
    ],
)
def test_safe_names(name: str, ok: bool) -> None:
    assert fsutil.is_safe_name(name) is ok


@pytest.mark.parametrize(
    ("name", "ignored"),
    [(".x.json", True), ("x.json.part", True), ("x.tmp", True), ("x~", True), ("x.swp", True), ("x.json", False)],
)
def test_ignored_names(name: str, ignored: bool) -> None:
    assert is_ignored_name(name) is ignored


def test_ensure_creates_the_whole_layout(fs: FakeFilesystem) -> None:
    root = ensure(Path("/srv/callpipe/data"))
    assert sorted(queue_names()) == sorted(q.value for q in QueueName)
    for queue in queue_names():
        f = folders(root, queue)
        for folder in (f.inbox, f.active, f.done, f.deferred, f.dead, f.envelopes):
            assert folder is None or folder.is_dir()
    assert [p.name for p in (folders(root, "transcripts").inbox, folders(root, "results").active)] == [
        "transcripts",
        "delivering",
    ]
    assert folders(root, "intake").inbox is None  # dead letters only
    ensure(root)  # idempotent


def test_unique_path_never_reuses_a_taken_name(fs: FakeFilesystem) -> None:
    folder = Path("/d")
    fs.create_dir(folder)
    first = fsutil.unique_path(folder, "a.json")
    fs.create_file(first)
    second = fsutil.unique_path(folder, "a.json")
    fs.create_file(second)
    assert [first.name, second.name, fsutil.unique_path(folder, "a.json").name] == [
        "a.json",
        "a.json.1",
        "a.json.2",
    ]


def test_index_is_fifo_and_collapses_duplicates() -> None:
    index = _Index()
    for name in ["a", "b", "a", "c", "b"]:
        index.add(name)
    assert len(index) == 3
    assert [index.pop(), index.pop(), index.pop(), index.pop()] == ["a", "b", "c", None]
    index.add("a")  # may come back after being taken
    assert index.pop() == "a"


@pytest.mark.parametrize(
    ("doc", "name", "expected"),
    [
        ({"call_ref_id": "123"}, "f.json", "123"),
        ({"id": "exec-1"}, "f.json", "exec-1"),
        ({"payload": {"call_ref_id": "p1"}}, "f.json", "p1"),
        ([1, 2], "file-9.json", "file-9"),
        ({"call_ref_id": "a\nb"}, "f.json", "a b"),
    ],
)
def test_call_id_for_log_lines(doc: object, name: str, expected: str) -> None:
    assert call_id_of(doc, name) == expected
