"""The host descriptors behind MAP_SHARED file mappings, and why they are closed so late.

A MAP_SHARED file mapping keeps a host descriptor of its file (memory.FileMap: the TLB fill
maps the file's pages as it grows, after the guest may have closed its own). Closing that
descriptor at munmap would be wrong: closing *any* descriptor of a file drops every POSIX
record lock the process holds on it (fcntl(2)), and munmap drops none. SQLite maps its
database (``PRAGMA mmap_size``) and its WAL index (the ``-shm`` file, whose byte-range locks
are the WAL's locks) and maps again as they grow, all while it holds those locks: under
``xld run`` they were let go at each munmap, and another process could write under them.

So the descriptors are shared, one for each (file, access mode), counted by the mappings
using it, and kept open when the last such mapping goes while the process has another
descriptor of the file ("parked"). A parked descriptor is closed when the guest closes a
descriptor of that file itself (``guest_closed``): Linux drops the process's locks on the
file then anyway. (Per process: a forked child has copies;
closing them drops nothing of its parent's.)
"""

from __future__ import annotations

import fcntl
import os
import stat

# (st_dev, st_ino, access mode) -> [host descriptor, mappings using it]
_pool: dict[tuple[int, int, int], list[int]] = {}


def _key(fd: int) -> tuple[int, int, int] | None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_dev, st.st_ino, fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE)


def acquire(fd: int) -> int:
    """A host descriptor of ``fd``'s file, with its access mode, for a new mapping (OSError)."""
    key = _key(fd)
    if key is None:                       # a device's: no record locks to keep
        return os.dup(fd)
    ent = _pool.get(key)
    if ent is None:
        ent = _pool[key] = [os.dup(fd), 0]
    ent[1] += 1
    return ent[0]


def release(fd: int) -> None:
    """A mapping is done with ``fd`` (from ``acquire``). The last mapping's is parked while
    another descriptor of the file is open in the process (a lock may be held through it);
    with none, the process can hold no lock on the file (its last close dropped them), and
    it is closed: a program that maps, closes and unmaps many files keeps none open."""
    for key, ent in _pool.items():
        if ent[0] == fd:
            ent[1] -= 1
            if ent[1] <= 0 and not _others_open(fd, key):
                os.close(_pool.pop(key)[0])
            return
    os.close(fd)


def _others_open(fd: int, key: tuple[int, int, int]) -> bool:
    """Is a descriptor of ``key``'s file other than ``fd`` open in this process?"""
    for name in os.listdir("/proc/self/fd"):
        n = int(name)
        if n == fd:
            continue
        try:
            st = os.fstat(n)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == key[:2]:
            return True
    return False


def guest_closed(fd: int) -> None:
    """The guest is closing host descriptor ``fd``: the parked descriptors of its file go too
    (the process's record locks on the file go with the guest's close, as on Linux)."""
    if not _pool:
        return
    try:
        st = os.fstat(fd)
    except OSError:
        return
    for key in [k for k, ent in _pool.items()
                if k[:2] == (st.st_dev, st.st_ino) and ent[1] <= 0]:
        os.close(_pool.pop(key)[0])
