"""CMake with xld as its only linker: its compiler checks (a default, dynamic PIE try_compile
link) pass, and the project's shared library and programs run under qemu-user."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc
from tests.dynamic.util import dynamic

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


# A project as real ones are: a static library folded into a shared one (soname, version
# script), a C++ program using both, a ctest test run through the cross emulator (`xld run`),
# and `cmake --install` (which rewrites the build RUNPATH in the linked files in place).
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
SOURCES = {
    "core.c": "int core_scale(int x) { return 2 * x; }\nint core_helper(int x) { return x + 100; }\n",
    "api.c": "int core_scale(int x);\nstatic int total;\nint api_add(int x) { total += x; return total; }\n"
             "int api_scaled(void) { return core_scale(total); }\n"
             "const char *api_version(void) { return \"1.2\"; }\nint api_internal(void) { return 7; }\n",
    "api.map": "API_1 { global: api_add; api_scaled; api_version; local: *; };\n",
    "main.cc": "#include <cstdio>\n#include <cstdlib>\n#include <string>\n"
               "extern \"C\" { int api_add(int); int api_scaled(void); const char *api_version(void); "
               "int core_scale(int); }\n"
               "int main(int argc, char **argv) {\n    int s = 0;\n"
               "    for (int i = 1; i < argc; i++) s = api_add(std::atoi(argv[i]));\n"
               "    std::string v = api_version();\n"
               "    std::printf(\"sum %d scaled %d api %s core %d\\n\", s, api_scaled(), v.c_str(), core_scale(1));\n"
               "    return 0;\n}\n",
}


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
    through `xld run`, the installed libraries and programs have the same .dynamic (soname,
    needed, install RUNPATH, version definitions) and .dynsym (exported names with versions,
    imports), and every program runs under qemu-user with either library."""
    tc.require("cmake")
    tc.require(f"{tc.TRIPLE[arch]}-g++")
    src = tmp_path / "src"
    src.mkdir()
    (src / "CMakeLists.txt").write_text(INSTALLED)
    for name, text in SOURCES.items():
        (src / name).write_text(text)
    gnu, xld = (_build_and_install(arch, tmp_path, linker) for linker in ("gnu", "xld"))
    for rel in ("lib/libapi.so.1.2.0", "bin/calc"):
        ref, got = dynamic(gnu / rel), dynamic(xld / rel)
        for key in ("type", "needed", "soname", "runpath", "imports", "undefined"):
            assert got[key] == ref[key], (rel, key, got[key], ref[key])
        # (GNU ld also lists the version node itself, an absolute API_1; on riscv64 it puts
        # main in a PIE's .dynsym too, as every symbol its GOT holds: docs/dynamic.md)
        assert got["exports"] == {e for e in ref["exports"] if e[0] not in ("API_1@@API_1", "main")}, rel
    assert dynamic(xld / "lib/libapi.so.1.2.0")["verdefs"] == ["libapi.so.1", "API_1"]
    assert os.readlink(xld / "lib/libapi.so.1") == "libapi.so.1.2.0"
    # the installed program with each installed library ($ORIGIN/../lib finds it)
    for exe_by, lib_by in (("gnu", "gnu"), ("xld", "xld"), ("xld", "gnu"), ("gnu", "xld")):
        mixed = tmp_path / f"mixed-{exe_by}-{lib_by}"
        shutil.copytree(gnu if exe_by == "gnu" else xld, mixed / "exe", symlinks=True)
        shutil.rmtree(mixed / "exe" / "lib")
        shutil.copytree((gnu if lib_by == "gnu" else xld) / "lib", mixed / "exe" / "lib", symlinks=True)
        q = tc.qemu_run(arch, mixed / "exe" / "bin" / "calc", ["2", "3", "4"], sysroot=f"/usr/{tc.TRIPLE[arch]}")
        assert (q.status, q.stdout) == (0, b"sum 9 scaled 18 api 1.2 core 2\n"), (exe_by, lib_by, q.stderr)
