"""CMake with xld as its only linker: its compiler checks (a default, dynamic PIE try_compile
link) pass, and the project's shared library and programs run under qemu-user."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc
from tests.dynamic.util import calc_sources, installed_alike

pytestmark = tc.skip_unless(tc.which("cmake") is not None and tc.which("make") is not None,
                            "cmake and make are needed")

PROJECT = """\
cmake_minimum_required(VERSION 3.16)
project(demo C CXX)
add_library(greet SHARED greet.c)
add_executable(hello hello.c)
target_link_libraries(hello greet)
add_executable(hellocc hello.cc)
"""
TOOLCHAIN = """\
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR {proc})
set(CMAKE_C_COMPILER {triple}-gcc)
set(CMAKE_CXX_COMPILER {triple}-g++)
set(CMAKE_EXE_LINKER_FLAGS_INIT "{flags}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "{flags}")
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_cmake_project_links_with_xld(arch, tmp_path):
    tc.require("cmake")
    triple = tc.TRIPLE[arch]
    tc.require(f"{triple}-gcc")
    wrapper = tc.ld_wrapper_dir(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "CMakeLists.txt").write_text(PROJECT)
    (src / "greet.c").write_text('const char *greet(void){return "c ok";}\n')
    (src / "hello.c").write_text('#include <stdio.h>\nconst char *greet(void);\nint main(void){puts(greet());return 0;}\n')
    (src / "hello.cc").write_text('#include <iostream>\nint main(){std::cout << "c++ ok" << std::endl;}\n')
    tcfile = tmp_path / "toolchain.cmake"
    tcfile.write_text(TOOLCHAIN.format(proc=triple.split("-")[0], triple=triple, flags=f"-B{wrapper}"))
    build = tmp_path / "build"
    p = subprocess.run(["cmake", "-S", src, "-B", build, f"-DCMAKE_TOOLCHAIN_FILE={tcfile}"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (wrapper / "called").exists(), "the compiler check did not link with xld"
    p = subprocess.run(["cmake", "--build", build], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    for exe, want in (("hello", b"c ok\n"), ("hellocc", b"c++ ok\n")):
        r = subprocess.run([tc.QEMU[arch], "-L", f"/usr/{triple}", str(build / exe)], capture_output=True,
                           cwd=build)
        assert (r.returncode, r.stdout) == (0, want)


# A project as real ones are (progs/calc): a static library folded into a shared one (soname,
# version script), a C++ program using both, a ctest test run through the cross emulator
# (`xld run`), and `cmake --install` (which rewrites the build RUNPATH in the linked files).
INSTALLED = """\
cmake_minimum_required(VERSION 3.16)
project(calc C CXX)
enable_testing()
set(CMAKE_INSTALL_RPATH "$ORIGIN/../lib")
add_library(core STATIC core.c)
set_target_properties(core PROPERTIES POSITION_INDEPENDENT_CODE ON)
add_library(api SHARED api.c)
target_link_libraries(api PRIVATE core)
set_target_properties(api PROPERTIES VERSION 1.2.0 SOVERSION 1)
target_link_options(api PRIVATE "-Wl,--version-script=${CMAKE_CURRENT_SOURCE_DIR}/api.map")
add_executable(calc main.cc)
target_link_libraries(calc PRIVATE api core)
add_test(NAME sums COMMAND calc 2 3 4)
set_tests_properties(sums PROPERTIES PASS_REGULAR_EXPRESSION "sum 9 scaled 18 api 1.2 core 2")
install(TARGETS calc api core RUNTIME DESTINATION bin LIBRARY DESTINATION lib ARCHIVE DESTINATION lib)
"""


def _build_and_install(arch: str, root: Path, linker: str) -> Path:
    triple = tc.TRIPLE[arch]
    wrapper = tc.ld_wrapper_dir(root / "wrap") if linker == "xld" else None
    tcfile = root / f"{linker}.cmake"
    tcfile.write_text(TOOLCHAIN.format(proc=triple.split("-")[0], triple=triple, flags=f"-B{wrapper}" if wrapper else "")
                      + "set(CMAKE_CROSSCOMPILING_EMULATOR {})\n".format(";".join(tc.xld_command() + ["run"])))
    build, prefix = root / f"build-{linker}", root / f"install-{linker}"
    for cmd in (["cmake", "-S", root / "src", "-B", build, f"-DCMAKE_TOOLCHAIN_FILE={tcfile}",
                 f"-DCMAKE_INSTALL_PREFIX={prefix}"], ["cmake", "--build", build],
                ["ctest", "--output-on-failure"], ["cmake", "--install", build]):
        p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=build if cmd[0] == "ctest" else None)
        assert p.returncode == 0, f"{linker}: {cmd}\n{p.stdout}{p.stderr}"
    if wrapper:
        assert (wrapper / "called").exists(), "the project was not linked with xld"
    return prefix


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_cmake_installed_project_matches_gnu_ld(arch, tmp_path):
    """The same project built and installed once with GNU ld and once with xld: ctest passes
    through `xld run`, and the installed files match (util.installed_alike)."""
    tc.require("cmake")
    tc.require(f"{tc.TRIPLE[arch]}-g++")
    src = calc_sources(tmp_path / "src")
    (src / "CMakeLists.txt").write_text(INSTALLED)
    gnu, xld = (_build_and_install(arch, tmp_path, linker) for linker in ("gnu", "xld"))
    installed_alike(arch, gnu, xld, tmp_path)
