"""The guest address space: mappings, permissions, brk, and the virtual-TLB fill hook.

Unicorn 2.1's default ("CPU") TLB sends every guest store down a slow path (upstream issue
1970). In virtual-TLB mode Unicorn instead asks a hook to translate each page once; the hook
below answers from our own mapping list with the page's real permissions (identity-mapped),
which made emulation 3-4x faster. Two consequences shape this module:

- Unicorn's own uc_mem_unmap/uc_mem_protect probe pages through the same hook with fetch
  accesses; while we are inside such a call (``host_op``) every mapped page is granted.
- A refused access surfaces from uc_emu_start as a generic UC_ERR_EXCEPTION, so the hook
  records the faulting address and access kind for the crash report.

The mapping list is the single truth: sorted, non-overlapping [start, end) ranges with
permissions, mirrored into Unicorn regions (which also carry the permissions, so the CPU-TLB
fallback enforces them too).
"""

from __future__ import annotations

import bisect
import os
import stat

from . import mapfds
from . import uc as U

PAGE = 4096
CHUNK = 1 << 20             # the largest Unicorn region map() makes (see there)
TLB_GROW_START, TLB_GROW_BITS = 256, 16   # TLB sizing by flushes (install_tlb)
PAGE_MASK = ~(PAGE - 1) & 0xFFFFFFFFFFFFFFFF

# Layout (kept under 2^38 so it also suits an Sv39 riscv64 program's expectations).
STACK_TOP = 0x3F_FFFF_F000
STACK_SIZE = 8 << 20
EXIT_PAGE = STACK_TOP        # holds emu_start's `until`: mapped, never part of the guest's view
# Unicorn translates the page of `until - 1` for execution when it stops: keep both on EXIT_PAGE.
UNTIL = EXIT_PAGE + 0x800
MMAP_TOP = 0x3F_0000_0000          # mmap areas are handed out top-down from here
USER_BOTTOM = 0x10000              # Linux's mmap_min_addr: nothing is mapped below
USER_TOP = STACK_TOP               # the guest may map anything below (EXIT_PAGE is the runner's)
PIE_BASE = 0x55_5555_0000 & 0xF_FFFF_F000  # static-pie load base

ACCESS_NAME = {U.MEM_READ: "read", U.MEM_WRITE: "write", U.MEM_FETCH: "execute"}
_ACCESS_PERM = {U.MEM_READ: U.PROT_READ, U.MEM_WRITE: U.PROT_WRITE, U.MEM_FETCH: U.PROT_EXEC}


_min_addr: list[int] = []


def mmap_min_addr() -> int:
    """The lowest address a program may map at with MAP_FIXED or shmat, by the host's rule
    (security/commoncap.c cap_mmap_addr, the -EPERM of get_unmapped_area): the host's
    vm.mmap_min_addr, rounded up to a page, or 0 when the emulator has CAP_SYS_RAWIO (as the
    guest does: creds.py). xld refused everything below USER_BOTTOM (64 KiB: EPERM from
    mmap, EINVAL from shmat) where qemu-user, through the host, maps at 0x1000 (host's 4096,
    as root). Read once per emulator process."""
    if not _min_addr:
        try:
            with open("/proc/sys/vm/mmap_min_addr") as f:
                low = page_up(int(f.read()))
            with open("/proc/self/status") as f:
                eff = next(int(line.split()[1], 16) for line in f if line.startswith("CapEff:"))
        except (OSError, ValueError, StopIteration):
            low, eff = USER_BOTTOM, 0
        _min_addr.append(0 if eff >> 17 & 1 else low)       # CAP_SYS_RAWIO
    return _min_addr[0]


def page_down(x: int) -> int:
    return x & PAGE_MASK


def page_up(x: int) -> int:
    return (x + PAGE - 1) & PAGE_MASK


class OutOfMemory(Exception):
    pass


def _host_mmap(base: int, size: int, prot: int, flags: int, fd: int, offset: int) -> None:
    """mmap over host memory at ``base`` (MAP_FIXED), or OSError."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    if libc.mmap(base, size, prot, flags | 0x10, fd, offset) != base:    # 0x10: MAP_FIXED
        raise OSError(ctypes.get_errno(), "mmap over the host memory of a mapping")


def _map_file(base: int, fd: int, offset: int, nbytes: int, writable: bool) -> None:
    """Put the host's pages of a file over ``nbytes`` of host memory at ``base`` (a MAP_SHARED
    file mapping: the kernel keeps them coherent with the file's other users, as under
    qemu-user). Only pages the file covers are put there: the host raises SIGBUS on a page
    wholly past the end of the file, and the host process would die of it (FileMap)."""
    import mmap
    if nbytes > 0:
        prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
        _host_mmap(base, nbytes, prot, mmap.MAP_SHARED, fd, offset)


def _unmap_file(base: int, nbytes: int) -> None:
    """Put private zero pages back over host memory that was a file's (it was truncated)."""
    import mmap
    if nbytes > 0:
        _host_mmap(base, nbytes, mmap.PROT_READ | mmap.PROT_WRITE,
                   mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)


class FileMap:
    """A MAP_SHARED file mapping at guest [start, end), host memory at ``base``. The host
    pages of its first ``covered`` bytes are the file's; the rest, wholly past the end of the
    file when it was last looked at, are zero pages of the emulator that the guest may not
    touch: the TLB fill refuses them and looks at the file's size again (``refresh``), so that
    an access there maps the file's new pages if it grew, or is the guest's SIGBUS
    (BUS_ADRERR), as on Linux. ``live``: the guest ranges of it still mapped."""

    def __init__(self, start: int, end: int, base: int, fd: int, offset: int, writable: bool):
        self.start, self.end, self.base = start, end, base
        self.fd = mapfds.acquire(fd)         # the guest may close its own (mapfds.py)
        self.offset, self.writable = offset, writable
        self.covered = 0
        self.live = [(start, end)]
        self.refresh()

    def refresh(self) -> bool:
        """Map the file's pages up to its end now, unmap those past it; False when it shrank."""
        st = os.fstat(self.fd)
        if not stat.S_ISREG(st.st_mode):     # a device's pages: its own, no end to look at
            now = self.end - self.start
        else:
            now = max(0, min(self.end - self.start, page_up(st.st_size - self.offset)))
        if now > self.covered:
            _map_file(self.base + self.covered, self.fd, self.offset + self.covered,
                      now - self.covered, self.writable)
        elif now < self.covered:
            _unmap_file(self.base + now, self.covered - now)
        shrank = now < self.covered
        self.covered = now
        return not shrank

    def past_end(self, addr: int) -> bool:
        """Is guest ``addr`` a page of this mapping past the end of the file, when last looked?"""
        return (self.start + self.covered <= addr < self.end
                and any(lo <= addr < hi for lo, hi in self.live))

    def cut(self, start: int, end: int) -> None:
        """[start, end) of the guest's address space is no longer this mapping's."""
        live = []
        for lo, hi in self.live:
            if lo < start:
                live.append((lo, min(hi, start)))
            if hi > end:
                live.append((max(lo, end), hi))
        self.live = live

    def close(self) -> None:
        mapfds.release(self.fd)              # (kept while a lock may need it: mapfds.py)


class HostAttach:
    """Host memory mapped into the guest that the emulator did not make itself: a System V
    shared memory segment the host attached at ``base`` (sysvipc.py). ``close`` lets go of it
    (shmdt), once: when the guest's last page of it is unmapped, or the address space goes."""

    def __init__(self, base: int, size: int, detach):
        self.base, self.size = base, size
        self._detach = detach

    def close(self) -> None:
        detach, self._detach = self._detach, None
        if detach is not None:
            detach(self.base)


class Memory:
    def __init__(self, eng: U.Engine, limit: int):
        self.eng = eng
        self.limit = limit
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.perms: list[int] = []
        self.names: list[str] = []
        self.committed = 0          # bytes of brk + mmap, counted against the limit
        self.host_op = False
        self.fault = None           # (address, access) of the last refused access
        self.brk_start = self.brk_cur = 0
        self.mmap_top = MMAP_TOP
        self._tlb_cb = None
        # MAP_SHARED|MAP_ANONYMOUS mappings: host shared memory (start, end, mmap object,
        # forked), so that a forked process's writes are its parent's too; kept while any page
        # is mapped. ``forked``: it existed at a fork, another process may use it now
        self.shared: list[tuple[int, int, object, bool]] = []
        self.shares_forked = False  # some mapping of self.shared is forked (runlock.py)
        # ranges of self.shared whose host pages are read-only (a file opened read-only)
        self.readonly_host: list[tuple[int, int]] = []
        # MAP_SHARED file mappings (their pages past the end of the file are the TLB fill's
        # to refuse: FileMap)
        self.files: list[FileMap] = []

    # --- the mapping list ---------------------------------------------------------------
    def find(self, addr: int) -> int:
        """Index of the mapping containing ``addr``, or -1."""
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0 and addr < self.ends[i]:
            return i
        return -1

    def user_range(self, addr: int, size: int, bottom: int = USER_BOTTOM) -> bool:
        """[addr, addr+size) lies inside the guest's part of the address space."""
        return bottom <= addr and size <= USER_TOP and addr + page_up(size) <= USER_TOP

    def is_mapped(self, addr: int, size: int, perm: int = 0) -> bool:
        """True if [addr, addr+size) is wholly mapped with at least ``perm``; with a ``perm``
        (an access: a system call's buffer), not in a file mapping's pages past the end of the
        file (Linux: EFAULT)."""
        start, end = addr, addr + size
        while addr < end:
            i = self.find(addr)
            if i < 0 or (self.perms[i] & perm) != perm:
                return False
            addr = self.ends[i]
        return not (perm and self.files and self._past_end_within(start, end))

    def _past_end_within(self, start: int, end: int) -> bool:
        """Does [start, end) touch a page of a file mapping past the end of the file, now?"""
        for fm in self.files:
            if start < fm.end and fm.start + fm.covered < end:
                if not fm.refresh():
                    self.eng.flush_tlb()     # it shrank: pages granted before may be past it
                lo, hi = max(start, fm.start + fm.covered), min(end, fm.end)
                if any(a < hi and lo < b for a, b in fm.live):
                    return True
        return False

    def overlapping(self, start: int, end: int) -> range:
        """Indexes of the mappings that overlap [start, end) (the list is sorted, disjoint)."""
        lo = max(0, bisect.bisect_right(self.starts, start) - 1)
        if lo < len(self.ends) and self.ends[lo] <= start:
            lo += 1
        hi = bisect.bisect_left(self.starts, end, lo)
        return range(lo, hi)

    def _cut(self, start: int, end: int) -> None:
        """Remove [start, end) from the list (splitting ranges that straddle it)."""
        idx = self.overlapping(start, end)
        if not idx:
            return
        keep_s, keep_e, keep_p, keep_n = [], [], [], []
        for i in idx:
            s, e, p, n = self.starts[i], self.ends[i], self.perms[i], self.names[i]
            if s < start:
                keep_s.append(s); keep_e.append(start); keep_p.append(p); keep_n.append(n)
            if e > end:
                keep_s.append(end); keep_e.append(e); keep_p.append(p); keep_n.append(n)
        a, b = idx.start, idx.stop
        self.starts[a:b], self.ends[a:b], self.perms[a:b], self.names[a:b] = keep_s, keep_e, keep_p, keep_n

    def _insert(self, start: int, end: int, perm: int, name: str) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start); self.ends.insert(i, end)
        self.perms.insert(i, perm); self.names.insert(i, name)

    def mapped_bytes(self, start: int, end: int) -> int:
        total = 0
        for i in self.overlapping(start, end):
            total += min(self.ends[i], end) - max(self.starts[i], start)
        return total

    # --- operations (the guest's mmap/munmap/mprotect and the loader's) -----------------
    def map(self, start: int, size: int, perm: int, name: str = "", count: bool = True,
            shared: bool = False, file: tuple[int, int, int, bool] | None = None,
            attach: HostAttach | None = None) -> None:
        """Map zeroed pages at [start, start+size), replacing whatever was there; ``shared``:
        host shared memory, which forked processes keep sharing (MAP_SHARED|MAP_ANONYMOUS);
        ``file``: (host fd, offset, bytes to map, writable) of a MAP_SHARED file mapping, whose
        pages are then the host's pages of the file (_map_file); ``attach``: host memory
        already there (a System V segment the host attached), shared with any process of the
        run that attaches it."""
        end = page_up(start + size)
        start = page_down(start)
        if count and self.committed + (end - start) - self.mapped_bytes(start, end) > self.limit:
            raise OutOfMemory
        self.unmap(start, end - start)
        host = fmap = None
        if shared or file is not None:
            import ctypes
            import mmap
            try:
                host = mmap.mmap(-1, end - start, flags=mmap.MAP_SHARED)
            except OSError:
                raise OutOfMemory from None
            base = ctypes.addressof(ctypes.c_char.from_buffer(host))
            if file is not None:
                try:
                    fmap = FileMap(start, end, base, file[0], file[1], file[3])
                except OSError:
                    host.close()
                    raise OutOfMemory from None
        elif attach is not None:
            host, base = attach, attach.base
        self.host_op = True
        try:
            # in Unicorn regions of at most CHUNK bytes, aligned: unmapping or re-protecting
            # part of a region makes Unicorn copy the whole region out and back, a TLB-fill
            # call per page (glibc's 128 MiB arena reservation, trimmed in every new thread's
            # first malloc: 0.9 s when it was one region)
            a = start
            while a < end:
                b = min(end, (a // CHUNK + 1) * CHUNK)
                if host is None:
                    self.eng.mem_map(a, b - a, perm)
                else:
                    self.eng.mem_map_ptr(a, b - a, perm, base + (a - start))
                a = b
        finally:
            self.host_op = False
        if host is not None:
            # a writable file mapping may be another process's memory at once, fork or not
            self.shared.append((start, end, host, file is not None and file[3] or attach is not None))
            self.shares_forked = any(sh[3] for sh in self.shared)
            if file is not None and not file[3]:
                self.readonly_host.append((start, end))
        if fmap is not None:
            self.files.append(fmap)
        self._insert(start, end, perm, name)
        if count:
            self.committed += end - start

    def unmap(self, start: int, size: int) -> None:
        end = page_up(start + size)
        start = page_down(start)
        self.host_op = True
        try:
            for i in self.overlapping(start, end):
                lo, hi = max(self.starts[i], start), min(self.ends[i], end)
                if lo < hi:
                    a = lo                       # chunk by chunk (map): whole regions go at once
                    while a < hi:
                        b = min(hi, (a // CHUNK + 1) * CHUNK)
                        self.eng.mem_unmap(a, b - a)
                        a = b
                    self.committed = max(0, self.committed - (hi - lo))
        finally:
            self.host_op = False
        self._cut(start, end)
        if self.shared:
            # host memory goes with its last page (ctypes' view of it must go first)
            keep = [sh for sh in self.shared if self.mapped_bytes(sh[0], sh[1])]
            gone = [sh[2] for sh in self.shared if sh not in keep]
            self.shared = keep
            for h in gone:
                if isinstance(h, HostAttach):
                    h.close()
            self.shares_forked = any(sh[3] for sh in self.shared)
            self.readonly_host = [(s, e) for s, e in self.readonly_host
                                  if any(sh[0] == s for sh in self.shared)]
        if self.files:
            for fm in self.files:
                fm.cut(start, end)
                if not fm.live:
                    fm.close()
            self.files = [fm for fm in self.files if fm.live]

    def file_mapping(self, start: int, end: int) -> FileMap | None:
        """The MAP_SHARED file mapping [start, end) lies in, or None."""
        for fm in self.files:
            if any(lo <= start and end <= hi for lo, hi in fm.live):
                return fm
        return None

    def past_end_of_file(self, addr: int, access: int) -> bool:
        """Is a refused ``access`` of ``addr`` one to a page of a MAP_SHARED file mapping past
        the end of the file (the guest's SIGBUS, BUS_ADRERR), not one the mapping's
        permissions refuse (SIGSEGV)?"""
        i = self.find(addr)
        return (i >= 0 and bool(self.perms[i] & _ACCESS_PERM.get(access, 0))
                and any(fm.past_end(addr) for fm in self.files))

    def refused_past_end(self, addr: int) -> bool:
        """For the TLB fill: is ``addr`` in a page of a file mapping past the end of the file,
        now? (If the file grew over it, its page is the file's from now on.)"""
        for fm in self.files:
            if fm.past_end(addr):
                if not fm.refresh():
                    self.eng.flush_tlb()     # it shrank: pages granted before may be past it
                return fm.past_end(addr)
        return False

    def files_changed(self) -> None:
        """A file may have shrunk or grown (the guest truncated one): look at the size of
        every mapped file again, and forget the translations of pages now past its end (the
        next access is the TLB fill's to judge). A file another process truncates is not
        seen here (docs/run.md)."""
        if self.files and not all([fm.refresh() for fm in self.files]):
            self.eng.flush_tlb()

    def host_readonly(self, start: int, end: int) -> bool:
        """Does [start, end) hold pages that the host maps read-only (they cannot be made
        writable: a file opened read-only)?"""
        return any(s < end and start < e for s, e in self.readonly_host)

    def mark_forked(self) -> None:
        """At a fork: every shared mapping is now shared with another process."""
        self.shared = [(s, e, h, True) for s, e, h, _f in self.shared]
        self.shares_forked = bool(self.shared)

    def host_address(self, addr: int) -> int | None:
        """The host address of guest ``addr`` in a MAP_SHARED|MAP_ANONYMOUS mapping (host
        memory the forked processes share: a futex there is the host's), or None."""
        for s, e, h, _f in self.shared:
            if s <= addr < e and self.find(addr) >= 0 and isinstance(h, HostAttach):
                return h.base + (addr - s)
            if s <= addr < e and self.find(addr) >= 0:
                import ctypes
                view = ctypes.c_char.from_buffer(h)
                base = ctypes.addressof(view)
                del view                         # (an export would keep the mmap from closing)
                return base + (addr - s)
        return None

    def is_shared(self, start: int, end: int) -> bool:
        """Does [start, end) hold pages of a MAP_SHARED|MAP_ANONYMOUS mapping?"""
        return any(s < end and start < e for s, e, _h, _f in self.shared)

    def protect(self, start: int, size: int, perm: int) -> bool:
        end = page_up(start + size)
        if not self.is_mapped(start, end - start):
            return False
        self.host_op = True
        try:
            self.eng.mem_protect(start, end - start, perm)
        finally:
            self.host_op = False
        pieces = [(max(s, start), min(e, end), n) for s, e, n in zip(self.starts, self.ends, self.names)
                  if s < end and e > start]
        self._cut(start, end)
        for s, e, n in pieces:
            self._insert(s, e, perm, n)
        self.eng.flush_tlb()
        return True

    def find_free(self, size: int) -> int:
        """Highest free, page-aligned gap of ``size`` bytes below the mmap top."""
        size = page_up(size)
        top = self.mmap_top
        for s, e in reversed(list(zip(self.starts, self.ends))):
            if s >= top:
                continue
            if e <= top - size:
                return top - size
            top = min(top, s)
        if top - size > max(self.brk_cur, 0x10000):
            return top - size
        raise OutOfMemory

    # --- brk ----------------------------------------------------------------------------
    def set_brk_base(self, addr: int) -> None:
        self.brk_start = self.brk_cur = page_up(addr)

    def brk(self, new: int) -> int:
        if new < self.brk_start:
            return self.brk_cur
        old_top, new_top = page_up(self.brk_cur), page_up(new)
        try:
            if new_top > old_top:
                if not self._free(old_top, new_top - old_top):
                    return self.brk_cur
                self.map(old_top, new_top - old_top, U.PROT_READ | U.PROT_WRITE, "[heap]")
            elif new_top < old_top:
                self.unmap(new_top, old_top - new_top)
        except OutOfMemory:
            return self.brk_cur
        self.brk_cur = new
        return new

    def _free(self, start: int, size: int) -> bool:
        return self.mapped_bytes(start, start + size) == 0

    # --- access from the host (system calls) --------------------------------------------
    def read(self, addr: int, size: int) -> bytes:
        return self.eng.mem_read(addr, size)

    def write(self, addr: int, data: bytes) -> None:
        self.eng.mem_write(addr, data)

    # --- the virtual-TLB fill hook --------------------------------------------------------
    def install_tlb(self) -> None:
        self.eng.set_tlb_mode(1)  # UC_TLB_VIRTUAL
        starts_ref = self  # look lists up through self: they are replaced on change
        access_perm = _ACCESS_PERM

        grow = [TLB_GROW_START, 0]         # [fills that make the next flush, fills so far]
        flush = self.eng.flush_tlb

        def fill(_uc, vaddr, access, entry, _user):
            m = starts_ref
            i = bisect.bisect_right(m.starts, vaddr) - 1
            if i >= 0 and vaddr < m.ends[i]:
                p = m.perms[i]
                if m.host_op:
                    p = U.PROT_ALL
                elif not p & access_perm.get(access, 0):
                    m.fault = (vaddr, access)
                    return False
                elif m.files and m.refused_past_end(vaddr):
                    m.fault = (vaddr, access)           # the guest's SIGBUS (past_end_of_file)
                    return False
                e = entry[0]
                e.paddr = vaddr & PAGE_MASK
                e.perms = p
                grow[1] += 1
                if grow[1] >= grow[0] and not m.host_op:
                    # QEMU sizes its TLB when it is flushed (2x when most entries were used),
                    # and nothing flushes it in a program that only computes: it stays at 256
                    # entries and a 20 MB sieve made 2 million calls here. Flushing after
                    # 256, 512, ... fills lets it grow to 2^TLB_GROW_BITS entries.
                    grow[1] = 0
                    if grow[0] < 1 << TLB_GROW_BITS:
                        grow[0] *= 2
                        flush()
                return True
            if vaddr & PAGE_MASK == EXIT_PAGE:
                # Unicorn translates the page of emu_start's `until - 1` when it stops; refusing
                # it would turn every stop into UC_ERR_EXCEPTION. It also holds the rt_sigreturn
                # trampoline, which unwinders read (libgcc's signal-frame check): readable too.
                e = entry[0]
                e.paddr = EXIT_PAGE
                e.perms = U.PROT_READ | U.PROT_EXEC
                return True
            if not m.host_op:
                m.fault = (vaddr, access)
            return False

        self._tlb_cb = U.TLB_FILL_CB(fill)
        self.eng.hook_add(U.K.UC_HOOK_TLB_FILL, self._tlb_cb)

    def close(self) -> None:
        """The engine is gone: let go of the mapped files' descriptors (FileMap)."""
        for fm in self.files:
            fm.close()
        self.files = []
        for sh in self.shared:          # (execve: the kernel detaches System V segments)
            if isinstance(sh[2], HostAttach):
                sh[2].close()

    def describe(self) -> list[str]:
        out = []
        for s, e, p, n in zip(self.starts, self.ends, self.perms, self.names):
            flags = ("r" if p & 1 else "-") + ("w" if p & 2 else "-") + ("x" if p & 4 else "-")
            out.append(f"{s:012x}-{e:012x} {flags} {n}")
        return out
