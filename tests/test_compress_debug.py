"""--compress-debug-sections=zlib (link/compress.py): ``gcc -gz`` passes it to the linker.

The oracle is GNU ld with the same option: the same sections come out compressed (GNU ld
compresses a section only when that makes it smaller), every section's contents read back
(pyelftools decompresses) equal xld's own plain link of the same objects, the debugger's view
(readelf's decoded line table) is the same, and the program runs the same under qemu-user.
"""
from __future__ import annotations

import subprocess

import pytest

from tests import toolchain as tc

SHF_COMPRESSED = 0x800

MAIN = r"""
#include <stdio.h>
struct point { int x, y; };
int scale(struct point *p, int k);
int main(int argc, char **argv)
{
    struct point p = { argc, 2 * argc };
    for (int i = 0; i < 3; i++)
        printf("%d\n", scale(&p, i + 2));
    return 0;
}
"""
LIB = r"""
struct point { int x, y; };
static const char *names[] = { "zero", "one", "two", "three", "four" };
int scale(struct point *p, int k)
{
    p->x *= k;
    p->y += p->x;
    return p->x + p->y + (int)names[k % 5][0];
}
"""


def _sections(path):
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        elf = ELFFile(f)
        return {s.name: (s["sh_flags"], s["sh_addralign"], s["sh_offset"], s.data()) for s in elf.iter_sections()}


@pytest.fixture(scope="module", params=["arm64", "riscv64"])
def objs(request, tmp_path_factory):
    arch = request.param
    d = tmp_path_factory.mktemp(f"gz-{arch}")
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    out = []
    for name, src in (("main", MAIN), ("lib", LIB)):
        (d / f"{name}.c").write_text(src)
        subprocess.run([cc, "-g", "-O1", "-c", str(d / f"{name}.c"), "-o", str(d / f"{name}.o")], check=True)
        out.append(d / f"{name}.o")
    return arch, out


@pytest.mark.parametrize("mode", [[], ["-static"]], ids=["dynamic", "static"])
def test_gz_like_gnu_ld(objs, mode, tmp_path):
    arch, objects = objs
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    wrap = str(tc.ld_wrapper_dir(tmp_path))
    gnu, ours, plain, again = (tmp_path / n for n in ("gnu", "xld", "plain", "again"))
    subprocess.run([cc, *mode, "-gz", *map(str, objects), "-o", str(gnu)], check=True)
    for out, flags in ((ours, ["-gz"]), (again, ["-gz"]), (plain, [])):
        p = subprocess.run([cc, "-B", wrap, *mode, *flags, *map(str, objects), "-o", str(out)],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
    assert ours.read_bytes() == again.read_bytes()
    g, x, pl = _sections(gnu), _sections(ours), _sections(plain)
    packed = sorted(n for n, s in x.items() if s[0] & SHF_COMPRESSED)
    assert packed == sorted(n for n, s in g.items() if s[0] & SHF_COMPRESSED)
    assert ".debug_info" in packed and all(n.startswith(".debug_") for n in packed)
    assert all(x[n][1] == 8 and x[n][2] % 8 == 0 for n in packed)
    assert not any(s[0] & SHF_COMPRESSED for s in pl.values())
    assert ours.stat().st_size < plain.stat().st_size
    assert x.keys() == pl.keys()
    for name in x:
        if name != ".note.gnu.build-id":
            assert x[name][3] == pl[name][3], name
    objdump = f"{tc.TRIPLE[arch]}-objdump"
    lines = [subprocess.run([objdump, "--dwarf=decodedline", str(f)], capture_output=True, text=True,
                            check=True).stdout.split("\n", 2)[2] for f in (ours, plain)]
    assert "main.c" in lines[0] and lines[0] == lines[1]
    sysroot = f"/usr/{tc.TRIPLE[arch]}"
    want, got = tc.qemu_run(arch, gnu, sysroot=sysroot), tc.qemu_run(arch, ours, sysroot=sysroot)
    assert got.status == want.status == 0 and got.stdout == want.stdout and got.stdout


def test_relocatable_output_compressed_and_linkable(objs, tmp_path):
    """-r --compress-debug-sections=zlib: the object's debug sections are compressed, and both
    xld and GNU ld link it into the program a plain -r object makes."""
    arch, objects = objs
    packed, plain = tmp_path / "packed.o", tmp_path / "plain.o"
    for out, flags in ((packed, ["--compress-debug-sections=zlib"]), (plain, [])):
        res = tc.xld_link(["--arch", arch, "-r", *flags, "-o", out, *objects])
        assert res.status == 0, res.stderr
    p, q = _sections(packed), _sections(plain)
    assert p[".debug_info"][0] & SHF_COMPRESSED and not q[".debug_info"][0] & SHF_COMPRESSED
    assert all(p[n][3] == q[n][3] for n in q)
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    wrap = str(tc.ld_wrapper_dir(tmp_path))
    outs = []
    for k, (obj, extra) in enumerate(((packed, ["-B", wrap]), (plain, ["-B", wrap]), (packed, []))):
        exe = tmp_path / f"exe{k}"
        r = subprocess.run([cc, *extra, "-static", str(obj), "-o", str(exe)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        outs.append(tc.qemu_run(arch, exe).stdout)
    assert outs[0] == outs[1] == outs[2] and outs[0]


def _zstd_sections(path) -> dict[str, tuple[int, int, bytes]]:
    """name -> (sh_flags, ch_type or 0, contents: a zstd-compressed one decompressed, by the
    zstandard package; pyelftools knows zlib only)."""
    import struct
    import zstandard
    from elftools.elf.elffile import ELFFile
    out = {}
    with open(path, "rb") as f:
        for s in ELFFile(f).iter_sections():
            f.seek(s["sh_offset"])
            raw = f.read(s["sh_size"]) if s["sh_type"] != "SHT_NOBITS" else b""
            ch = struct.unpack_from("<I", raw)[0] if s["sh_flags"] & SHF_COMPRESSED else 0
            if ch == 2:
                raw = zstandard.ZstdDecompressor().decompress(raw[24:], max_output_size=1 << 26)
            out[s.name] = (s["sh_flags"], ch, raw)
    return out


def _chdr_types(path) -> dict[str, int]:
    """name -> ch_type of each SHF_COMPRESSED section."""
    return {n: s[1] for n, s in _zstd_sections(path).items() if s[0] & SHF_COMPRESSED}


def test_zstd_like_gnu_ld(objs, tmp_path):
    """--compress-debug-sections=zstd (was refused; the zstandard package): the same sections
    as GNU ld's come out ELFCOMPRESS_ZSTD, they read back as xld's plain link, the program
    runs as GNU ld's; an object GNU ld's -r left zstd-compressed links as its plain self."""
    arch, objects = objs
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    wrap = str(tc.ld_wrapper_dir(tmp_path))
    gnu, ours, plain = (tmp_path / n for n in ("gnu", "xld", "plain"))
    zstd = "-Wl,--compress-debug-sections=zstd"
    subprocess.run([cc, "-static", zstd, *map(str, objects), "-o", str(gnu)], check=True)
    for out, flags in ((ours, [zstd]), (plain, [])):
        p = subprocess.run([cc, "-B", wrap, "-static", *flags, *map(str, objects), "-o", str(out)],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
    types = _chdr_types(ours)
    assert ".debug_info" in types and set(types.values()) == {2}            # ELFCOMPRESS_ZSTD
    assert sorted(types) == sorted(_chdr_types(gnu))
    x, pl = _zstd_sections(ours), _zstd_sections(plain)
    assert x.keys() == pl.keys()
    for name in x:
        if name != ".note.gnu.build-id":
            assert x[name][2] == pl[name][2], name
    want, got = tc.qemu_run(arch, gnu), tc.qemu_run(arch, ours)
    assert got.status == want.status == 0 and got.stdout == want.stdout and got.stdout
    # GNU ld's -r with zstd: an input xld reads decompressed (was 'not supported')
    packed = tmp_path / "packed.o"
    subprocess.run([f"{tc.TRIPLE[arch]}-ld", "-r", "--compress-debug-sections=zstd", *map(str, objects),
                    "-o", str(packed)], check=True)
    assert set(_chdr_types(packed).values()) == {2}
    again = tmp_path / "again"
    p = subprocess.run([cc, "-B", wrap, "-static", str(packed), "-o", str(again)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    objdump = f"{tc.TRIPLE[arch]}-objdump"
    lines = [subprocess.run([objdump, "--dwarf=decodedline", str(f)], capture_output=True, text=True,
                            check=True).stdout.split("\n", 2)[2] for f in (again, plain)]
    assert "main.c" in lines[0] and lines[0] == lines[1]
    assert tc.qemu_run(arch, again).stdout == want.stdout


def test_zstd_without_the_package_says_so(objs, tmp_path, monkeypatch):
    """Without the zstandard package, zstd (as the output's format or in an input) is an
    error that names it, and no output is left."""
    import sys
    arch, objects = objs
    monkeypatch.setitem(sys.modules, "zstandard", None)          # import fails
    out = tmp_path / "out"
    res = tc.xld_link(["--arch", arch, "--compress-debug-sections=zstd", "-e", "main", "--unresolved-symbols=ignore-all",
                       "-o", out, *objects])
    assert res.status == 1 and "needs the zstandard package" in res.stderr and not out.exists()
    packed = tmp_path / "packed.o"
    subprocess.run([f"{tc.TRIPLE[arch]}-ld", "-r", "--compress-debug-sections=zstd", *map(str, objects),
                    "-o", str(packed)], check=True)
    res = tc.xld_link(["--arch", arch, "-e", "main", "--unresolved-symbols=ignore-all", "-o", out, packed])
    assert res.status == 1 and "a zstd-compressed section needs the zstandard package" in res.stderr
    assert not out.exists()
