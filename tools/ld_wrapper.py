"""``xld install-ld-wrapper DIR``: a directory whose ``ld`` runs this xld, for ``gcc -B DIR``
and ``clang -fuse-ld=DIR/ld``.

The wrapper names this Python interpreter by its absolute path, so it works outside the
virtual environment xld was installed into (a wrapper that runs ``xld`` from ``PATH`` fails
there).  It runs the lean client (link/client.py, ``python -I -S``: no ``site``, no xld imports),
which hands the link to the warm server and otherwise ``exec``s ``python -m xld.link``, the full
command; if the client's file is gone (xld moved), the wrapper runs the full command itself.
``DIR/xld-run`` is ``xld run`` the same way, for a test runner's emulator setting.
"""
from __future__ import annotations

import os
import sys

USAGE = ("usage: xld install-ld-wrapper DIR   (then: gcc -B DIR ..., clang -fuse-ld=DIR/ld ...;\n"
         "       DIR/xld-run PROG ARGS is xld run, for a test runner's emulator setting)\n")


def wrapper_text() -> str:
    from xld.link import client
    return ("#!/bin/sh\n# ld for gcc -B / clang -fuse-ld= (xld install-ld-wrapper)\n" +
            client.launcher("ld", "-m xld.link", os.path.abspath(sys.executable)))


def run_wrapper_text() -> str:
    """DIR/xld-run: ``xld run`` for a test runner's emulator setting (CMake's
    CMAKE_CROSSCOMPILING_EMULATOR, meson's exe_wrapper), through the lean client."""
    from xld.link import client
    return ("#!/bin/sh\n# xld run PROG ARGS... (xld install-ld-wrapper)\n" +
            client.launcher("run", "-m xld.link run", os.path.abspath(sys.executable)))


def _write(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        (sys.stdout if argv[:1] in (["-h"], ["--help"]) else sys.stderr).write(USAGE)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 1
    d = os.path.abspath(argv[0])
    path = os.path.join(d, "ld")
    for name, text in (("ld", wrapper_text()), ("xld-run", run_wrapper_text())):
        try:
            os.makedirs(d, exist_ok=True)
            _write(os.path.join(d, name), text)
        except OSError as e:
            print(f"xld: error: cannot write {os.path.join(d, name)}: {e.strerror}", file=sys.stderr)
            return 1
    print(path)
    return 0
