"""Mirroring a run's work directory: exactly what the source holds, links as links, nothing
followed, no set-id bits, and a bound on entries and depth."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.workspace import TooManyEntries, count_entries, mirror_tree

FOLDER = os.O_RDONLY | os.O_DIRECTORY


@contextlib.contextmanager
def opened(*paths: Path) -> Iterator[list[int]]:
    fds = [os.open(path, FOLDER) for path in paths]
    try:
        yield fds
    finally:
        for fd in fds:
            os.close(fd)


def mirror(source: Path, target: Path, **options: int) -> None:
    with opened(source, target) as (from_fd, to_fd):
        mirror_tree(from_fd, to_fd, **options)


def listing(root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink():
            found[name] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            found[name] = "/"
        else:
            found[name] = path.read_text()
    return found


def test_the_target_ends_up_holding_exactly_the_source(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    (source / "pkg" / "deep").mkdir(parents=True)
    (source / "pkg" / "deep" / "mod.py").write_text("new")
    (source / "kept.txt").write_text("same")
    os.symlink("/etc/passwd", source / "host_link")
    os.symlink("pkg/deep", source / "inner_link")
    (target / "pkg").mkdir(parents=True)
    (target / "pkg" / "stale.py").write_text("stale")
    (target / "gone").mkdir()
    (target / "gone" / "file").write_text("gone")
    (target / "inner_link").write_text("a file where the source has a link")
    mirror(source, target)
    assert listing(target) == {
        "host_link": "-> /etc/passwd",
        "inner_link": "-> pkg/deep",
        "kept.txt": "same",
        "pkg": "/",
        "pkg/deep": "/",
        "pkg/deep/mod.py": "new",
    }


def test_a_link_in_the_target_is_replaced_never_followed(tmp_path: Path) -> None:
    source, target, host = tmp_path / "source", tmp_path / "target", tmp_path / "host"
    (source / "reports").mkdir(parents=True)
    (source / "reports" / "junit.xml").write_text("<r/>")
    (source / "notes.txt").write_text("written")
    host.mkdir()
    (host / "notes.txt").write_text("host file")
    target.mkdir()
    os.symlink(host, target / "reports")
    os.symlink(host / "notes.txt", target / "notes.txt")
    mirror(source, target)
    assert os.listdir(host) == ["notes.txt"]
    assert (host / "notes.txt").read_text() == "host file"
    assert not (target / "reports").is_symlink()
    assert (target / "reports" / "junit.xml").read_text() == "<r/>"
    assert (target / "notes.txt").read_text() == "written"


def test_a_changed_file_of_the_same_size_is_copied_again(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    source.mkdir()
    target.mkdir()
    (source / "report.xml").write_text("after")
    (target / "report.xml").write_text("befor")
    os.utime(target / "report.xml", ns=(0, 0))
    mirror(source, target)
    assert (target / "report.xml").read_text() == "after"


def test_set_id_bits_never_reach_the_target(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    source.mkdir()
    target.mkdir()
    (source / "tool").write_text("#!/bin/sh\n")
    os.chmod(source / "tool", 0o6755)
    mirror(source, target)
    mode = stat.S_IMODE((target / "tool").stat().st_mode)
    assert mode == 0o755


def test_devices_fifos_and_sockets_are_left_out(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    source.mkdir()
    target.mkdir()
    os.mkfifo(source / "pipe")
    (source / "file").write_text("x")
    mirror(source, target)
    assert os.listdir(target) == ["file"]


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    source.mkdir()
    target.mkdir()
    for n in range(20):
        (source / f"empty{n}").touch()
    with opened(source) as (fd,):
        assert count_entries(fd, 20) == 20
        with pytest.raises(TooManyEntries):
            count_entries(fd, 19)
    with pytest.raises(TooManyEntries):
        mirror(source, target, max_entries=10)


def test_folders_nested_too_deep_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "source"
    deep = source
    for _ in range(300):
        deep = deep / "d"
    deep.mkdir(parents=True)
    with opened(source) as (fd,), pytest.raises(TooManyEntries, match="deeper"):
        count_entries(fd)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving files away needs root")
def test_an_owner_is_given_everything_created(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "mod.py").write_text("x")
    os.symlink("pkg", source / "link")
    target.mkdir()
    mirror(source, target, owner=71_234)
    for path in (target, target / "pkg", target / "pkg" / "mod.py", target / "link"):
        assert path.lstat().st_uid == 71_234
