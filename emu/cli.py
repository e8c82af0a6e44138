"""``xld run``: run an arm64/riscv64 Linux program, passing stdin/stdout/stderr through.

    xld run [--root DIR [--allow-host-exec]] [--sysroot DIR | -L DIR] [--timeout S] [--max-insns N] [--strace]
            [-E VAR=VALUE] [-U VAR] [--argv0 NAME | -0 NAME] [-g PORT] [-cpu max]
            [--unknown-syscall={stop,enosys}] PROG [ARGS...]
    xld run --install-binfmt [--binfmt-dir DIR] [--yes]

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
                       "stat, access, readlink) tries SYSROOT/path first, then the root. See docs/run.md.")
    p.add_argument("--root", metavar="DIR", help="host directory the program sees as / (default: .)")
    p.add_argument("--sysroot", "-L", metavar="DIR", dest="sysroot",
                   help="the target's libraries, as qemu's -L: ld.so and absolute paths opened for "
                        "reading are looked up in DIR first (default for dynamic programs: "
                        "/usr/<triple>, e.g. /usr/aarch64-linux-gnu, when it exists; "
                        "--sysroot= for none)")
    p.add_argument("--allow-host-exec", action="store_true",
                   help="with --root: let the program execve host programs that are not arm64/"
                        "riscv64 executables (such as /bin/sh, which system() and popen() run); "
                        "without --root they always may, as under qemu-user")
    p.add_argument("--timeout", metavar="S", type=float, help="wall-clock limit in seconds")
    p.add_argument("--max-insns", metavar="N", type=int,
                   help="instruction limit (Unicorn counts each instruction: about 4x slower; "
                        "prefer --timeout for a plain runaway guard)")
    p.add_argument("--max-memory", metavar="BYTES", type=int, help="limit on brk+mmap memory")
    p.add_argument("--strace", "-strace", action="store_true", help="print each system call to stderr")
    p.add_argument("-E", dest="setenv", metavar="VAR=VALUE", action="append", default=[],
                   help="set an environment variable for the program")
    p.add_argument("-U", dest="unsetenv", metavar="VAR", action="append", default=[],
                   help="remove an environment variable")
    p.add_argument("--argv0", "-0", metavar="NAME", help="argv[0] for the program (default: PROG)")
    qemu_compat.add_arguments(p)          # -g, -cpu, --install-binfmt, qemu-only options
    p.add_argument("--unknown-syscall", choices=("stop", "enosys"), default="stop",
                   help="on an unsupported system call: stop (default) or fail it with ENOSYS")
    p.add_argument("--no-tlb", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("prog", metavar="PROG", nargs="?")
    p.add_argument("args", metavar="ARGS", nargs=argparse.REMAINDER)
    return p


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
        opts = _parser().parse_args(argv)
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
    env = dict(os.environ)
    for kv in opts.setenv:
        if "=" not in kv:
            return _error(f"-E {kv}: expected VAR=VALUE")
        k, v = kv.split("=", 1)
        env[k] = v
    for k in opts.unsetenv:
        env.pop(k, None)
    if opts.timeout is not None and opts.timeout <= 0:
        return _error("--timeout must be positive")
    if opts.max_insns is not None and opts.max_insns <= 0:
        return _error("--max-insns must be positive")
    kwargs = {}
    if opts.max_memory:
        kwargs["max_memory"] = opts.max_memory
    from .tmpdirs import SigtermGuard
    term = SigtermGuard()    # SIGTERM stops the run in order: its private /tmp goes (exit 143)
    try:
        sys.stdout.flush()
        res = run(opts.prog, argv=opts.args, env=env, stdin=0, stdout=1, stderr=2, root=opts.root,
                  timeout=opts.timeout, max_insns=opts.max_insns, strace=opts.strace,
                  unknown_syscall=opts.unknown_syscall, argv0=opts.argv0, tlb=not opts.no_tlb,
                  sysroot=opts.sysroot, allow_host_exec=opts.allow_host_exec,
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
