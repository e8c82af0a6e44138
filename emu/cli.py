"""``xld run``: run an arm64/riscv64 Linux program, passing stdin/stdout/stderr through.

    xld run [--root DIR [--inherit-env] [--allow-host-exec]] [--read-only] [--[no-]private-tmp]
            [--chdir DIR] [--sysroot DIR | -L DIR] [--timeout S] [--max-insns N]
            [--max-memory BYTES] [--max-disk BYTES] [--strace] [--clearenv] [-E VAR=VALUE]
            [-U VAR] [--argv0 NAME | -0 NAME] [-g PORT] [-cpu max]
            [--unknown-syscall={stop,enosys}] PROG [ARGS...]
    xld run --install-binfmt [--binfmt-dir DIR] [--yes]

By default the program sees the host's files under their own paths, in the host's working
directory, with the host's environment, and may run host programs, as under qemu-user.
``--root DIR`` is the sandbox: DIR is its ``/``, its environment is empty but for ``-E`` (or
``--inherit-env``), it runs no host program (unless ``--allow-host-exec``), and it has a
private ``/tmp``, a 600 s time limit and a 1 GiB disk-write quota unless told otherwise.
qemu-user's spellings (-L, -E, -U, -0, -g, -strace, -cpu) and environment variables
(QEMU_LD_PREFIX, ...: qemu_compat.py) work too.

The exit status is the program's, or 128+signal when it was killed (a crash or a limit); a
crash report goes to stderr. Problems with the command itself print ``xld: error: ...`` and
exit 1.
"""

from __future__ import annotations

import argparse
import os
import sys

from xld.link.client import inheritable_fds


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _Usage(message)


class _Usage(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    from . import qemu_compat
    p = _Parser(prog="xld run", allow_abbrev=False, description="Run an arm64/riscv64 Linux executable (static, static-pie, "
                "or dynamically linked: PIE or not) under Unicorn, as qemu-user does.",
                epilog="Dynamic programs: the program interpreter (ld.so) and the libraries come from "
                       "the sysroot: every read-only lookup of an absolute path (open for reading, "
                       "stat, access, readlink) tries SYSROOT/path first, then the program's own view "
                       "(the host's files, or the root). See docs/run.md.")
    p.add_argument("--root", metavar="DIR",
                   help="the sandbox: DIR is the program's / (default: none, the program sees the "
                        "host's files under their own paths, as under qemu-user)")
    p.add_argument("--chdir", metavar="DIR",
                   help="the program's working directory, a path in its view (default: the host's "
                        "working directory; under --root, its place inside DIR, else /)")
    p.add_argument("--read-only", action="store_true",
                   help="the program may change no file (EROFS), except in a private /tmp")
    p.add_argument("--private-tmp", action=argparse.BooleanOptionalAction, default=None,
                   help="give the program a /tmp of its own, removed after the run "
                        "(default: on under --root, off otherwise)")
    p.add_argument("--inherit-env", action="store_true",
                   help="under --root: pass the host's environment (default: only -E variables)")
    p.add_argument("--clearenv", action="store_true",
                   help="start from an empty environment (the default under --root)")
    p.add_argument("--sysroot", "-L", metavar="DIR", dest="sysroot",
                   help="the target's libraries, as qemu's -L: ld.so and absolute paths opened for "
                        "reading are looked up in DIR first (default for dynamic programs: "
                        "/usr/<triple>, e.g. /usr/aarch64-linux-gnu, when it exists; "
                        "--sysroot= for none)")
    p.add_argument("--allow-host-exec", action="store_true",
                   help="with --root: let the program execve host programs that are not arm64/"
                        "riscv64 executables (such as /bin/sh, which system() and popen() run); "
                        "without --root they always may, as under qemu-user")
    p.add_argument("--timeout", metavar="S", type=float,
                   help="wall-clock limit in seconds; 0 for none (default: none; under --root: 600)")
    p.add_argument("--max-insns", metavar="N", type=int,
                   help="instruction limit (Unicorn counts each instruction: about 4x slower; "
                        "prefer --timeout for a plain runaway guard)")
    p.add_argument("--max-memory", metavar="BYTES", type=int,
                   help="limit on the program's memory: its image, brk and mmap (default: 4 GiB)")
    p.add_argument("--max-disk", metavar="BYTES", type=int,
                   help="disk-write quota: bytes the program's writes may grow files by, then "
                        "EDQUOT; 0 for none (default: none; under --root: 1 GiB)")
    p.add_argument("--strace", "-strace", action="store_true", help="print each system call to stderr")
    p.add_argument("-E", dest="setenv", metavar="VAR=VALUE", action="append", default=[],
                   help="set an environment variable for the program")
    p.add_argument("-U", dest="unsetenv", metavar="VAR", action="append", default=[],
                   help="remove an environment variable")
    p.add_argument("--argv0", "-0", metavar="NAME",
                   help="argv[0] for the program (default: PROG as given; under --root, its path "
                        "inside the root)")
    qemu_compat.add_arguments(p)          # -g, -cpu, --install-binfmt, qemu-only options
    p.add_argument("--unknown-syscall", choices=("stop", "enosys"), default="stop",
                   help="on an unsupported system call: stop (default) or fail it with ENOSYS")
    p.add_argument("--no-tlb", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("prog", metavar="PROG", nargs="?")
    p.add_argument("args", metavar="ARGS", nargs=argparse.REMAINDER)
    return p


_built: argparse.ArgumentParser | None = None


def parser() -> argparse.ArgumentParser:
    """The command's parser, built once per process (parsing does not change it): the warm
    server builds it before it forks, so a served run does not (link/server.py)."""
    global _built
    if _built is None:
        _built = _parser()
    return _built


def warm_up() -> None:
    """What the warm server does before it forks runs: the parser, and its regular
    expressions in ``re``'s cache."""
    parser().parse_args(["--timeout", "1", "-E", "A=B", "--", "prog", "arg"])


def _error(msg: str) -> int:
    sys.stderr.write(f"xld: error: {msg}\n")
    sys.stderr.flush()
    return 1


def _announce(port: int) -> None:
    sys.stderr.write(f"xld run: waiting for gdb on 127.0.0.1:{port}\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    from .runner import InternalError, RunError, run

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        opts = parser().parse_args(argv)
    except _Usage as e:
        return _error(str(e))
    except SystemExit as e:  # --help
        return int(e.code or 0)
    from . import qemu_compat
    try:   # qemu's options and QEMU_* variables; --install-binfmt (an exit status)
        done = qemu_compat.apply(opts, os.environ)
    except (ValueError, OSError) as e:
        return _error(str(e))
    if done is not None:
        return done
    if opts.inherit_env and opts.root is None:
        return _error("--inherit-env needs --root (without it the environment is inherited)")
    if opts.inherit_env and opts.clearenv:
        return _error("--inherit-env and --clearenv contradict each other")
    # as under qemu-user, the host's environment; in the sandbox, only what is asked for
    inherit = opts.inherit_env or (opts.root is None and not opts.clearenv)
    env = dict(os.environ) if inherit else {}
    for kv in opts.setenv:
        if "=" not in kv:
            return _error(f"-E {kv}: expected VAR=VALUE")
        k, v = kv.split("=", 1)
        env[k] = v
    for k in opts.unsetenv:
        env.pop(k, None)
    if opts.timeout is not None and opts.timeout < 0:
        return _error("--timeout must not be negative")
    if opts.max_insns is not None and opts.max_insns <= 0:
        return _error("--max-insns must be positive")
    if opts.max_disk is not None and opts.max_disk < 0:
        return _error("--max-disk must not be negative")
    if opts.max_memory is not None and opts.max_memory <= 0:
        return _error("--max-memory must be positive")
    kwargs = {}
    if opts.max_memory:
        kwargs["max_memory"] = opts.max_memory
    from .tmpdirs import SigtermGuard
    term = SigtermGuard()    # SIGTERM (ctest's, meson's timeouts) stops the run in order: its
                             # private /tmp goes, and the exit status is 143
    try:
        sys.stdout.flush()
        res = run(opts.prog, argv=opts.args, env=env, stdin=0, stdout=1, stderr=2, root=opts.root,
                  pass_fds=inheritable_fds(),     # the caller's, as qemu-user passes them
                  timeout=opts.timeout, max_insns=opts.max_insns, strace=opts.strace,
                  unknown_syscall=opts.unknown_syscall, argv0=opts.argv0, tlb=not opts.no_tlb,
                  sysroot=opts.sysroot, cwd=opts.chdir, private_tmp=opts.private_tmp,
                  read_only=opts.read_only, max_disk=opts.max_disk,
                  allow_host_exec=opts.allow_host_exec,
                  interruptible=True, gdb=opts.gdb, gdb_announce=_announce if opts.gdb == 0 else None,
                  **kwargs)
    except RunError as e:
        return _error(str(e))
    except InternalError as e:
        if os.environ.get("XLD_DEBUG"):
            sys.stderr.write(e.tb)
        return _error(f"{e} (set XLD_DEBUG=1 for a traceback)")
    except KeyboardInterrupt:
        return 128 + 15 if term.came else 130
    except Exception as e:  # never a traceback for users
        if os.environ.get("XLD_DEBUG"):
            raise
        return _error(f"internal error: {e!r} (set XLD_DEBUG=1 for a traceback)")
    finally:
        term.restore()
    if term.came:
        return 128 + 15
    if res.crash:
        sys.stderr.write(res.crash)
        sys.stderr.flush()
    return res.returncode


if __name__ == "__main__":
    sys.exit(main())
