"""The cyclic garbage collector while a one-spec command starts: off while modules load, then what
they made is frozen.

``hwcheck solve`` spends about a fifth of its time in the collector's passes over objects that
live as long as the process: the modules of SymPy, Jinja2 and hwcheck, some 400,000 objects,
scanned again at every full pass while they load and while the problem is solved. So the command
turns the collector off as it starts (``pause``); once the problem's kind, and with it SymPy, is
imported (``settle``, called by ``kinds.get``), everything made so far is frozen (``gc.freeze``:
no pass scans it again) and the collector is turned back on for the solving itself, whose
cycles are collected as usual. Loading makes no garbage cycles worth a pass.

Only the CLI pauses, and only for commands that load one spec and end (``solve``); the batch
commands keep the collector on and freeze their keys before the workers fork
(``parallel.settled``). In every other use ``settle`` does nothing.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Turn the collector off until ``settle`` (if it is on)."""
    global _paused
    if gc.isenabled() and not _paused:
        gc.disable()
        _paused = True


def settle() -> None:
    """After ``pause``: freeze every object made so far and turn the collector back on."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
