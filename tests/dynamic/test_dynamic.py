"""Dynamic executables: gcc's and clang's default links (PIE), -no-pie, -static-pie.

Each program is compiled once per arch; the same objects are linked by the compiler driver
with GNU ld (the oracle) and with xld (``-B DIR`` whose ``ld`` is xld), both run under
``qemu-<arch> -L /usr/<triple>``; output and exit status must match, and the output must say
what the program checks (so that both being wrong the same way cannot pass).  The dynamic
sections are compared with GNU ld's through pyelftools: DT_NEEDED, imported functions with
their versions, and the number of dynamic relocations of each type.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc
from tests.dynamic.util import dynamic as _dynamic, run as _run

PROGS = Path(__file__).parent / "progs"
pytestmark = tc.skip_unless(all(tc.which(f"{t}-gcc") for t in tc.TRIPLE.values())
                            and all(tc.which(q) for q in tc.QEMU.values()),
                            "cross gcc and qemu-user are needed")

EXPECT = {
    "usefoo": ["add 5", "counter 40 bump 41 counter 41", "counter after write 5, bump 6",
               "name libfoo", "same function 1 1", "tls 7 next 8 tls 8", "hook 42",
               "version 2", "ifunc 100", "override 42", "errno ERANGE", "plugin 13"],
    "features": ["sorted 1 3 5 9", "environ ok 1", "stdout ok", "tls 5 tls", "ifunc 1",
                 "table one two", "strlen 7", "bye"],
    "app": ["area 9", "caught too big: 5", "map 2", "thread 5 main 1"],
}
STATUS = {"usefoo": 0, "features": 3, "app": 0}


class Arch:
    """The per-arch build directory: the two shared libraries, built by GNU ld."""

    def __init__(self, arch: str, root: Path):
        self.arch = arch
        self.triple = tc.TRIPLE[arch]
        self.dir = root / arch
        self.dir.mkdir(parents=True, exist_ok=True)
        self.wrapper = tc.ld_wrapper_dir(root)
        gcc = f"{self.triple}-gcc"
        _run([gcc, "-shared", "-fPIC", "-O1", f"-Wl,--version-script={PROGS / 'libfoo.map'}",
              PROGS / "libfoo.c", "-o", self.dir / "libfoo.so"])
        _run([gcc, "-shared", "-fPIC", PROGS / "libplug.c", "-o", self.dir / "libplug.so"])

    def driver(self, lang: str, cc: str) -> list[str]:
        if cc == "clang":
            return ["clang-14" if lang == "c" else "clang++-14", f"--target={self.triple}"]
        return [f"{self.triple}-{'gcc' if lang == 'c' else 'g++'}"]

    def build(self, prog: str, mode: str, cc: str = "gcc") -> tuple[Path, Path]:
        """(GNU ld's program, xld's program) from the same object."""
        src = next(PROGS.glob(prog + ".c*"))
        lang = "c" if src.suffix == ".c" else "c++"
        drv = self.driver(lang, cc)
        tag = f"{prog}-{cc}{mode}"
        obj = self.dir / f"{tag}.o"
        cflags = ["-O1"] + (["-fno-pie"] if mode == "-no-pie" else []) + \
            (["-fPIE"] if mode == "-static-pie" else []) + (["-fPIC"] if mode == "pic" else [])
        _run([*drv, *cflags, "-c", src, "-o", obj])
        libs = ["-L", self.dir, "-lfoo", "-Wl,-rpath,."] if prog == "usefoo" else []
        flags = [mode] if mode.startswith("-") else []      # "pic": -fPIC code, a default link
        gnu, xld = self.dir / f"gnu-{tag}", self.dir / f"xld-{tag}"
        _run([*drv, *flags, obj, *libs, "-o", gnu])
        if xld.exists():
            xld.unlink()
        use = [f"-fuse-ld={self.wrapper / 'ld'}"] if cc == "clang" else ["-B", self.wrapper]
        _run([*drv, *use, *flags, obj, *libs, "-o", xld])
        return gnu, xld

    def qemu(self, exe: Path) -> tc.RunResult:
        p = subprocess.run([tc.QEMU[self.arch], "-L", f"/usr/{self.triple}", str(exe)],
                           capture_output=True, cwd=self.dir, timeout=120)
        return tc.RunResult(p.returncode, p.stdout, p.stderr)


@pytest.fixture(scope="module")
def arches(tmp_path_factory):
    root = tmp_path_factory.mktemp("dyn")
    made: dict[str, Arch] = {}

    def get(arch: str) -> Arch:
        if arch not in made:
            made[arch] = Arch(arch, root)
        return made[arch]
    return get


def _same_run(a: Arch, prog: str, gnu: Path, xld: Path, emu: bool = True) -> None:
    g, x = a.qemu(gnu), a.qemu(xld)
    assert (x.status, x.stdout) == (g.status, g.stdout), \
        f"GNU ld:\n{g.summary()}{g.stderr.decode()}\nxld:\n{x.summary()}{x.stderr.decode()}"
    if not emu:
        return
    e = tc.xld_run(xld)          # xld's runner, with the cross toolchain's sysroot by default
    assert (e.status, e.stdout) == (g.status, g.stdout), \
        f"under xld run:\n{e.summary()}{e.stderr.decode()}\nGNU ld under qemu:\n{g.summary()}"
    out = x.stdout.decode().splitlines()
    for line in EXPECT[prog]:
        assert line in out, f"{line!r} missing from:\n{x.stdout.decode()}"
    assert x.status == STATUS[prog]


CASES = [(arch, prog, mode) for arch in tc.ARCHES for prog in ("usefoo", "features")
         for mode in ("", "-no-pie", "pic")]


@pytest.mark.parametrize("arch,prog,mode", CASES)
def test_gcc_dynamic_program_runs_like_gnu_ld(arches, arch, prog, mode):
    a = arches(arch)
    gnu, xld = a.build(prog, mode)
    _same_run(a, prog, gnu, xld)
    d = _dynamic(xld)
    assert d["type"] == ("ET_EXEC" if mode == "-no-pie" else "ET_DYN")
    assert d["interp"] == f"/lib/ld-linux-{'aarch64' if arch == 'arm64' else 'riscv64-lp64d'}.so.1"
    assert not d["textrel"]
    if mode != "-no-pie":
        assert d["flags_1"] & 0x08000000, "DF_1_PIE"
    ref = _dynamic(gnu)
    assert d["needed"] == ref["needed"]
    assert d["imports"] == ref["imports"]
    if mode == "pic" and arch == "riscv64":
        # general-dynamic TLS of the program's own variables: GNU ld (riscv) leaves
        # TLS_DTPMOD64 to ld.so in a PIE; xld writes the executable's module id, 1
        for r in (d["relocs"], ref["relocs"]):
            r.pop(7, None)
    assert d["relocs"] == ref["relocs"], (d["relocs"], ref["relocs"])


@pytest.mark.parametrize("arch,cc", [(a, c) for a in tc.ARCHES for c in ("gcc", "clang")])
def test_cxx_dynamic_program_runs_like_gnu_ld(arches, arch, cc):
    if cc == "clang" and not tc.which("clang++-14"):
        tc.missing("clang++-14 not found")
    a = arches(arch)
    gnu, xld = a.build("app", "", cc)
    _same_run(a, "app", gnu, xld)
    d, ref = _dynamic(xld), _dynamic(gnu)
    assert d["needed"] == ref["needed"]
    assert d["imports"] == ref["imports"]


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_static_pie_runs_like_gnu_ld(arches, cc):
    # (Debian's riscv64 glibc has no rcrt1.o: static-pie is arm64-only there, for GNU ld too)
    if cc == "clang" and not tc.which("clang-14"):
        tc.missing("clang-14 not found")
    a = arches("arm64")
    gnu, xld = a.build("features", "-static-pie", cc)
    _same_run(a, "features", gnu, xld)
    d = _dynamic(xld)
    assert d["type"] == "ET_DYN" and d["interp"] is None and not d["needed"]
    assert d["flags_1"] == _dynamic(gnu)["flags_1"] == 0x08000000    # DF_1_PIE (xld left it out)
    assert d["relocs"][1027] > 0                  # R_AARCH64_RELATIVE
    assert d["relocs"][1032] == _dynamic(gnu)["relocs"][1032] > 0     # R_AARCH64_IRELATIVE


# an adrp at 0xff8 of a page, a load, a load through its register: erratum 843419's
# sequence, which the thunks pass (after the dynamic plan) moves to a veneer
ERRATUM = r"""
    .text
    .globl _start
    .type _start, %function
_start:
    b t1
    .section .text.e1, "ax", %progbits
    .balign 4096
    .space 4096 - 8
t1:
    adrp x0, dat
    ldr x1, [sp]
    ldr x0, [x0, :lo12:dat]
    mov x8, #93
    svc #0
    .data
    .p2align 3
dat: .dword 42
ptr: .dword dat                      // (a RELATIVE: .rela.dyn is filled)
"""


@pytest.mark.parametrize("mode", ["-static-pie", "-pie"])
def test_erratum_843419_veneer_in_a_pie(tmp_path, mode):
    """The veneer's names and branches are made after the dynamic plan: they are ours, not
    imported (it was an internal IndexError)."""
    tc.require(tc.QEMU["arm64"])
    obj = tc.assemble("arm64", ERRATUM, tmp_path / "e.o")
    exe = tmp_path / "e"
    res = tc.xld_link(["--arch", "arm64", mode, "--fix-cortex-a53-843419", "-o", exe, obj])
    assert res.status == 0, res.stderr
    from elftools.elf.elffile import ELFFile
    with open(exe, "rb") as f:
        names = [s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()]
    assert any(n.startswith("__CortexA53843419_") for n in names)
    run = tc.qemu_run("arm64", exe, sysroot=f"/usr/{tc.TRIPLE['arm64']}")
    assert run.status == 42, run.summary()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_dynamic_link_is_deterministic(arches, arch):
    a = arches(arch)
    _, xld = a.build("usefoo", "")
    first = xld.read_bytes()
    _, xld = a.build("usefoo", "")
    assert xld.read_bytes() == first


# -- refusals, in lld's words -----------------------------------------------------------------

def _objs(a: Arch, name: str, source: str, flags=()) -> Path:
    src = a.dir / f"{name}.c"
    src.write_text(source)
    obj = a.dir / f"{name}.o"
    _run([f"{a.triple}-gcc", *flags, "-c", src, "-o", obj])
    return obj


def _crt(a: Arch, *names) -> list[str]:
    return [f"/usr/{a.triple}/lib/{n}" for n in names]


def test_shared_object_of_the_other_arch_is_refused(arches, tmp_path):
    a, other = arches("arm64"), arches("riscv64")
    obj = _objs(a, "plain", "int f(void){return 0;}")
    res = tc.xld_link(["-pie", "-o", tmp_path / "out", obj, other.dir / "libfoo.so"])
    assert res.status == 1
    assert "libfoo.so is incompatible with arm64" in res.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_undefined_symbol_with_shared_libraries_is_an_error(arches, arch, tmp_path):
    a = arches(arch)
    obj = _objs(a, "undef", "int nowhere(void); int foo_add(int,int);"
                            "int main(void){return nowhere() + foo_add(1,2);}", ["-fPIE"])
    res = tc.xld_link(["-pie", "-o", tmp_path / "out", obj, a.dir / "libfoo.so"])
    assert res.status == 1
    assert "error: undefined symbol: nowhere" in res.stderr
    assert "foo_add" not in res.stderr            # bound to libfoo.so: not an error
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_non_pic_code_in_a_pie_is_refused(arches, arch, tmp_path):
    a = arches(arch)
    # an absolute address in code: riscv lui/addi, arm64 movz/movk (-mcmodel=large)
    flags = ["-fno-pie", "-mcmodel=large"] if arch == "arm64" else ["-fno-pie", "-mcmodel=medlow"]
    obj = _objs(a, "nonpic", "int x; int *f(void){return &x;}", flags)
    res = tc.xld_link(["-pie", "--no-dynamic-linker", "-e", "f", "-o", tmp_path / "out", obj])
    assert res.status == 1
    assert "recompile with -fPIC" in res.stderr and "'x'" in res.stderr
    assert not (tmp_path / "out").exists()


def test_static_link_refuses_a_shared_object(arches, tmp_path):
    a = arches("arm64")
    obj = _objs(a, "plain2", "int main(void){return 0;}")
    res = tc.xld_link(["-static", "-o", tmp_path / "out", obj, a.dir / "libfoo.so"])
    assert res.status == 1
    assert "attempted static link of dynamic object" in res.stderr


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_as_needed_drops_an_unused_library(arches, arch, tmp_path):
    a = arches(arch)
    obj = _objs(a, "noneed", "int main(void){return 0;}", ["-fPIE"])
    crt = _crt(a, "Scrt1.o", "crti.o", "crtn.o")
    base = ["-pie", "-o", tmp_path / "out", crt[0], crt[1], obj, "-L", a.dir, "-L", f"/usr/{a.triple}/lib"]
    res = tc.xld_link([*base, "--as-needed", "-lfoo", "--no-as-needed", "-lc", crt[2]])
    assert res.status == 0, res.stderr
    assert _dynamic(tmp_path / "out")["needed"] == ["libc.so.6"]
    res = tc.xld_link([*base, "-lfoo", "-lc", crt[2]])
    assert res.status == 0, res.stderr
    assert _dynamic(tmp_path / "out")["needed"] == ["libfoo.so", "libc.so.6"]


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_pack_relative_relocs(arches, arch, tmp_path):
    """-z pack-relative-relocs: RELATIVE relocations in .relr.dyn (DT_RELR), the version
    glibc asks such objects to require (GLIBC_ABI_DT_RELR); the program runs as GNU ld's
    (GNU ld 2.40 ignores the option on these targets)."""
    a = arches(arch)
    gnu, _ = a.build("features", "")
    obj = a.dir / "features-gcc.o"
    out = a.dir / "xld-features-relr"
    _run([f"{a.triple}-gcc", "-B", a.wrapper, "-Wl,-z,pack-relative-relocs", obj, "-o", out])
    _same_run(a, "features", gnu, out)
    from elftools.elf.elffile import ELFFile
    with open(out, "rb") as f:
        e = ELFFile(f)
        tags = {t.entry.d_tag for t in e.get_section_by_name(".dynamic").iter_tags()}
        assert {"DT_RELR", "DT_RELRSZ", "DT_RELRENT"} <= tags or {36, 35, 37} <= tags, tags
        vr = e.get_section_by_name(".gnu.version_r")
        names = {aux.name for _, auxes in vr.iter_versions() for aux in auxes}
        assert "GLIBC_ABI_DT_RELR" in names


# -- shared objects' own undefined symbols (link/needed.py) --------------------------------------

NEEDS_BAR = "int bar(int); int missing_sym(int);\nint foo(int x){return bar(x)*2;}\n"
MAIN_FOO = "int foo(int); int missing_sym(int x){return x;}\nint main(void){return foo(1);}\n"


@pytest.fixture(scope="module")
def shlibs(arches):
    """Per arch: sub/libbar.so; libneeds.so (needs libbar.so, refers to missing_sym, defined
    nowhere); libok.so (needs libbar.so only); objects with and without missing_sym; libms.a
    whose member defines it."""
    made = {}

    def get(arch):
        if arch not in made:
            a = arches(arch)
            d = a.dir / "shlib-undef"
            (d / "sub").mkdir(parents=True, exist_ok=True)
            gcc = f"{a.triple}-gcc"
            (d / "bar.c").write_text("int bar(int x){return x+1;}\n")
            (d / "needs.c").write_text(NEEDS_BAR + "int foo2(int x){return missing_sym(x);}\n")
            (d / "ok.c").write_text(NEEDS_BAR)
            (d / "main.c").write_text("int foo(int);\nint main(void){return foo(1);}\n")
            (d / "main_def.c").write_text(MAIN_FOO)
            _run([gcc, "-shared", "-fPIC", d / "bar.c", "-o", d / "sub" / "libbar.so"])
            for lib in ("needs", "ok"):
                _run([gcc, "-shared", "-fPIC", d / f"{lib}.c", "-L", d / "sub", "-lbar", "-o", d / f"lib{lib}.so"])
            for m in ("main", "main_def"):
                _run([gcc, "-c", d / f"{m}.c", "-o", d / f"{m}.o"])
            (d / "ms.c").write_text("int missing_sym(int x){return x+7;}\n")
            _run([gcc, "-c", d / "ms.c", "-o", d / "ms.o"])
            (d / "libms.a").unlink(missing_ok=True)
            _run([f"{a.triple}-ar", "rc", d / "libms.a", d / "ms.o"])
            made[arch] = (a, d)
        return made[arch]
    return get


def _both(a: Arch, d: Path, args) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """GNU ld's and xld's verdict (through gcc) on the same command line."""
    gcc = f"{a.triple}-gcc"
    g = subprocess.run([gcc, *args, "-o", d / "gnu-out"], capture_output=True, text=True, cwd=d)
    (d / "xld-out").unlink(missing_ok=True)
    x = subprocess.run([gcc, "-B", a.wrapper, *args, "-o", d / "xld-out"], capture_output=True, text=True, cwd=d)
    return g, x


SHLIB_CASES = [
    # (libraries and flags, links?, what xld says)
    (["-L.", "-lneeds", "-Wl,-rpath-link,sub"], False,
     ["error: undefined reference due to --no-allow-shlib-undefined: missing_sym", ">>> referenced by ./libneeds.so"]),
    (["-L.", "-lneeds", "-Wl,-rpath-link,sub", "-Wl,--allow-shlib-undefined"], True, []),
    (["-L.", "-lok", "-Wl,-rpath-link,sub"], True, []),
    (["-L.", "-lneeds", "-Wl,-rpath-link,sub", "libms.a"], True, []),    # (the member is pulled)
    (["-L.", "-lok"], False,
     ["warning: libbar.so, needed by ./libok.so, not found (try using -rpath or -rpath-link)",
      "error: undefined reference due to --no-allow-shlib-undefined: bar"]),
    (["-shared", "-L.", "-lneeds", "-Wl,-rpath-link,sub"], True, []),
    (["-shared", "-L.", "-lneeds", "-Wl,-rpath-link,sub", "-Wl,--no-allow-shlib-undefined"], False,
     ["undefined reference due to --no-allow-shlib-undefined: missing_sym"]),
]


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("case", range(len(SHLIB_CASES)))
def test_shlib_undefined_verdict_is_gnu_lds(shlibs, arch, case):
    """A library's own undefined symbol: the same verdict as GNU ld for an executable (which
    loads the library's DT_NEEDED closure), -shared, --allow-shlib-undefined,
    --no-allow-shlib-undefined, and a needed library found nowhere."""
    a, d = shlibs(arch)
    libs, links, said = SHLIB_CASES[case]
    g, x = _both(a, d, ["main.o", *libs])
    assert (g.returncode == 0) == links, g.stderr
    assert (x.returncode == 0) == links, x.stderr
    for words in said:
        assert words in x.stderr, x.stderr
    assert (d / "xld-out").exists() == links


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_shlib_undefined_defined_by_the_program_runs(shlibs, arch):
    """The program defines what the library expects (missing_sym): no report, it links and
    runs like GNU ld's (libneeds.so binds to the program's exported definition)."""
    a, d = shlibs(arch)
    g, x = _both(a, d, ["main_def.o", "-L.", "-lneeds", "-Wl,-rpath-link,sub",
                        "-Wl,--disable-new-dtags,-rpath,$ORIGIN:$ORIGIN/sub"])   # (DT_RPATH: libbar too)
    assert g.returncode == 0 and x.returncode == 0, x.stderr
    assert a.qemu(d / "xld-out").status == a.qemu(d / "gnu-out").status == 4


def test_missing_library_is_refused(arches, tmp_path):
    a = arches("arm64")
    obj = _objs(a, "plain3", "int main(void){return 0;}")
    res = tc.xld_link(["-pie", "-o", tmp_path / "out", obj, "-L", a.dir, "-lnothere"])
    assert res.status == 1
    assert "unable to find library -lnothere" in res.stderr
    assert not (tmp_path / "out").exists()


def _with_reloc_type(obj: Path, old: int, new: int, out: Path) -> Path:
    """``obj`` with its (one) relocation of type ``old`` made type ``new``: for relocations
    no available assembler writes (riscv64 TLS descriptors: binutils 2.40, clang-14)."""
    from elftools.elf.elffile import ELFFile
    data = bytearray(obj.read_bytes())
    with open(obj, "rb") as f:
        for sec in ELFFile(f).iter_sections():
            if sec["sh_type"] == "SHT_RELA":
                for k, r in enumerate(sec.iter_relocations()):
                    if r["r_info_type"] == old:
                        at = sec["sh_offset"] + 24 * k + 8
                        data[at:at + 4] = new.to_bytes(4, "little")
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("shared", [False, True])
def test_riscv_tls_descriptors_are_refused_clearly(arches, tmp_path, shared):
    """riscv64 TLS descriptors (R_RISCV_TLSDESC_*) against a library's variable, or in a
    library: refused, saying why and what to use instead."""
    a = arches("riscv64")
    src = tmp_path / "td.s"
    src.write_text(".text\n.globl f\nf:\n.reloc ., BFD_RELOC_32, foo_tls\nauipc a0, 0\nret\n")
    plain = tmp_path / "td0.o"
    _run([f"{a.triple}-as", src, "-o", plain])
    obj = _with_reloc_type(plain, 1, 62, tmp_path / "td.o")          # R_RISCV_32 -> TLSDESC_HI20
    args = ["-shared", "-o", tmp_path / "out", obj] if shared else \
        ["-pie", "-e", "f", "-o", tmp_path / "out", obj, a.dir / "libfoo.so"]
    res = tc.xld_link(args)
    assert res.status == 1
    assert "relocation R_RISCV_TLSDESC_HI20 cannot be used against symbol 'foo_tls'" in res.stderr, res.stderr
    assert "TLS descriptors" in res.stderr and "not supported on riscv64" in res.stderr
    assert "-mtls-dialect=trad" in res.stderr
    assert res.stderr.count("error:") == 1, res.stderr
    assert not (tmp_path / "out").exists()


def _taken_from_elsewhere(exe: Path, names: set | None = None) -> tuple[list, list]:
    """.symtab's undefined names (without GNU ld's @VERSION; of ``names`` only, if given), with
    binding and type; and the names copied into the program (COPY relocations) that .symtab
    defines."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection
    with open(exe, "rb") as f:
        elf = ELFFile(f)
        syms = list(elf.get_section_by_name(".symtab").iter_symbols())
        und = sorted((s.name.split("@")[0], s["st_info"]["bind"], s["st_info"]["type"]) for s in syms
                     if s["st_shndx"] == "SHN_UNDEF" and s.name and (names is None or s.name.split("@")[0] in names))
        dynsym = elf.get_section_by_name(".dynsym")
        copied = {dynsym.get_symbol(r["r_info_sym"]).name for sec in elf.iter_sections()
                  if isinstance(sec, RelocationSection) and sec["sh_flags"] & 2
                  for r in sec.iter_relocations() if r["r_info_type"] in (1024, 4)}   # R_AARCH64_COPY, R_RISCV_COPY
        defined = sorted(s.name.split("@")[0] for s in syms if s["st_shndx"] != "SHN_UNDEF"
                         and s.name.split("@")[0] in copied)
    return und, defined


@pytest.mark.parametrize("arch,mode", [(a, m) for a in tc.ARCHES for m in ("", "-no-pie")])
def test_symtab_lists_what_the_program_takes_from_libraries(arches, arch, mode):
    """.symtab names what the program imports (undefined, with the library's type and the
    reference's binding) and what it copies in (defined), as GNU ld's and lld's do: ``nm -u``
    shows the imports."""
    a = arches(arch)
    gnu, xld = a.build("features", mode)
    from elftools.elf.elffile import ELFFile
    with open(xld, "rb") as f:
        imported = {s.name for s in ELFFile(f).get_section_by_name(".dynsym").iter_symbols()
                    if s["st_shndx"] == "SHN_UNDEF" and s.name}
    und, copied = _taken_from_elsewhere(xld)
    assert ("printf", "STB_GLOBAL", "STT_FUNC") in und or ("puts", "STB_GLOBAL", "STT_FUNC") in und
    assert imported <= {u[0] for u in und}
    # (GNU ld also lists a libc alias of an imported variable, __environ for environ, and copies
    # that one in environ's place; lld does not)
    gnu_und, gnu_copied = _taken_from_elsewhere(gnu, imported)
    assert _taken_from_elsewhere(xld, imported)[0] == gnu_und and len(copied) == len(gnu_copied)
    if mode == "-no-pie":
        assert copied, "no COPY relocation: the test proves nothing about copies"
