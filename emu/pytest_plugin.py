"""pytest plugin: the ``xld_run`` fixture runs cross-built programs under xld's emulator.

    def test_hello(xld_run):
        res = xld_run("build/hello-arm64", "arg", stdin=b"input\\n")
        assert res.returncode == 0, res.crash
        assert res.stdout == b"hello\\n"

``xld_run(path, *args, **options)`` takes the options of :func:`xld.emu.run` (env, stdin, cwd,
root, timeout, max_insns, sysroot, ...); dynamically linked programs find ld.so and their
libraries in /usr/<triple> by default. As under qemu-user, the program sees the host's files
under their own paths (absolute paths in arguments work); it starts in the test's own
``tmp_path`` (put input files there; relative paths land there: parallel tests under
pytest-xdist share nothing), with a 60 s timeout (``--xld-timeout`` changes it). ``root=DIR`` runs it in the sandbox instead. When
a program crashes or hits a limit, its report is attached to the test's output.

Under pytest-xdist (``pytest -n auto``) each worker runs its tests' programs in engines of its
own, each test in its own ``tmp_path``; a program that uses /tmp should get a private one
(``private_tmp=True``, the default with ``root=``: emu/tmpdirs.py): then nothing is shared
between runs, and nothing is left behind by a worker that is killed.

This module is loaded by every pytest run (entry point ``xld_emu``): it imports nothing heavy
until the fixture is used.
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("xld", "xld emulator")
    group.addoption("--xld-timeout", type=float, default=60.0,
                    help="default wall-clock limit for programs run by the xld_run fixture (s)")


class XldRunner:
    """Callable returned by the ``xld_run`` fixture."""

    def __init__(self, cwd, timeout):
        self.cwd = cwd
        self.timeout = timeout
        self.results = []

    def __call__(self, path, *args, **options):
        from xld.emu import run

        if options.get("root") is None:
            options.setdefault("cwd", self.cwd)
        options.setdefault("timeout", self.timeout)
        if args and "argv" in options:
            raise TypeError("pass arguments either positionally or as argv=, not both")
        argv = list(options.pop("argv", args))
        res = run(os.fspath(path), argv=[os.fspath(a) for a in argv], **options)
        self.results.append((os.fspath(path), res))
        return res


@pytest.fixture
def xld_run(request, tmp_path):
    runner = XldRunner(str(tmp_path), request.config.getoption("--xld-timeout", 60.0))
    yield runner
    for path, res in runner.results:
        if res.crash:
            request.node.add_report_section("call", "xld run", f"{path}:\n{res.crash}")
