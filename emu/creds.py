"""The process's credentials: user and group ids, supplementary groups, capabilities.

The guest runs with the emulator's own ids, as qemu-user's guest has qemu's: real, effective,
saved and file-system ids are all the host process's (syscalls.host_ids), and so are its
capabilities (capget reads the host's). xld never changes them, so the calls that would change
them are served as far as Linux serves them without changing anything:

- A caller without privilege (not root; Linux's test is CAP_SETUID, CAP_SETGID, CAP_SETPCAP)
  gets what Linux gives it: success when the ids asked for are the ones it has (each of the
  real, effective and saved ids may only be set to one of them), EPERM otherwise; setgroups
  is EPERM whatever the list; setfsuid/setfsgid return the old id and change nothing.
  EINVAL for an id of -1 where -1 does not mean "unchanged" (setuid, setgid).
- Root's call that would change an id or a capability is refused (not served: SIGSYS with a
  note); one that keeps them is a success.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

from . import syscalls as S
from .threads import NotServed
from .syscalls import s32

NO_ID = 0xFFFFFFFF                       # (uid_t) -1: "unchanged", or an invalid id
NGROUPS_MAX = 65536
_LINUX_CAPABILITY_VERSION_1, _LINUX_CAPABILITY_VERSION_2, _LINUX_CAPABILITY_VERSION_3 = \
    0x19980330, 0x20071026, 0x20080522
CAP_SETPCAP = 8


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


def host_caps() -> tuple[int, int, int]:
    """The emulator process's (effective, permitted, inheritable) capability sets, 64 bits
    each, from the host's capget."""
    libc = ctypes.CDLL(None, use_errno=True)
    hdr = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    if libc.capget(ctypes.byref(hdr), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    return tuple(data[i] | data[i + 3] << 32 for i in range(3))


def process_caps(pid: int) -> tuple[int, int, int] | None:
    """A host process's (effective, permitted, inheritable) sets (/proc/PID/status), None if
    it is gone."""
    found = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("CapEff", "CapPrm", "CapInh"):
                    found[key] = int(value, 16)
    except (OSError, ValueError):
        return None
    return found.get("CapEff", 0), found.get("CapPrm", 0), found.get("CapInh", 0)


def host_bounding_set() -> int:
    """The emulator's capability bounding set (/proc/self/status's CapBnd)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapBnd:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return (1 << 64) - 1


def last_cap() -> int:
    """The host kernel's last capability (/proc/sys/kernel/cap_last_cap; 40 since Linux
    5.9): capset drops the bits above it, as the kernel's CAP_VALID_MASK."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 40


class Creds:
    """Mixin for the Process: getuid & co., the set-id calls, capget, capset."""

    # --- reading the ids ------------------------------------------------------------------
    def sys_getuid(self, *_):
        return S.host_ids()[0]

    sys_geteuid = sys_getuid

    def sys_getgid(self, *_):
        return S.host_ids()[1]

    sys_getegid = sys_getgid

    def sys_getresuid(self, r, e, s, *_):
        for a in (r, e, s):
            self.wr(a, struct.pack("<I", S.host_ids()[0]))
        return 0

    def sys_getresgid(self, r, e, s, *_):
        for a in (r, e, s):
            self.wr(a, struct.pack("<I", S.host_ids()[1]))
        return 0

    def sys_getgroups(self, size, groups, *_):
        """The host process's supplementary groups (syscalls.host_groups): the count for a
        size of 0, EINVAL for a negative size or one too small for them."""
        size = s32(size)
        if size < 0:
            return -errno.EINVAL
        gids = S.host_groups() if self.groups is None else self.groups
        if size:
            if size < len(gids):
                return -errno.EINVAL
            self.wr(groups, struct.pack(f"<{len(gids)}I", *gids))
        return len(gids)

    # --- setting them ---------------------------------------------------------------------
    def _set_ids(self, which: int, asked, invalid_minus_one: bool = False):
        """The set-id calls' one rule here: each id in ``asked`` (-1: unchanged) must be the
        one the process has (host_ids' ``which``: 0 user, 1 group)."""
        asked = [a & NO_ID for a in asked]
        if invalid_minus_one and NO_ID in asked:
            return -errno.EINVAL
        own, privileged = S.host_ids()[which], S.host_ids()[2]
        if all(a in (NO_ID, own) for a in asked):
            return 0
        if not privileged:
            return -errno.EPERM
        raise NotServed(f"changing the {'user' if which == 0 else 'group'} ids (the emulator's own)")

    def sys_setuid(self, uid, *_):
        return self._set_ids(0, [uid], invalid_minus_one=True)

    def sys_setgid(self, gid, *_):
        return self._set_ids(1, [gid], invalid_minus_one=True)

    def sys_setreuid(self, r, e, *_):
        return self._set_ids(0, [r, e])

    def sys_setregid(self, r, e, *_):
        return self._set_ids(1, [r, e])

    def sys_setresuid(self, r, e, s, *_):
        return self._set_ids(0, [r, e, s])

    def sys_setresgid(self, r, e, s, *_):
        return self._set_ids(1, [r, e, s])

    def _set_fs_id(self, which: int, asked: int):
        """setfsuid, setfsgid: the old id, always; a change by root is refused."""
        own = S.host_ids()[which]
        if asked & NO_ID not in (NO_ID, own) and S.host_ids()[2]:
            raise NotServed(f"changing the file-system {'user' if which == 0 else 'group'} id")
        return own

    def sys_setfsuid(self, uid, *_):
        return self._set_fs_id(0, uid)

    def sys_setfsgid(self, gid, *_):
        return self._set_fs_id(1, gid)

    def sys_setgroups(self, size, groups, *_):
        """EPERM without privilege, whatever the list (Linux's may_setgroups comes first);
        root may set a list that grants what the host process's groups grant — the same
        groups, in any order, with or without its own group id (a supplementary group equal
        to the group id adds nothing: ``setgroups(0, NULL)`` of root, whose list is its group,
        the privilege-drop idiom) — and getgroups then gives that list; another change is
        refused."""
        if not S.host_ids()[2]:
            return -errno.EPERM
        size = s32(size)
        if not 0 <= size <= NGROUPS_MAX:
            return -errno.EINVAL
        gids = struct.unpack(f"<{size}I", self.rd(groups, 4 * size)) if size else ()
        if NO_ID in gids:
            return -errno.EINVAL
        own = {os.getegid()}
        if set(gids) | own != set(S.host_groups()) | own:
            raise NotServed("changing the supplementary groups (the emulator's own)")
        self.groups = list(gids)
        return 0

    # --- capabilities ---------------------------------------------------------------------
    def _cap_header(self, header):
        """cap_validate_magic: (words per set, pid), or -errno (an unknown version: the
        kernel's own written back, EINVAL)."""
        version, pid = struct.unpack("<Ii", self.rd(header, 8))
        if version == _LINUX_CAPABILITY_VERSION_1:
            return 1, pid
        if version in (_LINUX_CAPABILITY_VERSION_2, _LINUX_CAPABILITY_VERSION_3):
            return 2, pid
        self.wr(header, struct.pack("<I", _LINUX_CAPABILITY_VERSION_3))
        return -errno.EINVAL

    def sys_capget(self, header, data, *_):
        """The emulator's capabilities (none for an unprivileged user), as qemu-user shows
        qemu's; another process of the run has them too; a host process's are its own
        (/proc), a pid no process has is ESRCH. A NULL data pointer asks for the version only
        (0, even after EINVAL)."""
        r = self._cap_header(header)
        if data == 0:
            return 0
        if isinstance(r, int):
            return r
        words, pid = r
        if pid < 0:
            return -errno.EINVAL
        sets = host_caps()                   # the run's processes have the emulator's own
        if pid not in (0, self.pid, self.cur.tid) and pid not in self.threads:
            if not self.pid_exists(pid):
                return -errno.ESRCH                      # cap_get_target_pid
            if not self.of_this_run(pid):
                sets = process_caps(self.host_of(pid))  # a host process's: Linux shows them
                if sets is None:
                    return -errno.ESRCH
        out = b"".join(struct.pack("<III", *((v >> 32 * w) & NO_ID for v in sets)) for w in range(words))
        self.wr(data, out)
        return 0

    def sys_capset(self, header, data, *_):
        """Linux's checks of the sets asked for against the process's (cap_capset: EPERM for
        a capability it may not gain); the sets it has already: success; others (root
        dropping some) are refused."""
        r = self._cap_header(header)
        if isinstance(r, int):
            return r
        words, pid = r
        if pid not in (0, self.pid, self.cur.tid):
            return -errno.EPERM
        raw = struct.unpack(f"<{3 * words}I", self.rd(data, 12 * words))
        valid = (1 << (last_cap() + 1)) - 1                  # CAP_VALID_MASK: bits beyond go
        eff, perm, inh = (sum(raw[3 * w + i] << 32 * w for w in range(words)) & valid for i in range(3))
        old_eff, old_perm, old_inh = host_caps()
        if not old_eff >> CAP_SETPCAP & 1 and inh & ~(old_inh | old_perm):
            return -errno.EPERM
        if inh & ~(old_inh | host_bounding_set()) or perm & ~old_perm or eff & ~perm:
            return -errno.EPERM
        if (eff, perm, inh) != (old_eff, old_perm, old_inh):
            raise NotServed("changing the emulator's capabilities")
        return 0


__all__ = ["Creds", "host_caps"]
