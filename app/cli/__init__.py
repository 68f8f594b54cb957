"""The `kintsugi` command line: one sub-command module per topic, wired here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from app.errors import KintsugiError


def _command_modules() -> list[ModuleType]:
    # Imported here, not at module level, so `kintsugi --help` stays fast.
    from app.cli import doctor, env, evolve, functions, heal, server, setup

    return [server, setup, doctor, heal, env, functions, evolve]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kintsugi",
        description="Kintsugi: validated fix pull requests for Python repositories.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _command_modules():
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KintsugiError as error:
        print(f"kintsugi: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
