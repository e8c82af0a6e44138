"""Meson with xld as its only linker and `xld run` as its exe_wrapper: the cross file of
docs/build-systems.md, word for word apart from paths.  Meson's own compiler checks link with
xld (a sanity check runs a program through the exe_wrapper), the project's shared library and
programs run under qemu-user as they do under `xld run`, and `meson test` passes its tests
(one takes an absolute host path, as test runners pass them) through `xld run`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests import toolchain as tc
from tests.dynamic.util import calc_sources, installed_alike

MESON = [sys.executable, "-m", "mesonbuild.mesonmain"]

pytestmark = tc.skip_unless(tc.which("ninja") is not None and
                            subprocess.run(MESON + ["--version"], capture_output=True).returncode == 0,
                            "meson (pip) and ninja are needed")

PROJECT = """\
project('demo', 'c', 'cpp')
greet = shared_library('greet', 'greet.c')
hello = executable('hello', 'hello.c', link_with: greet)
hellocc = executable('hellocc', 'hello.cc')
test('greets', hello)
test('reads a host path', hello, args: [meson.current_source_dir() / 'data.txt'])
test('c++', hellocc)
"""
HELLO = """\
#include <stdio.h>
const char *greet(void);
int main(int argc, char **argv) {
    if (argc > 1) {                      /* an absolute host path, as meson passes it */
        FILE *f = fopen(argv[1], "r");
        char line[64] = "";
        if (!f || !fgets(line, sizeof line, f)) return 3;
        printf("%s", line);
        fclose(f);
    }
    puts(greet());
    return 0;
}
"""

CROSS = """\
[binaries]
c = '{triple}-gcc'
cpp = '{triple}-g++'
exe_wrapper = [{wrapper}]

[built-in options]
c_link_args = [{link_args}]
cpp_link_args = [{link_args}]

[host_machine]
system = 'linux'
cpu_family = '{cpu}'
cpu = '{cpu}'
endian = 'little'
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_meson_project_links_and_tests_with_xld(arch, tmp_path):
    triple = tc.TRIPLE[arch]
    tc.require(f"{triple}-g++")
    tc.require("ninja")
    ld = tc.ld_wrapper_dir(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "meson.build").write_text(PROJECT)
    (src / "greet.c").write_text('const char *greet(void){return "meson ok";}\n')
    (src / "hello.c").write_text(HELLO)
    (src / "hello.cc").write_text('#include <iostream>\nint main(){std::cout << "c++ ok" << std::endl;}\n')
    (src / "data.txt").write_text("host file\n")
    runner = ", ".join(f"'{c}'" for c in tc.xld_command() + ["run"])
    cross = tmp_path / "cross.ini"
    cross.write_text(CROSS.format(triple=triple, link_args=f"'-B{ld}'", wrapper=runner, cpu=triple.split("-")[0]))
    build = tmp_path / "build"
    p = subprocess.run(MESON + ["setup", str(build), str(src), "--cross-file", str(cross)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (ld / "called").exists(), "meson's compiler checks did not link with xld"
    (ld / "called").unlink()
    p = subprocess.run(MESON + ["compile", "-C", str(build)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (ld / "called").exists(), "the project was not linked with xld"
    p = subprocess.run(MESON + ["test", "-C", str(build), "--print-errorlogs"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Ok:                3" in p.stdout or "Ok:                 3" in p.stdout \
        or "Ok: 3" in " ".join(p.stdout.split()), p.stdout
    # the same programs under the oracle: qemu-user with the target's sysroot
    data = str(src / "data.txt")
    for exe, args, want in (("hello", [], b"meson ok\n"), ("hello", [data], b"host file\nmeson ok\n"),
                            ("hellocc", [], b"c++ ok\n")):
        q = tc.qemu_run(arch, build / exe, args, sysroot=f"/usr/{triple}")
        assert (q.status, q.stdout) == (0, want), q.stderr
        x = subprocess.run(tc.xld_command() + ["run", str(build / exe), *args], capture_output=True,
                           cwd=build, timeout=120)
        assert (x.returncode, x.stdout) == (0, want), x.stderr


# progs/calc as meson builds it: a static library folded into a shared one with a soname and a
# version script, a C++ program using both, `meson test` through the exe_wrapper (`xld run`),
# `meson install` (which rewrites the build tree's RUNPATH inside the linked files)
INSTALLED = """\
project('calc', 'c', 'cpp')
core = static_library('core', 'core.c', pic: true, install: true)
api = shared_library('api', 'api.c', link_with: core, version: '1.2.0', soversion: '1',
                     link_args: ['-Wl,--version-script=' + meson.current_source_dir() / 'api.map'],
                     link_depends: 'api.map', install: true)
calc = executable('calc', 'main.cc', link_with: [api, core], install: true, install_rpath: '$ORIGIN/../lib')
test('sums', calc, args: ['2', '3', '4'])
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_meson_installed_project_matches_gnu_ld(arch, tmp_path):
    """The same project built, tested and installed once with GNU ld and once with xld:
    `meson test` passes through `xld run`, and the installed files match (util.installed_alike)."""
    triple = tc.TRIPLE[arch]
    tc.require(f"{triple}-g++")
    src = calc_sources(tmp_path / "src")
    (src / "meson.build").write_text(INSTALLED)
    runner = ", ".join(f"'{c}'" for c in tc.xld_command() + ["run"])
    prefixes = []
    for linker in ("gnu", "xld"):
        ld = tc.ld_wrapper_dir(tmp_path / "wrap") if linker == "xld" else None
        cross = tmp_path / f"{linker}.ini"
        cross.write_text(CROSS.format(triple=triple, link_args=f"'-B{ld}'" if ld else "", wrapper=runner,
                                      cpu=triple.split("-")[0]))
        build, prefix = tmp_path / f"build-{linker}", tmp_path / f"install-{linker}"
        for cmd in (["setup", build, src, "--cross-file", cross, f"--prefix={prefix}"], ["compile", "-C", build],
                    ["test", "-C", build, "--print-errorlogs"], ["install", "-C", build]):
            p = subprocess.run(MESON + [str(c) for c in cmd], capture_output=True, text=True)
            assert p.returncode == 0, f"{linker}: {cmd}\n{p.stdout}{p.stderr}"
        if ld:
            assert (ld / "called").exists(), "the project was not linked with xld"
        prefixes.append(prefix)
    installed_alike(arch, *prefixes, tmp_path)
