"""A generated program big enough to stress layout and RISC-V relaxation: a few thousand
functions spread over several files, calling across files, through function-pointer tables
and switch jump tables, with aligned functions in between. GNU ld's executable is the oracle.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests import toolchain as tc

FILES = 4
PER_FILE = 200
COMMON = Path(__file__).parent / "progs" / "common"


def generate(d: Path) -> list[Path]:
    d.mkdir(parents=True, exist_ok=True)
    total = FILES * PER_FILE
    decls = "".join(f"long f{k}(long x);\n" for k in range(total))
    paths = []
    for fi in range(FILES):
        lines = ['#include "rt.h"\n', decls]
        for k in range(fi * PER_FILE, (fi + 1) * PER_FILE):
            prev = f"f{k - 1}" if k else None
            align = " __attribute__((aligned(32)))" if k % 37 == 0 else ""
            if prev is None:
                body = "return x + 1;"
            else:
                body = (f"switch (x & 7) {{\n"
                        f"    case 0: return {prev}(x + {k}) ^ {k};\n"
                        f"    case 1: return {prev}(x * 3) + 1;\n"
                        f"    case 2: return {prev}(x - {k % 13}) - 2;\n"
                        f"    case 3: return {prev}(x >> 1) * 5;\n"
                        f"    case 4: return table{fi}[{k % 16}](x + 1) + {prev}(x);\n"
                        f"    case 5: return {prev}(x + 0x{k * 2654435761 & 0xffffffff:x}L);\n"
                        f"    case 6: return {prev}(~x) & 0xffffffffff;\n"
                        f"    default: return {prev}(x ^ {k * 7}) | 1;\n"
                        f"    }}")
            lines.append(f"long f{k}(long x){align};\n" if align else "")
            lines.append(f"long f{k}(long x)\n{{\n    {body}\n}}\n")
        base = fi * PER_FILE
        lines.insert(2, f"static long leaf{fi}(long x) {{ return x * {fi + 3}; }}\n"
                        f"static long (*const table{fi}[16])(long) = {{"
                        + ", ".join(["leaf%d" % fi] * 16) + "};\n")
        lines.append(f"const long data{fi}[512] = {{" +
                     ", ".join(str(base + i) for i in range(512)) + "};\n")
        p = d / f"gen{fi}.c"
        p.write_text("".join(lines))
        paths.append(p)
    main = d / "main.c"
    main.write_text(
        '#include "rt.h"\n'
        f"long f{total - 1}(long x);\n"
        + "".join(f"extern const long data{fi}[512];\n" for fi in range(FILES)) +
        "int main(int argc, char **argv)\n{\n    (void)argv;\n    long s = 0;\n"
        "    for (long i = 0; i < 4; i++)\n"
        f"        s = s * 31 + f{total - 1}(i + argc);\n"
        "    put(\"checksum \");\n    put_hex((u64)s);\n    nl();\n"
        + "".join(f"    s += data{fi}[511];\n" for fi in range(FILES)) +
        "    say(\"data\", s & 0xffff);\n    return (int)(s & 0x7f);\n}\n")
    return [*paths, main]


BUILDS = [("arm64", "gcc", ["-O2", "-ffunction-sections"]),
          ("riscv64", "gcc", ["-Os", "-falign-functions=16"]),
          ("riscv64", "zig", ["-O2"])]


@pytest.mark.parametrize("arch,cc,flags", [pytest.param(a, c, f, id=f"{a}-{c}-{f[0][1:]}")
                                           for a, c, f in BUILDS])
def test_generated_program_matches_gnu_ld(arch, cc, flags, tmp_path_factory):
    d = tmp_path_factory.mktemp(f"bigcode-{arch}-{cc}")
    sources = generate(d / "src")
    sources += sorted(COMMON.glob("*.c"))
    compiler = tc.compiler(cc, arch)
    objs = compiler.compile_many(sources, d / "obj", [*flags, f"-I{COMMON}"])
    gnu = tc.gnu_ld(arch, objs, d / "gnu.exe")
    out = d / "xld.exe"
    res = tc.xld_link(["--arch", arch, "-static", "-o", out, *objs])
    assert res.status == 0, res.stderr
    ref = tc.qemu_run(arch, gnu, ["a"])
    assert ref.stdout.startswith(b"checksum ")
    for name, got in (("qemu", tc.qemu_run(arch, out, ["a"])), ("xld run", tc.xld_run(out, ["a"]))):
        assert (got.status, got.stdout) == (ref.status, ref.stdout), (
            f"under {name}: GNU ld {ref.summary()}\nxld {got.summary()}")
