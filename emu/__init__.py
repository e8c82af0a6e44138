"""xld.emu: run arm64/riscv64 Linux executables (static, static-pie, dynamic) on Unicorn, like a process.

    from xld.emu import run
    res = run("hello", argv=["a"], stdin=b"input", timeout=10)
    res = run("dyn-hello", sysroot="/usr/aarch64-linux-gnu")   # ld.so and libc.so.6 from there
    res.returncode, res.stdout, res.stderr, res.crash
    res.check()          # raises ProgramFailed (an AssertionError) with the report unless status 0
"""

from .runner import ProgramFailed, Result, RunError, run

__all__ = ["run", "Result", "RunError", "ProgramFailed"]
