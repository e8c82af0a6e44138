"""A thin ctypes layer over libunicorn, for the runner's hot paths.

The Python binding of Unicorn 2.1 wraps every call in several layers of Python (argument
checks, callback decorators, register-class lookups); a batch register read through it costs
about 25 µs, which is most of a system call's budget. This module loads the same shared
library the binding found, declares the few C functions the runner needs with exact
prototypes, and calls them directly. Hooks are plain ``CFUNCTYPE`` callbacks with no wrapper.

Only what the runner uses is here; setup-time conveniences stay equally small.
"""

from __future__ import annotations

import ctypes
import threading
from ctypes import POINTER, byref, c_bool, c_char_p, c_int, c_size_t, c_uint32, c_uint64, c_void_p

from . import ucconst as K


def _find_lib() -> str:
    """libunicorn as shipped in the unicorn wheel, found without importing the binding."""
    import importlib.util
    import os
    spec = importlib.util.find_spec("unicorn")
    for d in (spec.submodule_search_locations or []) if spec else []:
        for name in ("libunicorn.so.2", "libunicorn.so", "libunicorn.2.dylib", "libunicorn.dylib",
                     "unicorn.dll"):
            path = os.path.join(d, "lib", name)
            if os.path.exists(path):
                return path
    from unicorn.unicorn_py3 import unicorn as binding  # let the binding find it
    return binding.uclib._name


_lib = ctypes.CDLL(_find_lib())


def _proto(name, restype, *argtypes):
    fn = getattr(_lib, name)
    fn.restype = restype
    fn.argtypes = argtypes
    return fn


_uc_open = _proto("uc_open", c_int, c_uint32, c_uint32, POINTER(c_void_p))
_uc_close = _proto("uc_close", c_int, c_void_p)
_uc_strerror = _proto("uc_strerror", c_char_p, c_int)
_uc_mem_map = _proto("uc_mem_map", c_int, c_void_p, c_uint64, c_uint64, c_uint32)
_uc_mem_map_ptr = _proto("uc_mem_map_ptr", c_int, c_void_p, c_uint64, c_uint64, c_uint32, c_void_p)
_uc_mem_unmap = _proto("uc_mem_unmap", c_int, c_void_p, c_uint64, c_uint64)
_uc_mem_protect = _proto("uc_mem_protect", c_int, c_void_p, c_uint64, c_uint64, c_uint32)
_uc_mem_read = _proto("uc_mem_read", c_int, c_void_p, c_uint64, c_void_p, c_uint64)
_uc_mem_write = _proto("uc_mem_write", c_int, c_void_p, c_uint64, c_char_p, c_uint64)
_uc_reg_read = _proto("uc_reg_read", c_int, c_void_p, c_int, c_void_p)
_uc_reg_write = _proto("uc_reg_write", c_int, c_void_p, c_int, c_void_p)
_uc_reg_read_batch = _proto("uc_reg_read_batch", c_int, c_void_p, c_void_p, c_void_p, c_int)
_uc_emu_start = _proto("uc_emu_start", c_int, c_void_p, c_uint64, c_uint64, c_uint64, c_size_t)
_uc_emu_stop = _proto("uc_emu_stop", c_int, c_void_p)
_uc_context_alloc = _proto("uc_context_alloc", c_int, c_void_p, POINTER(c_void_p))
_uc_context_save = _proto("uc_context_save", c_int, c_void_p, c_void_p)
_uc_context_restore = _proto("uc_context_restore", c_int, c_void_p, c_void_p)
_uc_context_free = _proto("uc_context_free", c_int, c_void_p)
_uc_context_size = _proto("uc_context_size", c_size_t, c_void_p)
_uc_context_reg_read = _proto("uc_context_reg_read", c_int, c_void_p, c_int, c_void_p)
_uc_context_reg_write = _proto("uc_context_reg_write", c_int, c_void_p, c_int, c_void_p)
_uc_hook_del = _proto("uc_hook_del", c_int, c_void_p, c_size_t)
# uc_hook_add and uc_ctl are variadic: no argtypes, every argument passed as an explicit ctypes value.
_uc_hook_add = _lib.uc_hook_add
_uc_hook_add.restype = c_int
_uc_ctl = _lib.uc_ctl
_uc_ctl.restype = c_int


class tlb_entry(ctypes.Structure):
    _fields_ = [("paddr", c_uint64), ("perms", c_int)]


# Callback prototypes (unicorn.h).
INTR_CB = ctypes.CFUNCTYPE(None, c_void_p, c_uint32, c_void_p)
TLB_FILL_CB = ctypes.CFUNCTYPE(c_bool, c_void_p, c_uint64, c_int, POINTER(tlb_entry), c_void_p)
MEM_INVALID_CB = ctypes.CFUNCTYPE(c_bool, c_void_p, c_int, c_uint64, c_int, ctypes.c_int64, c_void_p)
INSN_INVALID_CB = ctypes.CFUNCTYPE(c_bool, c_void_p, c_void_p)
CODE_CB = ctypes.CFUNCTYPE(None, c_void_p, c_uint64, c_uint32, c_void_p)

PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, PROT_ALL = 0, 1, 2, 4, 7
MEM_READ, MEM_WRITE, MEM_FETCH = K.UC_MEM_READ, K.UC_MEM_WRITE, K.UC_MEM_FETCH


class UcError(Exception):
    def __init__(self, err: int, what: str = ""):
        self.errno = err
        msg = _uc_strerror(err).decode()
        super().__init__(f"{what}: {msg}" if what else msg)


_SCRATCH_SIZE = 1 << 16


def _ctl_code(ctl: int, op: int, nargs: int) -> int:
    return (op << 30) | (nargs << 26) | ctl


class Engine:
    """One Unicorn engine. Close it (or use ``with``) to free its memory at once."""

    def __init__(self, arch: int, mode: int):
        h = c_void_p()
        err = _uc_open(arch, mode, byref(h))
        if err:
            raise UcError(err, "uc_open")
        self.h = h
        # emu_stop comes from other threads too (the time limit, a timer, Ctrl-C), at any
        # time: never on an engine being closed (execve closes the old one mid-run)
        self._stop_lock = threading.Lock()
        self._keep = []  # callbacks must outlive the engine
        self._u64 = c_uint64()
        self._scratch = ctypes.create_string_buffer(_SCRATCH_SIZE)

    def close(self) -> None:
        with self._stop_lock:
            h, self.h = self.h, None
            if h:
                _uc_close(h)

    def fork_reinit(self) -> None:
        """In a forked child: the stop lock as new (another thread, gone in the child, may
        have held it at the fork)."""
        self._stop_lock = threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- controls -----------------------------------------------------------------------
    def ctl_write(self, ctl: int, *args) -> None:
        err = _uc_ctl(self.h, c_int(_ctl_code(ctl, K.UC_CTL_IO_WRITE, len(args))), *args)
        if err:
            raise UcError(err, f"uc_ctl({ctl})")

    def set_page_size(self, size: int) -> None:
        self.ctl_write(K.UC_CTL_UC_PAGE_SIZE, c_uint32(size))

    def set_cpu_model(self, model: int) -> None:
        self.ctl_write(K.UC_CTL_CPU_MODEL, c_int(model))

    def set_tlb_mode(self, mode: int) -> None:
        self.ctl_write(K.UC_CTL_TLB_TYPE, c_int(mode))

    def flush_tlb(self) -> None:
        self.ctl_write(K.UC_CTL_TLB_FLUSH)

    def flush_tb(self) -> None:
        self.ctl_write(K.UC_CTL_TB_FLUSH)

    # --- memory -------------------------------------------------------------------------
    def mem_map(self, addr: int, size: int, perms: int = PROT_ALL) -> None:
        err = _uc_mem_map(self.h, addr, size, perms)
        if err:
            raise UcError(err, f"uc_mem_map({addr:#x}, {size:#x})")

    def mem_map_ptr(self, addr: int, size: int, perms: int, ptr: int) -> None:
        """Map host memory at ``ptr`` (which must outlive the mapping) as guest memory."""
        err = _uc_mem_map_ptr(self.h, addr, size, perms, ptr)
        if err:
            raise UcError(err, f"uc_mem_map_ptr({addr:#x}, {size:#x})")

    def mem_unmap(self, addr: int, size: int) -> None:
        err = _uc_mem_unmap(self.h, addr, size)
        if err:
            raise UcError(err, f"uc_mem_unmap({addr:#x}, {size:#x})")

    def mem_protect(self, addr: int, size: int, perms: int) -> None:
        err = _uc_mem_protect(self.h, addr, size, perms)
        if err:
            raise UcError(err, f"uc_mem_protect({addr:#x}, {size:#x})")

    def mem_read(self, addr: int, size: int) -> bytes:
        if size <= _SCRATCH_SIZE:   # most system-call buffers: no allocation per call
            buf = self._scratch
        else:
            buf = ctypes.create_string_buffer(size)
        err = _uc_mem_read(self.h, addr, buf, size)
        if err:
            raise UcError(err, f"uc_mem_read({addr:#x}, {size})")
        return ctypes.string_at(buf, size)

    def mem_read_into(self, addr: int, buf, size: int) -> int:
        """Read into a ctypes buffer; returns the Unicorn error code (0 = ok)."""
        return _uc_mem_read(self.h, addr, buf, size)

    def mem_write(self, addr: int, data: bytes) -> None:
        err = _uc_mem_write(self.h, addr, data, len(data))
        if err:
            raise UcError(err, f"uc_mem_write({addr:#x}, {len(data)})")

    def mem_write_err(self, addr: int, data: bytes) -> int:
        return _uc_mem_write(self.h, addr, data, len(data))

    # --- registers ----------------------------------------------------------------------
    def reg_read(self, reg: int) -> int:
        v = self._u64
        _uc_reg_read(self.h, reg, byref(v))
        return v.value

    def reg_write(self, reg: int, value: int) -> None:
        _uc_reg_write(self.h, reg, byref(c_uint64(value & 0xFFFFFFFFFFFFFFFF)))

    def reg_read_wide(self, reg: int, size: int) -> bytes:
        """A register wider than 64 bits (arm64 Q0..Q31: 16 bytes), little-endian."""
        buf = ctypes.create_string_buffer(max(size, 8))
        _uc_reg_read(self.h, reg, buf)
        return buf.raw[:size]

    def reg_write_wide(self, reg: int, data: bytes) -> None:
        buf = ctypes.create_string_buffer(bytes(data), max(len(data), 8))
        _uc_reg_write(self.h, reg, buf)

    def reg_writer(self, reg: int):
        """Return a function that writes one register (preallocated ctypes value)."""
        v = c_uint64()
        ref = byref(v)
        h = self.h

        def write(value):
            v.value = value & 0xFFFFFFFFFFFFFFFF
            _uc_reg_write(h, reg, ref)

        return write

    def batch_reader(self, regs: list[int]):
        """Return a function that reads ``regs`` at once (one C call) as a list of ints."""
        n = len(regs)
        ids = (c_int * n)(*regs)
        vals = (c_uint64 * n)()
        ptrs = (c_void_p * n)(*[ctypes.addressof(vals) + 8 * i for i in range(n)])
        h = self.h

        def read():
            _uc_reg_read_batch(h, ids, ptrs, n)
            return vals[:]

        return read

    # --- CPU contexts (signal frames) ----------------------------------------------------
    def context_save(self) -> "Context":
        ctx = c_void_p()
        err = _uc_context_alloc(self.h, byref(ctx))
        if err:
            raise UcError(err, "uc_context_alloc")
        _uc_context_save(self.h, ctx)
        return Context(ctx)

    def context_alloc(self) -> "Context":
        ctx = c_void_p()
        err = _uc_context_alloc(self.h, byref(ctx))
        if err:
            raise UcError(err, "uc_context_alloc")
        return Context(ctx, _uc_context_size(self.h))

    def context_save_into(self, ctx: "Context") -> None:
        """Save the CPU state into an existing context (threads reuse theirs)."""
        _uc_context_save(self.h, ctx.ptr)

    def context_restore(self, ctx: "Context") -> None:
        err = _uc_context_restore(self.h, ctx.ptr)
        if err:
            raise UcError(err, "uc_context_restore")

    # --- hooks & running ----------------------------------------------------------------
    def hook_add(self, htype: int, cb, begin: int = 1, end: int = 0, *extra) -> int:
        hh = c_size_t()
        self._keep.append(cb)
        err = _uc_hook_add(self.h, byref(hh), c_int(htype), cb, c_void_p(None),
                           c_uint64(begin), c_uint64(end), *extra)
        if err:
            raise UcError(err, "uc_hook_add")
        return hh.value

    def hook_del(self, hh: int) -> None:
        err = _uc_hook_del(self.h, hh)
        if err:
            raise UcError(err, "uc_hook_del")

    def emu_start(self, begin: int, until: int, timeout_us: int = 0, count: int = 0) -> int:
        """Run; returns the Unicorn error code (0 = stopped normally)."""
        return _uc_emu_start(self.h, begin, until, timeout_us, count)

    def emu_stop(self) -> None:
        with self._stop_lock:
            if self.h:
                _uc_emu_stop(self.h)


class Kicker:
    """An exact stop on request from any thread: a flag byte, and a block hook whose callback
    is a few bytes of host machine code (not Python: it runs at every translation block) that
    calls ``uc_emu_stop`` when the flag is set.

    Why not ``uc_emu_stop`` from the requesting thread: on Unicorn 2.1.4 such an asynchronous
    stop is not exact. The exit check at the start of the next translation block leaves without
    restoring the PC when a PC write inside a hook (rt_sigreturn) has left Unicorn's
    ``skip_sync_pc_on_exit`` set, and even without that, a fib loop stopped and resumed every
    0.5 ms resumed once in three runs with the PC one instruction past a register write it
    had not made (measured). A stop requested from inside a block hook is what Unicorn's own
    hooks do: it takes effect before the block's first instruction, with the PC synced.

    Cost: Unicorn calls the hook at every block (fib(32): +40% against +110-170% for counted
    runs), so it is installed only while a process needs prompt stops. Only on x86-64 hosts
    (``available()``); elsewhere the runner keeps counted slices."""

    _CODE = None

    def __init__(self, eng: "Engine"):
        import mmap
        import struct
        # flag[0]: a stop is asked for; flag[1]: held (a debugger's single step must run its
        # instruction: a kick then waits for the next run)
        self.flag = (ctypes.c_uint8 * 2)(0, 0)
        stop = ctypes.cast(_uc_emu_stop, c_void_p).value
        code = (b"\x48\xb8" + struct.pack("<Q", ctypes.addressof(self.flag))  # mov rax, &flag
                + b"\x66\x81\x38\x01\x00"                                 # cmp word [rax], 1
                + b"\x74\x01\xc3"                                          # je +1; ret
                + b"\x48\xb8" + struct.pack("<Q", stop)                     # mov rax, uc_emu_stop
                + b"\xff\xe0")                                              # jmp rax (rdi = uc)
        self.page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        self.page.write(code)
        self.addr = ctypes.addressof(ctypes.c_char.from_buffer(self.page))
        eng.hook_add(K.UC_HOOK_BLOCK, c_void_p(self.addr), 1, 0)
        eng.flush_tb()            # blocks translated before the hook existed do not call it

    @staticmethod
    def available() -> bool:
        import platform
        if Kicker._CODE is None:
            # the System V calling convention (the engine in rdi): not Windows' x64 one
            ok = (platform.machine().lower() in ("x86_64", "amd64") and ctypes.sizeof(c_void_p) == 8
                  and platform.system() in ("Linux", "Darwin", "FreeBSD"))
            if ok:
                try:
                    import mmap
                    mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC).close()
                except (OSError, ValueError, AttributeError):
                    ok = False
            Kicker._CODE = ok
        return Kicker._CODE

    def kick(self) -> None:
        """Stop the engine before its next translation block (any thread)."""
        self.flag[0] = 1

    def clear(self) -> None:
        self.flag[0] = 0

    def hold(self, held: bool) -> None:
        """While held, kicks do not stop the engine; they stay set for the next run."""
        self.flag[1] = 1 if held else 0


class Context:
    """A saved CPU state (all registers), freed with the object."""

    def __init__(self, ptr, size: int = 0):
        self.ptr = ptr
        self.size = size      # bytes of the whole uc_context allocation (context_alloc only)

    def raw(self) -> bytes:
        return ctypes.string_at(self.ptr, self.size)

    def poke(self, offset: int, data: bytes) -> None:
        """Overwrite bytes of the saved state (threads.py: the exclusive monitor)."""
        assert 0 <= offset and offset + len(data) <= self.size
        ctypes.memmove(self.ptr.value + offset, data, len(data))

    def reg_read(self, reg: int) -> int:
        """A register of the saved state (gdbstub.py: threads that are not running)."""
        v = c_uint64()
        _uc_context_reg_read(self.ptr, reg, byref(v))
        return v.value

    def reg_write(self, reg: int, value: int) -> None:
        _uc_context_reg_write(self.ptr, reg, byref(c_uint64(value & 0xFFFFFFFFFFFFFFFF)))

    def reg_read_wide(self, reg: int, size: int) -> bytes:
        buf = ctypes.create_string_buffer(max(size, 8))
        _uc_context_reg_read(self.ptr, reg, buf)
        return buf.raw[:size]

    def reg_write_wide(self, reg: int, data: bytes) -> None:
        buf = ctypes.create_string_buffer(bytes(data), max(len(data), 8))
        _uc_context_reg_write(self.ptr, reg, buf)

    def __del__(self):
        if self.ptr:
            _uc_context_free(self.ptr)
            self.ptr = None


def strerror(err: int) -> str:
    return _uc_strerror(err).decode()
