"""Pieces of the runner that need no cross compiler."""

import struct

import pytest

from xld.emu import ucconst
from xld.emu.crash import riscv_bitmanip
from xld.emu.elf import read_elf
from xld.emu.fs import dirent64_records
from xld.emu.sysnames import NAMES, NAMES_RISCV64, name_of
from xld.emu.syscalls import handler_table


def test_constants_match_the_unicorn_binding():
    from unicorn import arm64_const, riscv_const, unicorn_const
    for name, value in vars(ucconst).items():
        if not name.startswith("UC_"):
            continue
        src = next((m for m in (unicorn_const, arm64_const, riscv_const) if hasattr(m, name)), None)
        assert src is not None, name
        assert getattr(src, name) == value, name
    assert arm64_const.UC_ARM64_REG_X28 == ucconst.UC_ARM64_REG_X0 + 28
    assert riscv_const.UC_RISCV_REG_X31 == ucconst.UC_RISCV_REG_X0 + 31


def test_syscall_names():
    assert NAMES[63] == "read" and NAMES[64] == "write" and NAMES[93] == "exit"
    assert NAMES[94] == "exit_group" and NAMES[222] == "mmap" and NAMES[291] == "statx"
    assert NAMES[439] == "faccessat2" and NAMES_RISCV64[259] == "riscv_flush_icache"
    assert name_of(999) == "syscall_999"


def test_every_issue_syscall_has_a_handler():
    class P:
        pass
    from xld.emu.runner import Process
    table = {NAMES[nr] for nr in handler_table(Process.__new__(Process), "arm64")}
    wanted = """brk mmap munmap mremap mprotect madvise read write readv writev pread64 openat close
        lseek newfstatat fstat statx faccessat faccessat2 getdents64 getcwd unlinkat mkdirat
        renameat2 readlinkat dup3 fcntl ioctl pipe2 uname clock_gettime gettimeofday nanosleep
        getpid gettid getuid geteuid getgid getegid set_tid_address set_robust_list rseq
        prlimit64 getrandom rt_sigaction rt_sigprocmask tgkill tkill exit exit_group""".split()
    assert not set(wanted) - table


@pytest.mark.parametrize("word,ext", [
    (0x20B52533, "Zba"),   # sh1add a0, a0, a1 -> funct7 0x10 funct3 2
    (0x0805053B, "Zba"),   # add.uw
    (0x60051513, "Zbb"),   # clz a0, a0
    (0x40B57533, "Zbb"),   # andn
    (0x00B50533, None),    # add
    (0x00100073, None),    # ebreak
])
def test_riscv_bitmanip_detection(word, ext):
    got = riscv_bitmanip(word)
    assert (got or "").startswith(ext or "") and (got is None) == (ext is None)


def test_dirent_records_are_aligned():
    rows = [(1, 4, b".", 0x1234), (2, 8, b"file.txt", 1 << 62)]
    data, nxt = dirent64_records(rows, 0, 4096)
    assert nxt == 2 and len(data) % 8 == 0
    ino, off, reclen, dtype = struct.unpack_from("<QqHB", data, 0)
    assert (ino, off, reclen, dtype) == (1, 0x1234, 24, 4)
    assert struct.unpack_from("<q", data, 24 + 8)[0] == 1 << 62     # the host's d_off, as given
    data, nxt = dirent64_records(rows, 0, 30)
    assert nxt == 1


def test_read_elf_rejects_non_elf(tmp_path):
    from xld.emu.elf import ElfError
    p = tmp_path / "x"
    p.write_bytes(b"#!/bin/sh\n")
    with pytest.raises(ElfError):
        read_elf(str(p))


def _flock_bytes(ltype):
    return struct.pack("<hhqqi4x", ltype, 0, 0, 10, 0)     # struct flock: type, SEEK_SET, 0, 10


def _ofd_setlkw(hostio, fd, reg):
    """A BlockingCall of fcntl(fd, F_OFD_SETLKW, write lock of bytes 0-9)."""
    import ctypes
    buf = ctypes.create_string_buffer(_flock_bytes(1), 32)
    libc = ctypes.CDLL(None, use_errno=True)
    return hostio.BlockingCall(lambda: libc.fcntl(fd, 38, buf), reg)


@pytest.mark.parametrize("delay", [0.0, 0.05])
def test_a_lock_wait_is_cancelled_even_before_its_call(tmp_path, monkeypatch, delay):
    """BlockingCall.cancel interrupts the host thread's blocking fcntl; a cancel that comes
    before the thread has reached its call (widened here to 50 ms) is repeated until the call
    has returned, so no thread is left waiting to be granted a lock nobody asked for."""
    import fcntl
    import os
    import signal
    import time
    from xld.emu import hostio
    hostio.HostIO.install_lock_wake()
    assert signal.getsignal(hostio.LOCK_WAKE) is not signal.SIG_DFL
    wait = hostio.BlockingCall._call

    def late(self):
        time.sleep(delay)
        wait(self)

    monkeypatch.setattr(hostio.BlockingCall, "_call", late)
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    a, b = os.open(path, os.O_RDWR), os.open(path, os.O_RDWR)
    try:
        fcntl.fcntl(a, 37, _flock_bytes(1))                    # F_OFD_SETLK F_WRLCK
        reg = set()
        lk = _ofd_setlkw(hostio, b, reg)                        # F_OFD_SETLKW: waits
        lk.cancel()
        assert lk.done.is_set() and not lk.thread.is_alive() and not reg
        assert lk.interrupted() == -4                          # EINTR
        fcntl.fcntl(a, 37, _flock_bytes(2))                    # F_UNLCK
        time.sleep(0.05)
        # nobody was granted the lock behind our back: another description can take it
        c = os.open(path, os.O_RDWR)
        fcntl.fcntl(c, 37, _flock_bytes(1))
        os.close(c)
    finally:
        os.close(a)
        os.close(b)


def test_a_lock_granted_as_the_signal_comes_is_kept(tmp_path):
    """When the request was granted just before the signal ended the wait, the call's result
    is the grant (0), not EINTR: the guest holds the lock and knows it."""
    import os
    import time
    from xld.emu import hostio
    hostio.HostIO.install_lock_wake()
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    b = os.open(path, os.O_RDWR)
    try:
        lk = _ofd_setlkw(hostio, b, set())
        for _ in range(500):
            if lk.done.is_set():
                break
            time.sleep(0.01)
        lk.cancel()
        assert lk.interrupted() == 0 and lk.result() == 0
    finally:
        os.close(b)


def test_a_wait_whose_answer_came_with_the_signal_returns_it():
    """A blocking call (wait4 here) that finds a signal pending looks once more for what it
    waits for before it fails with EINTR, as the kernel's do_wait finds the zombie before the
    pending SIGCHLD: the child's exit brings both. xld's waitpid once returned EINTR there
    (a random program of tools/randsys.py, seed 301, arm64: 1 run in 360)."""
    import threading
    import types
    from xld.emu import hostio
    answers = iter([None, 4243])
    proc = types.SimpleNamespace(threads={1: None}, stop_event=threading.Event(), stop=None,
                                 interrupting_signal=lambda: True, _restartable=lambda: False)
    assert hostio.HostIO.wait_host(proc, "wait4", lambda: next(answers), ()) == 4243
    nothing = types.SimpleNamespace(threads={1: None}, stop_event=threading.Event(), stop=None,
                                    interrupting_signal=lambda: True, _restartable=lambda: False)
    assert hostio.HostIO.wait_host(nothing, "wait4", lambda: None, (), restart=False) == -4   # EINTR
    # the same in a process with threads, where the blocked thread's Wait is interrupted
    from xld.emu.threads import Wait
    assert Wait("wait4", lambda: 4243).interrupt() == 4243
    assert Wait("wait4", lambda: None).interrupt() == -4
