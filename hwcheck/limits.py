"""Limits that no real exercise reaches, and a hard-stopped time budget.

Two lines of defence keep hostile or careless input from hanging a run:

* **static bounds**, checked before any work: sizes of matrices and lists, steps,
  epochs, layers, digits and magnitudes of numbers. They keep every single
  big-integer operation (which Python cannot interrupt) short;
* **a time budget**, ``budget(seconds)``: the block is interrupted when the time
  is up. The time is the CPU time of the process (so a busy machine does not make a
  problem fail). In the main thread of a Unix process a ``SIGPROF`` timer does it
  (``setitimer(ITIMER_PROF)``; re-fired every 50 ms in case library code swallows the first);
  elsewhere (another thread, Windows) a watchdog thread raises the same
  exception in the working thread (``PyThreadState_SetAsyncExc``). Budgets nest:
  the sooner deadline wins and each ``with`` block reports only its own expiry,
  as ``Expired``.

The command-line tool adds a last resort (``hard_exit``): if a budget has not
stopped the work ``GRACE`` seconds after its deadline (one long C-level
operation), a forked watchdog prints the one-line error and ends the process.

>>> try:
...     with budget(0.05):
...         while True:
...             pass
... except Expired as exc:
...     print(exc.seconds)
0.05
>>> with budget(5):
...     sum(range(10))
45
>>> shorten("x" * 100_000)
'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (100,000 characters)'
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager, nullcontext

# -- problem specs (hwcheck validate / solve / key) ------------------------------------
SOLVE_SECONDS = 20.0  # default time budget for checking and solving one spec (--timeout)
GRACE = 5.0  # the CLI exits this long after a budget that could not interrupt the work
MAX_SPEC_BYTES = 2_000_000  # a spec file larger than this is refused
MAX_ID_LENGTH = 100  # characters of a problem id (ids become file names: <id>-compare.svg)
MAX_TEXT = 100_000  # characters of a title or statement
MAX_EXPRESSION = 2_000  # characters of an expression in a spec
MAX_NUMBER_DIGITS = 100  # significant digits of a number in a spec
MAX_MAGNITUDE = 100  # |decimal exponent| of a nonzero number in a spec: 1e-100 <= |x| <= 1e100
MAX_ENTRIES = 16_384  # entries of one matrix or vector (128 x 128)
MAX_LIST = 10_000  # items of one list (layers, gradients, compare runs, data points)
MAX_INT = 10**9  # any whole number (steps, epochs, sizes, stride)
MAX_POINTS = 10**6  # points of one part
MAX_UPDATES = 100_000  # updates of one optimizer trace or SGD run (steps x runs, epochs x batches)
MAX_LAYERS = 100  # layers of one MLP
MAX_WEIGHTS = 10_000  # weights of one MLP, all layers (exact arithmetic: each is a SymPy number)
MAX_WORK = 20_000_000  # rough count of multiply-adds one solve may need (matrix sizes x layers)


class Expired(Exception):
    """A ``budget`` block ran out of time; ``seconds`` is the budget."""

    def __init__(self, seconds: float):
        super().__init__(f"ran past its time budget of {seconds:g} s")
        self.seconds = seconds


class _Alarm(BaseException):
    """Raised inside the work when a budget ends. A BaseException, so that library code's
    ``except Exception`` does not swallow it; ``budget`` turns its own into ``Expired``."""

    token: object = None


_frames: list["_SignalBudget"] = []  # budgets open in the main thread, outermost first
_previous_handler = None
REFIRE = 0.05  # seconds between repeated alarms once a deadline has passed


def _signals_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _on_alarm(signum, frame):
    if _closing(frame):  # a budget is being taken off right now: raising there would leave it open
        return  # the timer fires again in REFIRE s (or was just re-armed for the budgets left)
    now = time.process_time()
    for f in _frames:  # the outermost expired budget wins: its block is the one that must end
        if f.deadline <= now + 0.001:
            alarm = _Alarm()
            alarm.token = f.token
            raise alarm
    _arm()  # fired early (a timer reset by other code): wait for the real deadline


def _closing(frame) -> bool:
    """Whether the interrupted code is a budget's own exit."""
    while frame is not None:
        if frame.f_code in _EXIT_CODES:
            return True
        frame = frame.f_back
    return False


def _arm() -> None:
    if not _frames:
        signal.setitimer(signal.ITIMER_PROF, 0)
        return
    remaining = min(f.deadline for f in _frames) - time.process_time()
    signal.setitimer(signal.ITIMER_PROF, max(remaining, 0.0005), REFIRE)


def budget(seconds: float | None):
    """Interrupt the block after ``seconds`` and raise ``Expired`` (no limit: None, 0 or inf)."""
    if seconds is None or seconds <= 0 or math.isinf(seconds):
        return nullcontext()
    if _signals_usable():
        return _SignalBudget(seconds)
    return _thread_budget(seconds)


class _SignalBudget:
    """A budget kept by the process's ``SIGPROF`` timer. A class rather than a generator, so that
    its exit is one method the alarm handler recognises (``_closing``): an alarm that arrives as the
    block ends never stops the budget from being taken off, which would leave it alarming every
    later budget of the process."""

    __slots__ = ("deadline", "token", "seconds")

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = 0.0
        self.token = object()

    def __enter__(self) -> "_SignalBudget":
        global _previous_handler
        self.deadline = time.process_time() + self.seconds
        if not _frames and signal.getsignal(signal.SIGPROF) is not _on_alarm:
            _previous_handler = signal.signal(signal.SIGPROF, _on_alarm)
        _frames.append(self)
        _arm()
        return self

    def __exit__(self, kind, exc, traceback) -> bool:
        global _previous_handler
        if self in _frames:
            _frames.remove(self)
        _arm()
        if not _frames and callable(_previous_handler):  # someone else's handler (a profiler): give it back
            signal.signal(signal.SIGPROF, _previous_handler)
            _previous_handler = None
        # otherwise ours stays installed (harmless with no budget open), which saves two calls per part
        if isinstance(exc, _Alarm) and exc.token is self.token:
            raise Expired(self.seconds) from None
        return False


_EXIT_CODES = frozenset({_SignalBudget.__exit__.__code__, _arm.__code__})


def _forget_budgets() -> None:
    """In a forked child: the parent's budgets are the parent's (its timer is not inherited)."""
    _frames.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_budgets)


@contextmanager
def _thread_budget(seconds: float):
    import ctypes

    token = object()
    alarm = type("_Alarm", (_Alarm,), {"token": token})
    tid = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def fire():
        with lock:
            if not state["done"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(alarm))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except _Alarm as exc:
        if exc.token is not token:
            raise
        raise Expired(seconds) from None
    finally:
        with lock:
            state["done"] = True
            timer.cancel()
            if state["fired"]:  # not raised yet: withdraw it
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None)


# -- the command line's last resort ----------------------------------------------------

class _HardExit:
    enabled = False  # set by the CLI; a library caller's process is never ended


def enable_hard_exit() -> None:
    _HardExit.enabled = True


@contextmanager
def hard_exit(seconds: float | None, message: str):
    """With the CLI's consent: if the block is still running ``GRACE`` s after ``seconds``,
    print ``error: <message>`` and end the process (the budget could not interrupt it: one long
    C-level operation holds the interpreter). A forked watchdog does it, since no thread of a
    process whose interpreter is held can run; the exit status is then 137 (killed)."""
    if not _HardExit.enabled or seconds is None or seconds <= 0 or math.isinf(seconds) \
            or not hasattr(os, "fork"):
        yield
        return
    import select

    parent = os.getpid()
    line = f"error: {message}\n".encode("utf-8", "replace")
    read_end, write_end = os.pipe()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:  # the watchdog: wait for the pipe to close, or for the parent's deadline
        try:
            os.close(write_end)
            start = _cpu_of(parent)
            waited = 0.0
            while True:
                ready, _, _ = select.select([read_end], [], [], 0.25)
                if ready:
                    break
                waited += 0.25
                used = waited if start is None else (_cpu_of(parent) or 0.0) - start
                if used > seconds + GRACE or waited > 10 * (seconds + GRACE):
                    os.write(2, line)
                    os.kill(parent, signal.SIGKILL)
                    break
        finally:
            os._exit(0)
    os.close(read_end)
    try:
        yield
    finally:
        os.close(write_end)
        try:
            os.waitpid(child, 0)
        except ChildProcessError:
            pass


def _cpu_of(pid: int) -> float | None:
    """CPU seconds a process has used (Linux ``/proc``), or None where that cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# -- messages ----------------------------------------------------------------------------

ECHO = 60  # characters of a long value echoed in a message


def shorten(text: str, width: int = ECHO) -> str:
    """``text`` for a message: whole when short, else its first ``width`` characters, cut at a
    word boundary when one is near, and the full length."""
    text = str(text)
    if len(text) <= width:
        return text
    head = text[:width]
    space = head.rfind(" ")
    if space >= width * 2 // 3:
        head = head[:space]
    return f"{head}… ({len(text):,} characters)"


def digits_of(n: int) -> int:
    """Decimal digits of ``|n|`` without converting it to text (no 4,300-digit limit, no cost)."""
    n = abs(int(n))
    if n < 10:
        return 1
    estimate = int(n.bit_length() * 0.30102999566398120) + 1
    return estimate if n >= 10 ** (estimate - 1) else estimate - 1


def power_digits(base, exponent) -> int:
    """Digits of the numerator or denominator that ``base ** exponent`` would have, for a
    rational base and an integer exponent (0 otherwise): ``(1 + 10^-9)^1000`` is small in
    size but has 9,000-digit terms, and powers of it grow them a hundredfold."""
    if not (getattr(base, "is_Rational", False) and getattr(exponent, "is_Integer", False)):
        return 0
    return max(digits_of(base.p), digits_of(base.q)) * abs(int(exponent))


def literal_too_large(literal: str, max_digits: int) -> bool:
    """A number literal whose decimal exponent goes beyond ``max_digits`` (``1e999999999``
    would be built as an exact integer of a billion digits)."""
    mantissa, sep, exponent = literal.lower().partition("e")
    if not sep:
        return False
    exponent = exponent.lstrip("+-")
    return not exponent.isdigit() or len(exponent) > 6 or int(exponent) > max_digits + len(mantissa)


def resource_problem(exc: BaseException) -> str | None:
    """What to tell the user when solving ran into a resource limit, or None for a real bug."""
    text = str(exc)
    if isinstance(exc, ValueError) and ("integer string conversion" in text or "Exceeds the limit" in text):
        return "a number of more than 4,300 digits while solving"
    if isinstance(exc, OverflowError):
        return "a number too large for floating point while solving"
    if isinstance(exc, MemoryError):
        return "more memory than this machine has"
    if isinstance(exc, RecursionError):
        return "an expression nested too deeply to handle"
    return None


def check_count(count: int, most: int, what: str, key: str) -> None:
    """Refuse a spec whose work would exceed a limit: ``Invalid`` naming ``key``
    (for the kinds' ``check(given, parts)``)."""
    from hwcheck.errors import Invalid

    if count > most:
        raise Invalid(f"{what} of at most {most:,} (hwcheck's limit; README, 'Limits')", f"{count:,}", key=key)


# -- grading --------------------------------------------------------------------------------

PART_MARGIN = 1.0  # the hard stop of a part comes this long after its symbolic budget


def part_budget(work, seconds: float, *, key, outcome):
    """Run ``work(stage)`` for one graded part under a hard budget of ``seconds + PART_MARGIN``
    (parsing, conversion and comparison together; SymPy's own worker is stopped at ``seconds``).
    Past it: ``invalid`` (``too_slow``) while the answer was being read, ``needs_review`` once
    it was read (``work`` sets ``stage["read"]``)."""
    stage: dict = {}
    try:
        with budget(seconds + PART_MARGIN):
            return work(stage)
    except Expired as exc:
        from hwcheck.grade.compare import Comparison
        from hwcheck.grade.parse import Unreadable
        from hwcheck.grade.values import leaves

        if stage.get("read"):
            n = leaves(key)
            return outcome("needs_review", 0.0, Comparison(total=n, right=0, undecided=n))
        return outcome("invalid", 0.0, unreadable=Unreadable("too_slow", limit=f"{exc.seconds:g}"))
