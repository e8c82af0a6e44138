"""A CTest project run with CMAKE_CROSSCOMPILING_EMULATOR set to `xld run`: its tests take
absolute paths (source and build directories), a working directory and an environment, as
CTest and meson give them; they pass as under qemu-user."""

import shutil
import subprocess
import sys

import pytest

from tests import toolchain as tc

from conftest import ARCHES, GNU, QEMU, sysroot

PROJECT = """\
cmake_minimum_required(VERSION 3.16)
project(viewtest C)
enable_testing()
add_executable(copy copy.c)
# absolute paths, as CTest passes them
add_test(NAME absolute COMMAND copy ${CMAKE_CURRENT_SOURCE_DIR}/input.txt ${CMAKE_CURRENT_BINARY_DIR}/out.txt)
set_tests_properties(absolute PROPERTIES PASS_REGULAR_EXPRESSION "copied 12 bytes")
# a working directory and a relative path in it
add_test(NAME relative COMMAND copy input.txt ${CMAKE_CURRENT_BINARY_DIR}/out2.txt
         WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
# the test's environment reaches the program
add_test(NAME environment COMMAND copy --env VIEWTEST_MODE)
set_tests_properties(environment PROPERTIES ENVIRONMENT "VIEWTEST_MODE=on"
                     PASS_REGULAR_EXPRESSION "VIEWTEST_MODE=on")
# a failing program fails its test
add_test(NAME missing COMMAND copy ${CMAKE_CURRENT_SOURCE_DIR}/nope.txt ${CMAKE_CURRENT_BINARY_DIR}/x)
set_tests_properties(missing PROPERTIES WILL_FAIL TRUE)
"""

COPY_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--env")) {
        const char *v = getenv(argv[2]);
        printf("%s=%s\n", argv[2], v ? v : "(unset)");
        return v ? 0 : 1;
    }
    FILE *in = fopen(argv[1], "rb");
    if (!in) { perror(argv[1]); return 1; }
    FILE *out = fopen(argv[2], "wb");
    if (!out) { perror(argv[2]); return 1; }
    char buf[4096];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        total += fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
    printf("copied %zu bytes\n", total);
    return 0;
}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The project configured and built once per arch (a dynamically linked program: gcc's
    default)."""
    for tool in ("cmake", "ctest"):
        if shutil.which(tool) is None:
            tc.missing(f"{tool} not installed")
    built = {}

    def get(arch):
        if arch not in built:
            cc = shutil.which(f"{GNU[arch]}-gcc")
            if cc is None:
                tc.missing(f"{GNU[arch]}-gcc not installed")
            d = tmp_path_factory.mktemp(f"ctest-{arch}")
            src = d / "src"
            src.mkdir()
            (src / "CMakeLists.txt").write_text(PROJECT)
            (src / "copy.c").write_text(COPY_C)
            (src / "input.txt").write_text("hello, view\n")
            (d / "toolchain.cmake").write_text(
                f"set(CMAKE_SYSTEM_NAME Linux)\nset(CMAKE_SYSTEM_PROCESSOR {GNU[arch].split('-')[0]})\n"
                f"set(CMAKE_C_COMPILER {cc})\n")
            built[arch] = d
        return built[arch]
    return get


def _ctest(d, name, emulator):
    build = d / f"build-{name}"
    p = subprocess.run(["cmake", "-S", d / "src", "-B", build, f"-DCMAKE_TOOLCHAIN_FILE={d / 'toolchain.cmake'}",
                        f"-DCMAKE_CROSSCOMPILING_EMULATOR={';'.join(emulator)}"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    p = subprocess.run(["cmake", "--build", build], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    p = subprocess.run(["ctest", "--output-on-failure", "-j2"], cwd=build, capture_output=True,
                       text=True, timeout=300)
    return p, build


@pytest.mark.parametrize("arch", ARCHES)
def test_ctest_with_xld_run_as_the_emulator(project, arch):
    d = project(arch)
    xld_run = [sys.executable, "-m", "xld.emu", "--sysroot", sysroot(arch)]
    qemu = shutil.which(QEMU[arch])
    if qemu is None:
        tc.missing(f"{QEMU[arch]} not installed")
    results = {}
    for name, emulator in (("qemu", [qemu, "-L", sysroot(arch)]), ("xld", xld_run)):
        p, build = _ctest(d, name, emulator)
        results[name] = p.returncode
        assert "100% tests passed, 0 tests failed out of 4" in p.stdout, p.stdout + p.stderr
        assert (build / "out.txt").read_text() == "hello, view\n"
        assert (build / "out2.txt").read_text() == "hello, view\n"
    assert results == {"qemu": 0, "xld": 0}
