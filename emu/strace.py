"""``--strace``: one line per system call on stderr, in the style of ``qemu-* -strace``."""

from __future__ import annotations

import errno
import os

from .sysnames import name_of


def format_call(proc, nr, args, ret) -> str:
    name = name_of(nr, proc.arch.name)
    a = ",".join(hex(x) if x > 9 else str(x) for x in args[:6])
    if ret is None:
        r = "?"
    elif isinstance(ret, str):
        r = ret
    elif -4096 < ret < 0:
        r = f"-1 errno={-ret} ({os.strerror(-ret)})"
    else:
        r = str(ret) if ret < 0x10000 else hex(ret)
    return f"{os.getpid()} {name}({a}) = {r}"
