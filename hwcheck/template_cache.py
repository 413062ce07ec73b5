"""Compiled templates kept across runs, so that a command does not compile its templates again.

Jinja2 turns each template into Python code; compiling that code costs more than rendering a
solution. ``bytecode_cache()`` keeps the compiled code in a per-user cache folder
(``cache_folder()``). Jinja2 keys each entry by the template's file and checks the checksum of its
source, so an edited template is compiled afresh. A folder that cannot be made, read or written
only costs the compile, never an error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import jinja2


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """The cache for a Jinja2 environment (``bytecode_cache=``); None when there is no folder for it."""
    folder = cache_folder()
    return None if folder is None else _QuietBytecodeCache(str(folder))


def cache_folder() -> Path | None:
    """hwcheck's per-user cache of compiled templates: ``$HWCHECK_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/hwcheck`` or ``~/.cache/hwcheck``; one subfolder per Jinja2 and Python version.
    ``None`` when it cannot be made (no home folder, a file in the way, a read-only disk)."""
    try:
        root = os.environ.get("HWCHECK_CACHE_DIR") or \
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hwcheck"
        folder = Path(root) / f"templates-jinja{jinja2.__version__}-py{sys.version_info[0]}.{sys.version_info[1]}"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (OSError, RuntimeError):
        return None
    return folder


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's file cache, where a failure to read or write an entry means compiling again."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - unreadable or damaged: the template is compiled instead
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:  # read-only or full: the next run compiles again
            pass
