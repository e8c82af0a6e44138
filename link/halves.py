"""A large static link's image made in two halves, the later one by a forked child.

The image pass copies every input section into the output's buffer and the relocate pass
patches every site: bulk work (arm64 1200x50: ~200 ms of ~800 ms of served passes) that one
process does on one core while the machine has two.  A relocation patches the input section
it belongs to, so the input files split into two runs write bytes apart: here the output's
buffer is shared memory (``pages.shared_buffer``), the link forks, and the child copies the
sections of the later files and applies their relocations (the table's parts are in file
order, but for the few a later pass appends: a few runs of rows) while this process does the
earlier files, the gaps' fill and the linker's own sections, and then the GOT and IPLT.

The child only says whether it succeeded.  Where either half met anything to say (an error:
relocate says nothing else), could not finish, or the child died, this process makes the
image again, whole, as without the worker: the messages, their order and the exit status are
those of one process, and no output is left.  The bytes are the same either way
(tests/test_image_halves.py); ``XLD_IMAGE_WORKER=0`` never splits, ``=1`` splits every link it
can (for the tests).
"""
from __future__ import annotations

import os
import sys

import numpy as np

from xld.link import pages, relocate, write

# (a served link's fork costs 4-7 ms of CPU and each fresh page of the shared buffer a fault:
# arm64 400x50's 12 MB image gains 13 ms of the link's CPU, 1200x50's 35 MB 47 ms, a static
# hello's 0.7 MB would lose; docs/benchmarks.md, "Twentieth round")
MIN_IMAGE = 8 << 20
# this process's share of the work: a little more than half (the child starts after the
# fork and trims its heap first; arm64 1200x50 at 0.5: the child's 98 ms of CPU to this
# process's 87 plus the fork's 7)
MINE = 0.55
# ... where this process makes the symbol tables too, while the child works (two cores:
# write.py's _SymbolTableWorker, ``here``)
MINE_HERE = 0.3


def tables_here() -> bool:
    """Whether a link in halves makes its symbol tables in its own process while the child
    works (``XLD_SYMTAB_WORKER=here``; unset: on two cores or fewer), not in a child of
    their own beside the two (write.py, _SymbolTableWorker)."""
    want = os.environ.get("XLD_SYMTAB_WORKER", "")
    return want == "here" or (want == "" and cores() <= 2)


def cores() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _Said:
    """A half's diagnostics, kept (any one of them: the image is made again whole)."""

    def __init__(self, diag):
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.demangle = diag.demangle

    def sym(self, name: str) -> str:
        return name

    def error(self, msg: str) -> None:
        self.errors.append(msg)

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)


def wanted(ctx) -> bool:
    """Whether this link's image is made in halves (its buffer then shared)."""
    want = os.environ.get("XLD_IMAGE_WORKER", "")
    if want == "0" or not hasattr(os, "fork") or not sys.platform.startswith("linux"):
        return False
    opts = ctx.opts
    if ctx.dyn is not None or opts.emit_relocs or ctx.script is not None:
        return False
    t = ctx.rel
    if t is None or t.n == 0 or len(ctx.files) < 3:
        return False
    if (ctx.file_end < MIN_IMAGE or cores() < 2) and want != "1":
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1    # (a fork copies only this thread)


def _split(ctx) -> tuple[int, list, list] | None:
    """(the first file of the child's half, the table's row ranges of this process's half,
    the child's): about half of the work (``MINE``), counted as the files' relocations plus
    their bytes (a row costs about what 64 bytes' copy does).  The table is in file order but
    for parts a later pass appended (the 843419 patches, thunks): a few ranges more."""
    t = ctx.rel
    files = ctx.files
    nfiles = len(files)
    rows = np.bincount(t.part_file, weights=t.counts, minlength=nfiles)
    size = np.fromiter((0 if f is None else len(getattr(f, "buf", b"") or b"") for f in files),
                       dtype=np.float64, count=nfiles)
    work = np.cumsum(rows * 64 + size)
    k = int(np.searchsorted(work, work[-1] * (MINE_HERE if write.tables_made_here(ctx) else MINE))) + 1
    if k <= 1 or k >= nfiles:
        return None
    later = t.part_file >= k
    cut = np.flatnonzero(later[1:] != later[:-1]) + 1
    if len(cut) > 32:
        return None
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [len(later)]])
    end_row = np.cumsum(t.counts)
    first_row = end_row - t.counts
    mine, its = [], []
    for a, b in zip(starts.tolist(), ends.tolist()):
        (its if later[a] else mine).append((int(first_row[a]), int(end_row[b - 1])))
    return k, mine, its


class Half:
    """The child that makes the later half; ``finish`` waits for it."""

    def __init__(self, pid: int, rfd: int, first_file: int, mine: list):
        self.pid, self.rfd, self.first_file, self.mine = pid, rfd, first_file, mine
        self.copied = False

    @classmethod
    def start(cls, ctx, img: np.ndarray) -> "Half | None":
        at = _split(ctx)
        if at is None:
            return None
        k, mine, its = at
        try:
            rfd, wfd = os.pipe()
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(rfd)
            os.close(wfd)
            return None
        if pid == 0:                        # the child: its half, then out without a trace
            ok = False
            try:
                os.close(rfd)
                pages.trim_heap()           # (this process's writes into free heap pages: no copies)
                ok = _make(ctx, img, (k, len(ctx.files)), its, linker=False)
            except BaseException:
                ok = False
            finally:
                try:
                    os.write(wfd, b"1" if ok else b"0")
                finally:
                    os._exit(0)
        os.close(wfd)
        return cls(pid, rfd, k, mine)

    def copy(self, ctx, img: np.ndarray) -> None:
        """This process's half of the copy (the image pass)."""
        self.copied = _quiet(ctx, lambda: write.copy_part(ctx, img, (1, self.first_file), linker=True))

    def relocate(self, ctx, img: np.ndarray) -> bool:
        """This process's half of the relocations, then the child's answer: True where both
        halves are done and said nothing (the GOT and IPLT are then filled here)."""
        ok = self.copied and \
            _quiet(ctx, lambda: _relocate(ctx, img, self.mine))
        try:
            write.make_tables_here(ctx)     # (while the child works: two cores)
        finally:                            # (the child reaped even where they fail: ctx.half is None)
            ok = self.finish() and ok
        if ok:
            relocate.fill_tables(ctx, img)
        return ok

    def finish(self) -> bool:
        """The child's answer, the child reaped (a link that stops calls this too)."""
        got = b""
        if self.rfd >= 0:
            try:
                got = os.read(self.rfd, 1)
            except OSError:
                got = b""
            os.close(self.rfd)
            self.rfd = -1
        status = None
        if self.pid:
            pid, self.pid = self.pid, 0
            try:
                status = os.waitpid(pid, 0)[1]
            except ChildProcessError:
                status = None
        return got == b"1" and status == 0


def _quiet(ctx, fn) -> bool:
    """``fn()`` with the link's diagnostics kept aside: True where it returned a true value
    and said nothing (an exception too is for the whole image, made again, to raise)."""
    diag = ctx.diag
    said = ctx.diag = _Said(diag)
    try:
        done = fn()
    except Exception:
        done = False
    finally:
        ctx.diag = diag
    return bool(done) and not said.errors and not said.warnings


def _make(ctx, img, files, runs, linker: bool) -> bool:
    """A half: its files' sections copied, their rows applied (in the child)."""
    return _quiet(ctx, lambda: write.copy_part(ctx, img, files, linker) and _relocate(ctx, img, runs))


def _relocate(ctx, img, runs) -> bool:
    for a, b in runs:
        relocate.relocate_rows(ctx, img, a, b)
    return True


def start(ctx) -> None:
    """The image pass's second part: the child forked, this process's half copied (or, with
    no child, the whole image, as without halves)."""
    img = ctx.img
    half = ctx.half = Half.start(ctx, img)
    if half is None:
        write.copy_all(ctx, img)
        return
    half.copy(ctx, img)


def relocate_halves(ctx, img: np.ndarray, last: bool) -> None:
    """The relocate pass of a link in halves: this process's half and the child's answer;
    where either said anything or failed, the image made again whole, in this process."""
    half, ctx.half = ctx.half, None
    if half is None:                        # (no child: start copied it all)
        relocate.relocate(ctx, img, last=last)
        return
    if half.relocate(ctx, img):
        return
    img[:] = 0
    write.copy_all(ctx, img)
    relocate.relocate(ctx, img, last=last)


def abandon(ctx) -> None:
    """A link that ends before its relocate pass: the child reaped."""
    half, ctx.half = getattr(ctx, "half", None), None
    if half is not None:
        half.finish()
