"""CMake with xld as its only linker: its compiler checks (a default, dynamic PIE try_compile
link) pass, and the project's shared library and programs run under qemu-user."""
from __future__ import annotations

import subprocess

import pytest

from tests import toolchain as tc

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
set(CMAKE_EXE_LINKER_FLAGS_INIT "-B{wrapper}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-B{wrapper}")
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
    tcfile.write_text(TOOLCHAIN.format(proc=triple.split("-")[0], triple=triple, wrapper=wrapper))
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
