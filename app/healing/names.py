"""Names the repository defines anywhere: functions, classes, attributes it assigns."""

from __future__ import annotations

import ast

from app.healing.localise import RepositoryFiles
from app.workspace import RepositoryPathRefused


def repository_names(files: RepositoryFiles, limit_files: int = 2000) -> frozenset[str]:
    names: set[str] = set()
    for path in files.paths[:limit_files]:
        try:
            tree = ast.parse(files.read(path))
        except (SyntaxError, UnicodeDecodeError, OSError, RepositoryPathRefused):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return frozenset(names)
