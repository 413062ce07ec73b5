"""Writing files so that no reader sees half of one: single files (``write_atomic``), folders
swapped in one rename (``publish_folder``), and an ``OSError`` turned into one line (``writing``)."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from hwcheck.errors import HwcheckError


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` through a temporary file, so no reader sees half of it.

    The file gets the mode an ordinary ``open()`` would give it: the mode of the file it
    replaces, or 0666 less the umask for a new file. A path that exists and is not a regular
    file (``/dev/null``, a pipe) is written directly: replacing it would destroy it. ``OSError``
    (a read-only folder, a full disk) is left to the caller; ``writing`` turns it into one line.
    """
    path = Path(path)
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if path.exists() and not path.is_file():
        with open(path, "wb") as f:
            f.write(data)
        return
    mode = file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:60]}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode) if hasattr(os, "fchmod") else None
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def place(staged: str | Path, path: str | Path, new_mode: int | None = None) -> None:
    """Move the finished file ``staged`` (in ``path``'s folder) to ``path`` in one step, with the mode
    ``write_atomic`` would give it (``new_mode``: that of a new file, when the caller knows it). A
    path that exists and is not a regular file gets the bytes written into it, as in ``write_atomic``."""
    import stat

    staged, path = Path(staged), Path(path)
    try:
        found = os.stat(path)
    except FileNotFoundError:
        mode = new_mode if new_mode is not None else 0o666 & ~current_umask()
    else:
        if not stat.S_ISREG(found.st_mode):
            with open(path, "wb") as f:
                f.write(staged.read_bytes())
            staged.unlink()
            return
        mode = stat.S_IMODE(found.st_mode)
    os.chmod(staged, mode)
    os.replace(staged, path)


def file_mode(path: Path) -> int:
    """The permission bits ``open(path, "w")`` would leave: those of the existing file, or
    0666 less the process's umask."""
    import stat

    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    try:  # Linux: read it without changing it (os.umask is process-wide and not thread-safe)
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def os_message(exc: OSError) -> str:
    """One line for a failed file operation: the path and the system's reason."""
    target = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or type(exc).__name__
    return f"cannot write {target}: {reason}" if target else f"cannot write: {reason}"


@contextmanager
def writing(target: str | Path):
    """Turn an ``OSError`` while writing ``target`` into one clear ``HwcheckError`` line."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None or Path(str(exc.filename)).name.startswith("."):  # our temporary or staging name
            exc.filename = str(target)
        raise HwcheckError(os_message(exc)) from None


def make_folder(folder: Path) -> None:
    """``mkdir -p``; a file in the way is named as such."""
    for part in [folder, *folder.parents]:
        if part.exists() and not part.is_dir():
            raise NotADirectoryError(20, "a file is in the way of the folder", str(part))
        if part.exists():
            break
    folder.mkdir(parents=True, exist_ok=True)


def publish_folder(out: str | Path, files: dict) -> None:
    """Write ``files`` (name -> text or bytes) into the folder ``out`` as one change.

    The files are written into a staging folder first; the staging folder then receives the
    files of ``out`` that this run does not write (hard links, or copies), and is swapped with
    ``out`` in one rename (``renameat2(RENAME_EXCHANGE)`` on Linux). Where a swap cannot be
    made (``out`` is the working folder or a mount point, another system), the staged files
    are moved into ``out`` one by one, figures first and ``KEY.md`` last. A failure or a kill
    before the swap leaves ``out`` as it was.
    """
    import shutil

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(20, "a file is in the way of the folder", str(out))
    real = out.resolve() if out.exists() else out.absolute()
    swap = not out.exists() or _swappable(real)
    stage = None
    if swap:
        make_folder(real.parent)
        try:
            stage = Path(tempfile.mkdtemp(prefix=f".{real.name[:60]}.staging-", dir=real.parent))
        except OSError:
            swap = False
    if not swap:
        make_folder(real)
        stage = Path(tempfile.mkdtemp(prefix=".hwcheck-staging-", dir=real))

    def cleanup():
        shutil.rmtree(stage, ignore_errors=True)

    try:
        for name, data in files.items():
            write_atomic(stage / name, data)
        if not swap:
            order = sorted(files, key=lambda n: (n == "KEY.md", not n.endswith(".svg"), n))
            for name in order:
                os.replace(stage / name, real / name)
            return
        if real.exists():
            _carry_over(real, stage, set(files) | {stage.name})
            os.chmod(stage, os.stat(real).st_mode & 0o7777)
            if not _exchange(stage, real):
                old = real.with_name(stage.name + "-old")
                os.rename(real, old)
                try:
                    os.rename(stage, real)
                except OSError:
                    os.rename(old, real)
                    raise
                stage = old
        else:
            os.chmod(stage, 0o777 & ~current_umask())
            os.rename(stage, real)
    finally:
        cleanup()


def _swappable(real: Path) -> bool:
    """Can ``real`` be replaced by a rename? Not the working folder (or one above it), not a
    mount point."""
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        return False
    if real == cwd or real in cwd.parents or os.path.ismount(real):
        return False
    return os.stat(real).st_dev == os.stat(real.parent).st_dev


def _carry_over(old: Path, stage: Path, skip: set) -> None:
    """Bring the entries of ``old`` that this run does not write into ``stage`` (hard links
    where possible, else copies), keeping symbolic links as links."""
    import shutil

    def link_or_copy(src, dst):
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:
            shutil.copy2(src, dst, follow_symlinks=False)

    for entry in os.scandir(old):
        if entry.name in skip:
            continue
        target = stage / entry.name
        if entry.is_dir(follow_symlinks=False):
            shutil.copytree(entry.path, target, symlinks=True, copy_function=link_or_copy)
        else:
            link_or_copy(entry.path, target)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2`` with ``RENAME_EXCHANGE``); False where
    the system cannot."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0
