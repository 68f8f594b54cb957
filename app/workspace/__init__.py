"""Repository content on the host: the only way a repository's files are copied, read or
written, with links kept as links, none followed out of the root, and sizes bounded."""

from app.workspace.copying import CopiedTree, DroppedEntry, copy_repository
from app.workspace.mirroring import (
    DEFAULT_MAX_ENTRIES,
    TooManyEntries,
    count_entries,
    mirror_tree,
)
from app.workspace.names import checkout_dir, full_name_problem
from app.workspace.paths import RepositoryPathRefused, resolve_inside
from app.workspace.reading import (
    MAX_READ_BYTES,
    is_repository_file,
    read_bytes,
    read_text,
    regular_files,
)
from app.workspace.writing import write_text

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "MAX_READ_BYTES",
    "CopiedTree",
    "DroppedEntry",
    "RepositoryPathRefused",
    "TooManyEntries",
    "checkout_dir",
    "copy_repository",
    "count_entries",
    "full_name_problem",
    "is_repository_file",
    "mirror_tree",
    "read_bytes",
    "read_text",
    "regular_files",
    "resolve_inside",
    "write_text",
]
