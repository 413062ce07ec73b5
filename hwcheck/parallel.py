"""``--jobs N``: an ordered map over worker processes, with the results of a serial loop.

``ordered_map(fn, items, jobs=N)`` gives ``fn(item)`` for every item, in input order, as a
generator, exactly as ``(fn(x) for x in items)`` would; with ``jobs > 1`` the work runs in up to
``jobs`` processes of a ``concurrent.futures.ProcessPoolExecutor``.

- **Forked workers.** Workers are forked from this process, so they inherit what it has built
  (solved keys, compiled templates) and ``fn`` may be any function, a closure too: only the items
  and the results travel, by pickle. With one job or one item, inside a worker, and where
  processes cannot be forked (Windows), the loop runs serially in this process: the same results.
- **Chunks.** Items go to the workers in contiguous chunks that shrink as the work runs out, so
  that the per-task overhead (one message each way) stays small and the workers finish close
  together.
- **Time limits hold in each worker**: a worker runs its tasks in its main thread, where
  ``hwcheck.limits.budget`` arms its own ``SIGPROF`` timer on the worker's CPU time.
- **Errors.** A ``HwcheckError`` (one clear line for the user) raised by ``fn`` in a worker is
  raised here, at its item's place in the order. Any other exception is a bug: that item is done
  again in this process, so the error is raised with its own traceback. ``redo(result)`` names
  results that must be made here too (a result holding a live exception, say).
- **A worker that dies** (killed, out of memory) loses nothing: every item whose result had not
  come back is done again here, serially, in order.

>>> list(ordered_map(abs, [-3, 1, -2], jobs=2))
[3, 1, 2]
>>> list(ordered_map(abs, [], jobs=2))
[]
"""

from __future__ import annotations

import gc
import logging
import math
import os
import pickle
from contextlib import contextmanager
from types import MappingProxyType
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from hwcheck.errors import HwcheckError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

GUIDED = 4  # a chunk is 1/(4 x workers) of the items left
_in_worker = False  # set in each worker: a map inside a task runs serially
_task: Callable | None = None  # the worker's task (inherited through fork, never pickled)
_redo: Callable | None = None
_frozen_here = False  # inside a ``settled`` block that froze the objects (and will hand them back)
FULL_PASS_THRESHOLD = 1_000_000  # gc's third threshold inside ``settled``: middle passes between full ones


def default_jobs() -> int:
    """The number of cores this process may use (the default of ``--jobs``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_jobs(jobs) -> int:
    """``jobs`` as a whole number of at least 1, else a clear ``HwcheckError``."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise HwcheckError(f"jobs must be a whole number of at least 1, found {jobs!r}")
    return jobs


@contextmanager
def settled() -> Iterator[None]:
    """Leave the objects built so far (solved keys, compiled templates, SymPy's caches) out of the
    cyclic garbage collector's passes while the block runs. A full pass over them costs about a
    tenth of a batch's grading time, and in a forked worker it would also copy every memory page
    they sit on. Objects made inside the block are collected as usual; on leaving, the frozen ones
    are handed back to the collector (unless they were frozen before: then they stay so).

    Inside the block the collector also makes no full passes (``FULL_PASS_THRESHOLD``): each would
    scan every row graded so far, about 0.1 s apiece and 6% of a batch. The young generations are
    collected as usual, and they are where a file's cycles die (grading one file leaves some 20
    cyclic objects, none older than the file), so memory stays bounded; the setting is inherited by
    the forked workers and restored on leaving."""
    global _frozen_here
    # a block inside one of ours has nothing to do (and gc.get_freeze_count walks every frozen object)
    if _frozen_here or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    _frozen_here = True
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], FULL_PASS_THRESHOLD))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        _frozen_here = False
        gc.unfreeze()


def _fork_context():
    import multiprocessing

    if _in_worker or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, jobs: int = 1,
                redo: Callable[[R], bool] | None = None) -> Iterator[R]:
    """``fn(item)`` for every item, in order, computed in up to ``jobs`` forked processes."""
    check_jobs(jobs)
    items = list(items)
    workers = min(jobs, len(items))
    context = _fork_context() if workers > 1 else None
    if context is None:
        return (fn(item) for item in items)
    return _pooled(fn, items, workers, context, redo)


def _chunks(n: int, workers: int) -> list[range]:
    """Contiguous chunks that shrink as the work runs out (guided scheduling): each is a
    ``1/(GUIDED * workers)`` share of the items still left, at least one item. The first chunks keep
    the per-task overhead small; the last ones are single items, so no worker waits long at the
    end for another's slow chunk."""
    out, start = [], 0
    while start < n:
        size = max(1, math.ceil((n - start) / (GUIDED * workers)))
        out.append(range(start, min(n, start + size)))
        start += size
    return out


def pickler():
    """The pickler results travel with (``multiprocessing``'s), knowing read-only mappings: frozen
    results hold them (a submission's answers), and they travel as themselves."""
    from multiprocessing.reduction import ForkingPickler

    ForkingPickler.register(MappingProxyType, _mapping_proxy)
    return ForkingPickler


def _pooled(fn, items: Sequence, workers: int, context, redo) -> Iterator:
    pickler()
    with settled():  # the workers inherit the parent's objects frozen: their pages stay shared
        with _collector_paused():
            yield from _pooled_map(fn, items, workers, context, redo)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """While the workers run, this process mostly unpickles their results (in the pool's thread)
    and keeps them: the cyclic garbage collector's passes over those results, which pile up until
    the map ends, cost as much again as the unpickling, on a core the workers need. So the
    collector is paused meanwhile: what this process drops is still freed by reference counting,
    and only cycles wait (grading a file here, when a worker died, leaves some 20 cyclic objects).
    What the map made is frozen when it ends, so that no pass in the caller's remaining work goes
    over it either; the enclosing ``settled`` hands it back to the collector (a block that did not
    freeze, as objects were frozen before it, freezes nothing more)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if _frozen_here:
            gc.freeze()
        gc.enable()


def _pooled_map(fn, items: Sequence, workers: int, context, redo) -> Iterator:
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                               initargs=(fn, redo))
    futures = []
    try:
        for chunk in _chunks(len(items), workers):
            futures.append((chunk, pool.submit(_run_chunk, [items[i] for i in chunk])))
        for chunk, future in futures:
            try:
                outcomes = future.result()
            except Exception:  # noqa: BLE001 - a worker died (BrokenProcessPool), or a result did not pickle
                log.debug("items %s are done in this process", chunk, exc_info=True)
                outcomes = [_AGAIN] * len(chunk)
            for i, outcome in zip(chunk, outcomes):
                yield _settle(outcome, fn, items[i])
    finally:
        # an error, or the caller stopped early: the chunks not started are dropped, and the ones
        # running are let finish (a worker ended while it sends its result would leave half a
        # message in the pipe, and the pool would wait for the rest of it for ever). When every
        # result is in, nothing is left to wait for: the idle workers exit while the caller goes on.
        running = any(not future.done() for _, future in futures)
        pool.shutdown(wait=running, cancel_futures=True)


def _mapping_proxy(proxy):
    return _read_only, (dict(proxy),)


def _read_only(mapping: dict) -> MappingProxyType:
    return MappingProxyType(mapping)


# -- in the worker ---------------------------------------------------------------------------

class _Again:
    """This item is done again in the parent process."""

    def __reduce__(self):
        return "_AGAIN"


_AGAIN = _Again()


def _start_worker(fn, redo) -> None:
    import signal

    global _in_worker, _task, _redo
    _in_worker, _task, _redo = True, fn, redo
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: no traceback per worker


def _run_chunk(chunk: list) -> list:
    outcomes = []
    for item in chunk:
        try:
            result = _task(item)
        except HwcheckError as exc:
            outcomes.append(_Raised.of(exc))
            continue
        except Exception:  # noqa: BLE001 - a bug: the parent runs the item again, for its traceback
            outcomes.append(_AGAIN)
            continue
        outcomes.append(_AGAIN if _redo is not None and _redo(result) else ("ok", result))
    return outcomes


class _Raised:
    """A ``HwcheckError`` sent back without calling its ``__init__`` (``SpecError`` takes four
    arguments, but its pickle would call it with one)."""

    def __init__(self, cls, args, state):
        self.cls, self.args, self.state = cls, args, state

    @classmethod
    def of(cls, exc: HwcheckError):
        raised = cls(type(exc), exc.args, dict(vars(exc)))
        try:
            pickle.dumps(raised)
        except Exception:  # noqa: BLE001 - an attribute that does not pickle: raise it in the parent
            return _AGAIN
        return raised

    def exception(self) -> HwcheckError:
        exc = self.cls.__new__(self.cls, *self.args)
        exc.args = self.args
        vars(exc).update(self.state)
        return exc


def _settle(outcome, fn, item):
    if isinstance(outcome, _Raised):
        raise outcome.exception()
    if isinstance(outcome, tuple):
        return outcome[1]
    return fn(item)  # _AGAIN


__all__ = ["ordered_map", "default_jobs", "check_jobs", "settled", "pickler"]
