"""pytest plugin: the ``xld_run`` fixture runs cross-built programs under xld's emulator.

    def test_hello(xld_run):
        res = xld_run("build/hello-arm64", "arg", stdin=b"input\\n")
        assert res.returncode == 0, res.crash
        assert res.stdout == b"hello\\n"

``xld_run(path, *args, **options)`` takes the options of :func:`xld.emu.run` (env, stdin, root,
timeout, max_insns, sysroot, ...); dynamically linked programs find ld.so and their libraries in
/usr/<triple> by default. By default each test gets a private root, its ``tmp_path`` (put input
files there), and a 60 s timeout (``--xld-timeout`` changes it). When a program crashes or hits
a limit, its report is attached to the test's output.

Under pytest-xdist (``pytest -n auto``) each worker runs its tests' programs in engines of its
own, each test with its own root and each run with its own private /tmp (emu/tmpdirs.py):
nothing is shared between runs, and nothing is left behind by a worker that is killed.

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

    def __init__(self, root, timeout):
        self.root = root
        self.timeout = timeout
        self.results = []

    def __call__(self, path, *args, **options):
        from xld.emu import run

        options.setdefault("root", self.root)
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
