"""The repository-content boundary on its own: copies, reads and writes around links."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from app.workspace import (
    RepositoryPathRefused,
    copy_repository,
    is_repository_file,
    read_text,
    regular_files,
    resolve_inside,
    write_text,
)
from tests.security.conftest import Host, escaping_links


def test_a_copy_keeps_inner_links_as_links_and_records_each_escaping_one(
    repo: Path, host: Host, tmp_path: Path
) -> None:
    copied = copy_repository(repo, tmp_path / "copy")

    assert sorted(entry.path for entry in copied.dropped) == sorted(escaping_links(repo, host))
    for path in escaping_links(repo, host):
        assert not os.path.lexists(copied.root / path)
    assert os.readlink(copied.root / "inside_file") == "pkg/core.py"
    assert os.readlink(copied.root / "inside_folder") == "pkg"
    assert (copied.root / "pkg" / "core.py").read_text() == "def add(a, b):\n    return a + b\n"


def test_an_absolute_link_into_the_repository_points_into_the_copy(
    repo: Path, tmp_path: Path
) -> None:
    os.symlink(repo / "pkg" / "core.py", repo / "pkg" / "absolute_inside.py")

    copied = copy_repository(repo, tmp_path / "copy")

    link = copied.root / "pkg" / "absolute_inside.py"
    assert os.readlink(link) == "core.py"
    assert link.resolve() == (copied.root / "pkg" / "core.py").resolve()


def test_a_copy_keeps_the_ignore_patterns_and_file_modes(repo: Path, tmp_path: Path) -> None:
    (repo / ".git").mkdir()
    (repo / ".git" / "config").write_text("[core]\n")
    (repo / "run.sh").write_text("#!/bin/sh\n")
    (repo / "run.sh").chmod(0o755)

    copied = copy_repository(repo, tmp_path / "copy", ignore=shutil.ignore_patterns(".git"))

    assert not (copied.root / ".git").exists()
    assert os.stat(copied.root / "run.sh").st_mode & 0o777 == 0o755


def test_reads_resolve_inside_the_root_or_are_refused_with_the_reason(
    repo: Path, host: Host
) -> None:
    assert read_text(repo, "inside_file") == (repo / "pkg" / "core.py").read_text()
    assert read_text(repo, "inside_folder/core.py") == (repo / "pkg" / "core.py").read_text()
    for path in [*escaping_links(repo, host), "../host/secret.env", "pkg/../../host/secret.env"]:
        with pytest.raises(RepositoryPathRefused) as refused:
            read_text(repo, path)
        assert host.secret not in str(refused.value)
        assert "leaves the repository" in refused.value.reason
        assert not is_repository_file(repo, path)
    with pytest.raises(RepositoryPathRefused, match="absolute path"):
        read_text(repo, str(host.secret_file))
    with pytest.raises(FileNotFoundError):
        read_text(repo, "pkg/missing.py")


def test_a_read_is_bounded_in_size_and_only_of_regular_files(repo: Path) -> None:
    (repo / "big.txt").write_text("x" * 2000)
    os.mkfifo(repo / "pipe")

    with pytest.raises(RepositoryPathRefused, match="larger than 1000 bytes"):
        read_text(repo, "big.txt", max_bytes=1000)
    with pytest.raises(RepositoryPathRefused, match="not a regular file"):
        read_text(repo, "pipe")
    assert read_text(repo, "big.txt", max_bytes=2000) == "x" * 2000


def test_a_chain_of_links_longer_than_the_kernel_allows_is_refused(repo: Path) -> None:
    for index in range(45):
        os.symlink(f"loop{index + 1}", repo / f"loop{index}")

    with pytest.raises(RepositoryPathRefused, match="more than 40 links"):
        resolve_inside(repo, "loop0")


def test_listing_never_names_a_link(repo: Path) -> None:
    listed = list(regular_files(repo))

    assert sorted(listed) == ["pkg/__init__.py", "pkg/core.py", "tests/test_core.py"]


def test_writes_never_follow_a_link(repo: Path, host: Host) -> None:
    before = host.secret_file.read_text()

    with pytest.raises(RepositoryPathRefused, match="writes never follow links"):
        write_text(repo, "dotenv", "overwritten")
    with pytest.raises(RepositoryPathRefused, match="writes never follow links"):
        write_text(repo, "inside_file", "overwritten")
    with pytest.raises(RepositoryPathRefused, match="leaves the repository"):
        write_text(repo, "keys/new_key", "planted")
    with pytest.raises(RepositoryPathRefused, match="leaves the repository"):
        write_text(repo, "../host/new.txt", "planted")

    assert host.secret_file.read_text() == before
    assert sorted(os.listdir(host.secret_dir)) == ["id_rsa"]
    assert not (host.root / "new.txt").exists()
    assert read_text(repo, "pkg/core.py") == "def add(a, b):\n    return a + b\n"


def test_a_write_creates_missing_folders_and_replaces_a_regular_file(repo: Path) -> None:
    write_text(repo, "tests/regression/test_new.py", "def test_new():\n    pass\n")
    write_text(repo, "pkg/core.py", "changed\n")
    write_text(repo, "inside_folder/through_inner_link.py", "kept inside\n")

    assert (repo / "tests" / "regression" / "test_new.py").read_text().startswith("def test")
    assert (repo / "pkg" / "core.py").read_text() == "changed\n"
    assert (repo / "pkg" / "through_inner_link.py").read_text() == "kept inside\n"
