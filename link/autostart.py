"""The full path of a command to the warm server (link/server.py; link/client.py is the lean
one): ``cli.main`` calls ``forward`` when the lean client could not hand the command over.  It
hands it over, or, when no server of this installation listens, starts one in the background
(for the next command) and says the caller must run the command itself.  Not part of the
server: the server runs ``cli.main``, and this module imports neither of them."""
from __future__ import annotations

import os
import sys
import time

from xld.link import client
from xld.link.client import enabled, socket_dir

OFF_FOR = 600.0                 # seconds a failed start keeps clients from starting another


def forward(argv: list[str], cli_file: str) -> int | None:
    """Run ``xld argv`` in the server; its exit status (-N: killed by signal N), or None when
    the caller must link in-process.  ``cli_file``: link/cli.py's path (the server runs the
    command only for that one)"""
    if not enabled() or sys.getprofile() is not None or sys.gettrace() is not None:
        return None
    d = socket_dir()
    if d is None or not client.stdio_open():
        return None
    text = client.this_process_key_text()
    path = os.path.join(d, f"{client.key_name(text)}.sock")
    try:                                      # this installation's server could not start:
        if time.time() - os.stat(path + ".off").st_mtime < OFF_FOR:   # try again only later
            return None
    except OSError:
        pass
    s = client.connect(path)
    if s is None:
        _start_server(path, cli_file)
        return None
    try:
        return client.converse(s, argv, text)
    except OSError:
        return None
    finally:
        s.close()


def _start_server(path: str, cli_file: str) -> None:
    """Start the server in the background, detached from this process's session and files;
    this link goes on in-process.  Several clients may race to start one: the server's lock
    keeps one."""
    log = os.environ.get("XLD_SERVER_LOG")
    if log:                         # relative: to this command's directory (the server's is /,
        try:                        # and a child it serves writes from its client's)
            log = os.path.abspath(log)
        except OSError:             # (a directory that was removed)
            log = ""
    try:
        pid = os.fork()
    except OSError:
        return
    if pid:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
        return
    try:                                     # the first child: make a grandchild and leave
        os.setsid()
        if os.fork() == 0:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.closerange(3, 4096)
            os.chdir("/")
            env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
            if log is not None:
                env["XLD_SERVER_LOG"] = log
            # the options that shape the module search path (and so the key) are the client's
            f = sys.flags
            opts = ["-S"] * f.no_site + ["-s"] * f.no_user_site + ["-E"] * f.ignore_environment
            os.execve(sys.executable, [sys.executable, *opts, "-m", "xld.link.server", path,
                                       cli_file], env)
    finally:
        os._exit(0)
