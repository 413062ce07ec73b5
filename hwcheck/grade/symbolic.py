"""Symbolic equivalence under a hard time limit.

SymPy's ``simplify`` can run for minutes on input that passed every static
check, so it never runs in the grading process: a small pool of persistent
worker processes does it, and a worker that overruns its budget is killed and
replaced (the next call starts a fresh one). Results are tri-state:
``equal``, ``different`` or ``undecided`` (time-out, or SymPy cannot tell).

Expressions travel by pickle between our own processes; nothing is parsed or
evaluated from text in the worker.

>>> x = sp.Symbol("x")
>>> pool = WorkerPool(size=1)
>>> pool.equivalent(sp.sin(x)**2 + sp.cos(x)**2, sp.Integer(1), timeout=20)
'equal'
>>> pool.run("_sleep", 5, timeout=0.2), pool.kills
('undecided', 1)
>>> pool.equivalent(x + 1, x, timeout=20)      # a fresh worker took over
'different'
>>> pool.close()
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
import time

import sympy as sp


def _decide(a, b) -> str:
    """In the worker: is ``a - b`` zero?"""
    difference = sp.simplify(a - b)
    if difference == 0:
        return "equal"
    if difference.is_number and difference.is_zero is False:
        return "different"
    verdict = a.equals(b)
    return {True: "equal", False: "different"}.get(verdict, "undecided")


def _sleep(seconds) -> str:  # used by the tests to exercise the time-out
    time.sleep(seconds)
    return "equal"


TASKS = {"equivalent": _decide, "_sleep": _sleep}


def _serve(conn) -> None:
    while True:
        try:
            name, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result = TASKS[name](*args) if isinstance(args, tuple) else TASKS[name](args)
        except Exception:  # noqa: BLE001 - any SymPy failure means "cannot tell"
            result = "undecided"
        conn.send(result)


class _Worker:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def call(self, name, args, timeout) -> str | None:
        """The worker's answer, or None after killing it on time-out."""
        try:
            self.conn.send((name, args))
            if self.conn.poll(timeout):
                return self.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            pass
        self.kill()
        return None

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """``size`` persistent workers; a worker that times out is killed and replaced lazily."""

    def __init__(self, size: int = 1):
        methods = multiprocessing.get_all_start_methods()
        self.ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.size = size
        self.idle: list[_Worker] = []
        self.started = 0
        self.kills = 0
        self.calls = 0
        self.lock = threading.Condition()

    def _acquire(self) -> _Worker:
        with self.lock:
            while not self.idle and self.started >= self.size:
                self.lock.wait()
            if self.idle:
                return self.idle.pop()
            self.started += 1
        return _Worker(self.ctx)

    def _release(self, worker: _Worker | None) -> None:
        with self.lock:
            if worker is None:
                self.started -= 1
            else:
                self.idle.append(worker)
            self.lock.notify()

    def run(self, name: str, args, *, timeout: float) -> str:
        self.calls += 1
        worker = self._acquire()
        result = worker.call(name, args, max(0.01, timeout))
        if result is None:
            self.kills += 1
            self._release(None)
            return "undecided"
        self._release(worker)
        return result

    def equivalent(self, a, b, *, timeout: float) -> str:
        """``equal`` / ``different`` / ``undecided`` within ``timeout`` seconds."""
        return self.run("equivalent", (a, b), timeout=timeout)

    def close(self) -> None:
        with self.lock:
            for worker in self.idle:
                worker.kill()
            self.started -= len(self.idle)
            self.idle.clear()


_POOL: WorkerPool | None = None


def pool() -> WorkerPool:
    """The process-wide pool (started on first use, stopped at exit)."""
    global _POOL
    if _POOL is None:
        _POOL = WorkerPool(size=1)
        atexit.register(_POOL.close)
    return _POOL


def _forget_pool() -> None:
    """In a forked child (``hwcheck.parallel``'s workers): the parent's workers are the parent's;
    two processes writing to one worker's pipe would mix up their answers."""
    global _POOL
    _POOL = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
