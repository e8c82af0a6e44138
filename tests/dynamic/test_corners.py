"""Corners where a link could be silently wrong: the same sources built by the compiler driver
with GNU ld (the oracle) and with xld (``-B DIR``), every step alike; both programs run under
qemu-user, xld's under ``xld run`` too; output and exit status must match, and the output
must hold what the program checks (so both being wrong the same way cannot pass).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests import toolchain as tc
from xld.link import resolve

pytestmark = tc.cross_and_qemu()


@pytest.fixture(scope="module")
def wrapper(tmp_path_factory):
    return tc.ld_wrapper_dir(tmp_path_factory.mktemp("corners"))


def _build(arch: str, where: Path, sources: dict[str, str], steps, use_ld: list[str]) -> Path:
    """Write ``sources`` into ``where`` and run ``steps`` there: each a command line whose
    "{cc}" is the cross gcc and "{ld}" the linker choice (nothing for GNU ld)."""
    where.mkdir(parents=True, exist_ok=True)
    for name, text in sources.items():
        (where / name).write_text(text)
    cc = f"{tc.TRIPLE[arch]}-gcc"
    for step in steps:
        cmd = []
        for w in step:
            cmd += use_ld if w == "{ld}" else [cc if w == "{cc}" else w]
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=where)
        if p.returncode != 0:
            raise AssertionError(f"failed in {where}: {' '.join(cmd)}\n{p.stderr}")
    return where / "prog"


def differential(tmp_path: Path, wrapper: Path, arch: str, sources, steps, expect) -> tuple[Path, Path]:
    """Build with GNU ld and with xld; run both; compare; check ``expect`` lines are printed.
    Returns (GNU ld's program, xld's program)."""
    gnu = _build(arch, tmp_path / "gnu", sources, steps, [])
    xld = _build(arch, tmp_path / "xld", sources, steps, ["-B", str(wrapper)])
    runs = []
    for exe in (gnu, xld):
        p = tc.run_group([tc.QEMU[arch], "-L", f"/usr/{tc.TRIPLE[arch]}", str(exe)], timeout=60,
                         cwd=exe.parent)
        runs.append((p.returncode, p.stdout))
    assert runs[1] == runs[0], f"GNU ld: {runs[0]}\nxld: {runs[1]}"
    e = tc.xld_run(xld)
    assert (e.status, e.stdout) == runs[0], f"under xld run: {e.summary()}{e.stderr.decode()}"
    out = runs[0][1].decode().splitlines()
    for line in expect:
        assert line in out, f"{line!r} missing from:\n{runs[0][1].decode()}"
    return gnu, xld


# --- TLS: the template starts at its most aligned section's alignment -------------------------

TLS_ALIGN = {
    "a.c": r"""
#include <stdio.h>
#include <stdint.h>
__thread char c1 = 1;
__thread int arr[3] __attribute__((aligned(128))) = {1, 2, 3};
__thread char b1;
__thread long b2[7] __attribute__((aligned(256)));
extern __thread int other;
int main(void) {
    printf("tls %d %d %d %ld %d\n", c1, arr[2], b1, b2[3], other);
    printf("aligned %d %d\n", (int)((uintptr_t)b2 & 255), (int)((uintptr_t)arr & 127));
    return 0;
}
""",
    "b.c": "__thread int other __attribute__((aligned(32))) = 42;\n__thread char pad2[3];\n",
}


@pytest.mark.parametrize("mode", ["-no-pie", "-static"])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_tls_template_aligned_to_its_most_aligned_section(tmp_path, wrapper, arch, mode):
    # .tdata's inputs ask for 128, .tbss's for 256: PT_TLS's p_vaddr must be a multiple of
    # p_align (ld.so puts the block at p_vaddr modulo p_align; the executable's offsets from
    # the thread pointer assume 0). xld started the template at .tdata's own alignment:
    # riscv64 -no-pie read 0 for every initialised variable.
    flag = "-fno-pie" if mode == "-no-pie" else "-fPIE" if mode == "-pie" else "-O1"
    _, xld = differential(tmp_path, wrapper, arch, TLS_ALIGN,
                          [["{cc}", "-O1", flag, "-c", "a.c", "b.c"],
                           ["{cc}", "{ld}", mode, "a.o", "b.o", "-o", "prog"]],
                          ["tls 1 3 0 0 42", "aligned 0 0"])
    with open(xld, "rb") as f:
        tls = [s for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_TLS"]
        assert len(tls) == 1 and tls[0]["p_align"] == 256
        assert tls[0]["p_vaddr"] % 256 == 0, hex(tls[0]["p_vaddr"])


# --- protected symbols of a library: no copy, no canonical PLT entry -------------------------

PROTECTED = {
    "lib.c": r"""
__attribute__((visibility("protected"))) int prot = 55;
int *p_prot(void) { return &prot; }
__attribute__((visibility("protected"))) int pfun(void) { return 7; }
void *addr_pfun(void) { return (void *)pfun; }
""",
    "main.c": r"""
#include <stdio.h>
extern int prot;
int *p_prot(void); int pfun(void); void *addr_pfun(void);
int main(void) {
    prot = 66;
    printf("prot %d %d\n", prot, *p_prot());
    printf("pfun %d same %d\n", pfun(), addr_pfun() == (void *)pfun);
    return 0;
}
""",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_protected_symbols_of_a_library_in_a_pie(tmp_path, wrapper, arch):
    differential(tmp_path, wrapper, arch, PROTECTED,
                 [["{cc}", "-O1", "-fPIC", "-shared", "{ld}", "lib.c", "-o", "libp.so"],
                  ["{cc}", "-O1", "-fPIE", "-pie", "{ld}", "main.c", "-o", "prog", "-L.", "-lp",
                   "-Wl,-rpath,$ORIGIN"]],
                 ["prot 66 66", "pfun 7 same 1"])


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_copy_of_a_protected_symbol_is_refused(tmp_path, wrapper, arch):
    # -fno-pie code takes the addresses directly: a copy of 'prot' in the program (the
    # library keeps writing its own) and a canonical PLT entry for 'pfun' (two addresses of
    # one function). GNU ld refuses on arm64 but writes that program on riscv64 (ld.so warns,
    # "prot 66 55"); lld refuses both: "cannot preempt symbol"
    _build(arch, tmp_path, PROTECTED, [["{cc}", "-O1", "-fPIC", "-shared", "{ld}", "lib.c", "-o", "libp.so"],
                                       ["{cc}", "-O1", "-fno-pie", "-c", "main.c"]],
           ["-B", str(wrapper)])
    p = subprocess.run([f"{tc.TRIPLE[arch]}-gcc", "-B", str(wrapper), "-no-pie", "main.o", "-o", "prog",
                        "-L.", "-lp"], capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode != 0
    for name in ("prot", "pfun"):
        assert f"xld: error: cannot preempt symbol: {name}\n>>> defined in ./libp.so" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "prog").exists()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_tls_template_aligned_under_gnu_lds_default_script(tmp_path, wrapper, arch):
    # the same through -T (GNU ld's own static script, printed by ld --verbose): the script's
    # layout had the same rule to learn (arm64: p_vaddr 0x...680 with p_align 0x100)
    verbose = subprocess.run([f"{tc.TRIPLE[arch]}-ld", "--verbose", "-static"], capture_output=True,
                             text=True, check=True).stdout
    script = verbose.split("=" * 50)[1].split("\n", 1)[1]
    sources = {**TLS_ALIGN, "gnu.ld": script}
    _, xld = differential(tmp_path, wrapper, arch, sources,
                          [["{cc}", "-O1", "-c", "a.c", "b.c"],
                           ["{cc}", "{ld}", "-static", "a.o", "b.o", "-o", "prog", "-Wl,-T,gnu.ld"]],
                          ["tls 1 3 0 0 42", "aligned 0 0"])
    with open(xld, "rb") as f:
        tls = [s for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_TLS"]
        assert tls[0]["p_vaddr"] % tls[0]["p_align"] == 0 and tls[0]["p_align"] == 256


# --- symbol versions: a name-versioned definition is governed by its own node ------------------

SYMVER = {
    "new.c": r"""
int foo_v1(void) { return 1; }
int foo_v2(void) { return 2; }
__asm__(".symver foo_v1, foo@V1");
__asm__(".symver foo_v2, foo@@V2");
int bar_v1 = 5;
int bar_v2[4] = {6, 7, 8, 9};
__asm__(".symver bar_v1, bar@V1");
__asm__(".symver bar_v2, bar@@V2");
int baz_v1(void) { return 3; }
__asm__(".symver baz_v1, baz@V3");
int qux_v1(void) { return 4; }
__asm__(".symver qux_v1, qux@V3");
""",
    # V1's "local: *" hides foo@V1 and bar@V1 (GNU ld; lld since 2026); V3's global pattern
    # keeps baz@V3 though a local one matches it too; V2's local pattern does not touch qux@V3
    "new.map": "V1 { local: *; };\nV2 { local: qux; } V1;\nV3 { global: baz*; local: baz; qux*; } V2;\n",
    "main.c": r"""
#include <stdio.h>
int foo(void); extern int bar[];
int main(void) { printf("foo %d bar %d\n", foo(), bar[1]); return 0; }
""",
}


def _exports(arch: str, lib: Path) -> set[str]:
    """name@version of each definition in .dynsym (readelf's spelling), version symbols aside."""
    out = subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "--dyn-syms", "-W", str(lib)], capture_output=True,
                         text=True, check=True).stdout
    return {f[7] for f in (line.split() for line in out.splitlines())
            if len(f) >= 8 and f[4] in ("GLOBAL", "WEAK") and f[6] not in ("UND", "ABS")}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_version_script_local_hides_name_versioned_definitions(tmp_path, wrapper, arch):
    differential(tmp_path, wrapper, arch, SYMVER,
                 [["{cc}", "-O1", "-fPIC", "-shared", "{ld}", "new.c", "-o", "libv.so",
                   "-Wl,--version-script=new.map"],
                  ["{cc}", "-O1", "{ld}", "main.c", "-o", "prog", "-L.", "-lv", "-Wl,-rpath,$ORIGIN"]],
                 ["foo 2 bar 7"])
    got = _exports(arch, tmp_path / "xld" / "libv.so")
    assert {"foo@@V2", "bar@@V2", "baz@V3"} <= got and not got & {"foo@V1", "bar@V1", "qux@V3"}, got
    assert got == _exports(arch, tmp_path / "gnu" / "libv.so")


# --- a program's version script with a named node (Debian's lua5.4: -E, LUA_5.4) -------------

PROGRAM_NODES = {
    "app.c": r"""
#include <dlfcn.h>
#include <stdio.h>
int api_add(int a, int b) { return a + b; }
int internal_twice(int a) { return 2 * a; }
int main(void) {
    void *h = dlopen("./plugin.so", RTLD_NOW);
    if (!h) { printf("dlopen: %s\n", dlerror()); return 1; }
    int (*run)(int) = (int (*)(int))dlsym(h, "plugin_run");
    printf("plugin %d local %d\n", run(20), internal_twice(3));
    return 0;
}
""",
    "plugin.c": "int api_add(int, int);\nint plugin_run(int x) { return api_add(x, 22); }\n",
    "app.map": "APP_1 {\n global: api_*;\n local: *;\n};\n",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_program_version_script_with_a_named_node(tmp_path, wrapper, arch):
    """A program linked with -E and a version script that names its node (Debian builds its
    lua5.4 so, for the C modules it loads) defines the version as GNU ld does: .gnu.version_d's
    BASE entry is the output's name, the exports carry the node (api_add@@APP_1), local: hides
    the rest; a plugin dlopen'ed by the program binds to them. xld refused the link ('version
    nodes in an executable are not supported')."""
    differential(tmp_path, wrapper, arch, PROGRAM_NODES,
                 [["{cc}", "-O1", "-fPIC", "-shared", "{ld}", "plugin.c", "-o", "plugin.so"],
                  ["{cc}", "-O1", "{ld}", "app.c", "-o", "prog", "-Wl,-E", "-Wl,--version-script=app.map",
                   "-ldl"]],
                 ["plugin 42 local 6"])
    got = _exports(arch, tmp_path / "xld" / "prog")
    assert "api_add@@APP_1" in got and not any(n.startswith("internal_twice") for n in got), got
    assert got == _exports(arch, tmp_path / "gnu" / "prog")
    from tests.dynamic.util import dynamic
    assert dynamic(tmp_path / "xld" / "prog")["verdefs"] == ["prog", "APP_1"]


# --- -z common-page-size above the smallest page: the RELRO segment maps its padding -----------

@pytest.mark.parametrize("mode", ["-pie", "-static"])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_relro_padded_to_a_large_common_page_is_mapped(tmp_path, wrapper, arch, mode):
    # PT_GNU_RELRO ends on a 64 KiB boundary; ld.so (or static glibc) mprotects it at the
    # kernel's page size (4 KiB here): the range must be mapped, or it fails with ENOMEM
    # ("cannot apply additional memory protection after relocation"). qemu-user maps the
    # whole image span and hid it; `xld run` maps each PT_LOAD, as the kernel does.
    src = {"main.c": '#include <stdio.h>\nstatic const char *tab[] = {"relro", "ok"};\n'
                     'int main(void) { printf("%s %s\\n", tab[0], tab[1]); return 0; }\n'}
    z = "-Wl,-z,relro,-z,now,-z,max-page-size=0x10000,-z,common-page-size=0x10000"
    _, xld = differential(tmp_path, wrapper, arch, src,
                          [["{cc}", "-O1", "-fPIE" if mode == "-pie" else "-fno-pie", "{ld}", mode, z,
                            "main.c", "-o", "prog"]],
                          ["relro ok"])
    with open(xld, "rb") as f:
        segs = list(ELFFile(f).iter_segments())
    relro = next(s for s in segs if s["p_type"] == "PT_GNU_RELRO")
    end = relro["p_vaddr"] + relro["p_memsz"]
    assert end % 0x10000 == 0
    assert any(s["p_type"] == "PT_LOAD" and s["p_vaddr"] <= relro["p_vaddr"]
               and end <= (s["p_vaddr"] + s["p_memsz"] + 0xFFF) & ~0xFFF for s in segs)


# --- constructors of one priority spelled two ways: by name, as GNU ld sorts them --------------

PRIORITY = {
    "a.c": r"""
#include <stdio.h>
static void a1(void) { puts("a .init_array.500"); }
__attribute__((section(".init_array.500"), used)) static void (*p1)(void) = a1;
static void a2(void) { puts("a .ctors.65035"); }
__attribute__((section(".ctors.65035"), used)) static void (*p2)(void) = a2;
static void a3(void) { puts("a .fini_array.300"); }
__attribute__((section(".fini_array.300"), used)) static void (*p3)(void) = a3;
int main(void) { puts("main"); return 0; }
""",
    "b.c": r"""
#include <stdio.h>
static void b1(void) { puts("b .init_array.00500"); }
__attribute__((section(".init_array.00500"), used)) static void (*p1)(void) = b1;
static void b3(void) { puts("b .fini_array.0300"); }
__attribute__((section(".fini_array.0300"), used)) static void (*p3)(void) = b3;
""",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_equal_init_priorities_run_in_name_order(tmp_path, wrapper, arch):
    # GNU ld's SORT_BY_INIT_PRIORITY breaks a tie by the section's name; xld kept file order
    # (the constructors ran in another order)
    gnu, _ = differential(tmp_path, wrapper, arch, PRIORITY,
                          [["{cc}", "-O1", "-c", "a.c", "b.c"],
                           ["{cc}", "{ld}", "-static", "a.o", "b.o", "-o", "prog"]],
                          ["main"])
    out = tc.qemu_run(arch, gnu).stdout.decode().splitlines()
    assert out[:3] == ["a .ctors.65035", "b .init_array.00500", "a .init_array.500"], out


# --- a copied variable keeps the alignment it has in its library -------------------------------

COPY_ALIGN = {
    "lib.c": "char page[100] __attribute__((aligned(4096))) = {1};\nchar small = 3;\n"
             "long al128[2] __attribute__((aligned(128))) = {5, 6};\n",
    "main.c": r"""
#include <stdio.h>
#include <stdint.h>
extern char page[100]; extern char small; extern long al128[2];
int main(void) {
    printf("%d %d %ld off %d %d\n", page[0], small, al128[1], (int)((uintptr_t)page & 4095),
           (int)((uintptr_t)al128 & 127));
    return 0;
}
""",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_copy_relocation_keeps_the_alignment(tmp_path, wrapper, arch):
    # xld capped a copy's alignment at 64: the page-aligned buffer landed 2944 bytes into a page
    differential(tmp_path, wrapper, arch, COPY_ALIGN,
                 [["{cc}", "-O1", "-fPIC", "-shared", "{ld}", "lib.c", "-o", "libc2.so"],
                  ["{cc}", "-O1", "-fno-pie", "-no-pie", "{ld}", "main.c", "-o", "prog", "-L.", "-lc2",
                   "-Wl,-rpath,$ORIGIN"]],
                 ["1 3 6 off 0 0"])


TRAD_TLS = {
    "lib.c": r"""
__thread int gd_var = 11;
static __thread int ld_var = 3;
__thread char big[200];
extern __thread int ext_var;
int get(void) { ld_var++; big[100]++; return gd_var + ld_var + ext_var + big[100]; }
""",
    "ext.c": "__thread int ext_var = 100;\n",
    "main.c": r"""
#include <stdio.h>
#include <pthread.h>
int get(void);
extern __thread int gd_var;
static void *th(void *a) { printf("thread %d\n", get()); return 0; }
int main(void) {
    printf("main %d\n", get());
    gd_var = 50;
    pthread_t t; pthread_create(&t, 0, th, 0); pthread_join(t, 0);
    printf("main %d\n", get());
    return 0;
}
""",
}


@pytest.mark.parametrize("mode", ["-shared", "-static", "-pie"])
def test_arm64_traditional_tls_dialect(tmp_path, wrapper, mode):
    """GCC's -mtls-dialect=trad (general-dynamic: TLSGD_ADR_PAGE21, TLSGD_ADD_LO12_NC, then BL
    __tls_get_addr): a GOT pair (module, DTP offset), DTPMOD64 and DTPREL64 in a library, (1,
    offset) in a program; xld refused it.  In a library used by a program, and linked into a
    static and a PIE program."""
    cc = ["{cc}", "-O1", "-fPIC", "-mtls-dialect=trad"]
    if mode == "-shared":
        steps = [[*cc, "-shared", "{ld}", "lib.c", "ext.c", "-o", "libt.so"],
                 ["{cc}", "-O1", "{ld}", "main.c", "-o", "prog", "-L.", "-lt", "-lpthread", "-Wl,-rpath,$ORIGIN"]]
    else:
        steps = [[*cc, "-c", "lib.c", "ext.c"],
                 ["{cc}", "-O1", mode, "{ld}", "main.c", "lib.o", "ext.o", "-o", "prog", "-lpthread"]]
    gnu, ours = differential(tmp_path, wrapper, "arm64", TRAD_TLS, steps, ["main 116", "thread 116", "main 157"])
    if mode == "-shared":
        from elftools.elf.relocation import RelocationSection
        counts = []
        for exe in (gnu, ours):
            with open(exe.parent / "libt.so", "rb") as f:
                types = [r["r_info_type"] for s in ELFFile(f).iter_sections() if isinstance(s, RelocationSection)
                         for r in s.iter_relocations()]
            counts.append((types.count(1028), types.count(1029)))    # R_AARCH64_TLS_DTPMOD64, DTPREL64
        assert counts[1] == counts[0] and counts[1][0] >= 3


# --- TLS of dlopen'ed libraries: every model a library uses, in threads ------------------------

TLS_DLOPEN = {
    "tl.c": r"""
__thread int tls_a = 5;
__thread char tls_buf[100];
static __thread long tls_static = 9;
__attribute__((tls_model("initial-exec"))) __thread int tls_ie = 3;
int bump(void) { tls_a++; tls_buf[10] = 'x'; tls_static += 2; tls_ie++;
                 return tls_a + (int)tls_static + tls_ie + tls_buf[10]; }
""",
    "tl2.c": r"""
extern __thread int tls_a;
__thread int tls_b[4] __attribute__((aligned(64))) = {1, 2, 3, 4};
int bump2(void) { return tls_a * 100 + tls_b[3]; }
""",
    "main.c": r"""
#include <dlfcn.h>
#include <stdio.h>
#include <pthread.h>
static int (*f1)(void), (*f2)(void);
static void *th(void *a) { printf("thread %d %d\n", f1(), f2()); return 0; }
int main(void) {
    void *h = dlopen("./libtl.so", RTLD_NOW), *h2 = dlopen("./libtl2.so", RTLD_NOW);
    if (!h || !h2) { printf("%s\n", dlerror()); return 1; }
    f1 = (int (*)(void))dlsym(h, "bump"); f2 = (int (*)(void))dlsym(h2, "bump2");
    printf("main %d %d\n", f1(), f2());
    pthread_t t; pthread_create(&t, 0, th, 0); pthread_join(t, 0);
    printf("main %d %d\n", f1(), f2());
    return 0;
}
""",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_tls_of_dlopened_libraries(tmp_path, wrapper, arch):
    """Initial-exec, general/local-dynamic (descriptors on arm64) TLS in libraries loaded by
    dlopen, used from two threads; the libraries' DT_FLAGS as GNU ld's (RISC-V: DF_STATIC_TLS
    for the one with initial-exec TLS)."""
    gnu, ours = differential(
        tmp_path, wrapper, arch, TLS_DLOPEN,
        [["{cc}", "-O1", "-fPIC", "-shared", "{ld}", "tl.c", "-o", "libtl.so"],
         ["{cc}", "-O1", "-fPIC", "-shared", "{ld}", "tl2.c", "-o", "libtl2.so", "-L.", "-ltl", "-Wl,-rpath,$ORIGIN"],
         ["{cc}", "-O1", "{ld}", "main.c", "-o", "prog", "-ldl", "-lpthread"]],
        ["main 141 604", "thread 141 604", "main 145 704"])
    for lib in ("libtl.so", "libtl2.so"):
        flags = []
        for exe in (gnu, ours):
            d = subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "-dW", str(exe.parent / lib)],
                               capture_output=True, text=True).stdout
            flags.append(sorted(ln.split(None, 1)[1] for ln in d.splitlines() if "FLAGS" in ln))
        assert flags[1] == flags[0], lib


# --- a reference that names a version: .symver foo, foo@V1 (an older, hidden version) ----------

SYMVER_REF = {
    "lib.c": r"""
int foo_v1(void) { return 1; }
int foo_v2(void) { return 2; }
__asm__(".symver foo_v1, foo@V1");
__asm__(".symver foo_v2, foo@@V2");
int bar(void) { return 10; }
""",
    "lib.map": "V1 { global: foo; bar; local: *; };\nV2 { global: foo; } V1;\n",
    "old.c": 'int foo(void);\n__asm__(".symver foo, foo@V1");\nint oldfoo(void) { return foo(); }\n',
    "main.c": r"""
#include <stdio.h>
int foo(void), bar(void), oldfoo(void);
int main(void) { printf("new %d bar %d old %d\n", foo(), bar(), oldfoo()); return 0; }
""",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_reference_to_an_old_symbol_version(tmp_path, wrapper, arch):
    """An object asks for foo@V1 (how programs target an older glibc's memcpy): it binds to
    the library's hidden foo@V1, the plain reference to the default foo@@V2; xld refused the
    link ('undefined symbol: foo@V1')."""
    _, ours = differential(
        tmp_path, wrapper, arch, SYMVER_REF,
        [["{cc}", "-O1", "-fPIC", "-shared", "{ld}", "lib.c", "-Wl,--version-script=lib.map", "-o", "libv.so"],
         ["{cc}", "-O1", "-c", "old.c"],
         ["{cc}", "-O1", "{ld}", "main.c", "old.o", "-o", "prog", "-L.", "-lv", "-Wl,-rpath,$ORIGIN"]],
        ["new 2 bar 10 old 1"])
    with open(ours, "rb") as f:
        e = ELFFile(f)
        names = [s.name for s in e.get_section_by_name(".dynsym").iter_symbols()]
    assert names.count("foo") == 2 and "foo@V1" not in names


CTORS = {
    "ct.c": r"""
#include <stdio.h>
__attribute__((constructor(101))) static void a101(void) { puts("a101"); }
__attribute__((constructor(300))) static void a300(void) { puts("a300"); }
__attribute__((constructor)) static void adef(void) { puts("adef"); }
__attribute__((constructor)) static void adef2(void) { puts("adef2"); }
__attribute__((destructor(101))) static void d101(void) { puts("d101"); }
__attribute__((destructor)) static void ddef(void) { puts("ddef"); }
__attribute__((destructor)) static void ddef2(void) { puts("ddef2"); }
int ct_used(void) { return 0; }
""",
    "m.c": r"""
#include <stdio.h>
__attribute__((constructor(200))) static void b200(void) { puts("b200"); }
__attribute__((constructor)) static void bdef(void) { puts("bdef"); }
int ct_used(void);
int main(void) { puts("main"); return ct_used(); }
""",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("mode", ["-pie", "-static", "-shared"])
def test_ctors_tables_run_in_order(tmp_path, wrapper, arch, mode):
    """clang -fno-use-init-array puts constructors in .ctors/.dtors (two in one table here):
    placed in .init_array/.fini_array their words are reversed, as GNU ld's default script
    does (SEC_ELF_REVERSE_COPY); xld ran adef2 before adef, silently."""
    clang = ["clang-14", f"--target={tc.TRIPLE[arch]}", "-O1", "-fno-use-init-array", "-fPIC"]
    if mode == "-shared":
        steps = [[*clang, "-c", "ct.c"], ["{cc}", "{ld}", "-shared", "ct.o", "-o", "libct.so"],
                 ["{cc}", "{ld}", "m.c", "-L.", "-lct", "-Wl,-rpath,$ORIGIN", "-o", "prog"]]
    else:
        steps = [[*clang, "-c", "ct.c"], ["{cc}", "{ld}", mode, "ct.o", "m.c", "-o", "prog"]]
    expect = ["a101", "b200", "a300", "adef", "adef2", "bdef", "main", "ddef2", "ddef", "d101"]
    gnu, _ = differential(tmp_path, wrapper, arch, CTORS, steps, expect)
    out = tc.qemu_run(arch, gnu, sysroot=f"/usr/{tc.TRIPLE[arch]}").stdout.decode().split()
    if mode == "-shared":      # (the library's constructors first, its destructors last)
        expect = ["a101", "a300", "adef", "adef2", "b200", "bdef", "main", "ddef2", "ddef", "d101"]
    assert out == expect


INTERPOSE = {
    "lib.c": "int val(void) { return 1; }\nint get(void) { return val(); }\nint foo(void) { return 7; }\n",
    "main.c": '#include <stdio.h>\nint val(void) { return 100; }\nint get(void);\n'
              'int main(void) { printf("get=%d\\n", get()); return 0; }\n',
    "l.list": "{ foo; };\n",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("flags,want", [
    (["-Wl,--export-dynamic-symbol=foo"], "get=100"),
    (["-Wl,--export-dynamic-symbol-list=l.list"], "get=100"),
    (["-Wl,--export-dynamic-symbol=foo", "-Wl,-Bsymbolic-functions"], "get=1"),
    (["-Wl,--export-dynamic-symbol-list=l.list", "-Wl,--dynamic-list-data"], "get=1"),
    (["-Wl,--dynamic-list=l.list"], "get=1")], ids=["glob", "list", "symbolic", "list+data", "dynamic-list"])
def test_export_dynamic_symbol_in_a_library(tmp_path, wrapper, arch, flags, want):
    """In a library --export-dynamic-symbol[-list] is "a no-op when -Bsymbolic or
    --dynamic-list are not specified" (GNU ld): val stays interposable and the program's
    val answers (get=100); xld bound it inside the library (get=1), silently.  With one of
    those it is a dynamic list.  (--export-dynamic-symbol-list was unknown.)"""
    gnu, ours = differential(
        tmp_path, wrapper, arch, INTERPOSE,
        [["{cc}", "{ld}", "-O1", "-fPIC", "-shared", "lib.c", *flags, "-o", "liblib.so"],
         ["{cc}", "-O1", "main.c", "-L.", "-llib", "-Wl,-rpath,$ORIGIN", "-o", "prog"]], [want])
    assert _exports(arch, gnu.parent / "liblib.so") == _exports(arch, ours.parent / "liblib.so")


def _flag_tags(arch: str, path: Path) -> list[str]:
    """The dynamic tags that carry flags, in order, with their values (readelf's words)."""
    out = subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "-dW", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return [" ".join(line.split()[1:]) for line in out.splitlines()
            if any(f"({t})" in line for t in ("FLAGS", "FLAGS_1", "SYMBOLIC", "BIND_NOW", "RPATH", "RUNPATH"))]


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("flags", [["-Wl,--dynamic-list=v.list"], ["-Wl,--export-dynamic-symbol=val"]],
                         ids=["dynamic-list", "export-dynamic-symbol"])
def test_symbolic_with_a_dynamic_list_leaves_the_listed_names_interposable(tmp_path, wrapper, arch, flags):
    """-Bsymbolic with a dynamic list: the list says what stays interposable, and GNU ld writes
    no DT_SYMBOLIC (which makes ld.so look in the library first for every name): the
    program's val answers the library's call (get=100).  xld wrote DT_SYMBOLIC and
    DF_SYMBOLIC: get=1, silently.  Found by the random export surfaces (tools/randexport.py)."""
    gnu, ours = differential(
        tmp_path, wrapper, arch, {**INTERPOSE, "v.list": "{ val; };\n"},
        [["{cc}", "{ld}", "-O1", "-fPIC", "-shared", "lib.c", "-Wl,-Bsymbolic", *flags, "-o", "liblib.so"],
         ["{cc}", "-O1", "main.c", "-L.", "-llib", "-Wl,-rpath,$ORIGIN", "-o", "prog"]], ["get=100"])
    assert _flag_tags(arch, ours.parent / "liblib.so") == _flag_tags(arch, gnu.parent / "liblib.so")


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_old_dtags_flags_as_gnu_ld(tmp_path, wrapper, arch):
    """--disable-new-dtags: GNU ld writes -z now as DT_BIND_NOW and no DT_FLAGS (-Bsymbolic's
    DT_SYMBOLIC alone), DT_SYMBOLIC before DT_RPATH; a riscv64 PIE that uses initial-exec TLS
    of a library gets DF_STATIC_TLS (in DT_FLAGS, with BIND_NOW then).  xld wrote DT_FLAGS
    BIND_NOW (SYMBOLIC, ORIGIN) and gave DF_STATIC_TLS to riscv64 libraries only."""
    tls = {"t.c": "__thread int t = 5;\n",
           "m.c": '#include <stdio.h>\nextern __thread int t;\nint main(void) { printf("t=%d\\n", t); return 0; }\n'}
    old = ["-Wl,--disable-new-dtags", "-Wl,-rpath,$ORIGIN", "-Wl,-z,now"]
    gnu, ours = differential(
        tmp_path, wrapper, arch, {**INTERPOSE, **tls},
        [["{cc}", "{ld}", "-O1", "-fPIC", "-shared", "lib.c", "-Wl,-Bsymbolic", *old, "-Wl,-z,origin", "-o", "liblib.so"],
         ["{cc}", "{ld}", "-O1", "-fPIC", "-shared", "t.c", "-o", "libt.so"],
         ["{cc}", "{ld}", "-O1", "main.c", "-L.", "-llib", *old, "-o", "prog1"],
         ["{cc}", "{ld}", "-O1", "m.c", "-L.", "-lt", "-Wl,-rpath,$ORIGIN", "-o", "prog"]], ["t=5"])
    for f in ("liblib.so", "prog1", "prog"):
        assert _flag_tags(arch, ours.parent / f) == _flag_tags(arch, gnu.parent / f), f


WRAP = {
    "foo.c": "int foo(int x) { return x + 1; }\n",
    "bar.c": "int foo(int);\nint bar(int x) { return foo(x) * 2; }\n",
    "main.c": '#include <stdio.h>\nint foo(int); int bar(int); int __real_foo(int);\n'
              'int __wrap_foo(int x) { return __real_foo(x) + 1000; }\n'
              'int main(void) { printf("foo=%d bar=%d\\n", foo(1), bar(1)); return 0; }\n',
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_wrap_of_a_name_a_library_needs_exports_the_wrapper(tmp_path, wrapper, arch):
    """--wrap=foo in a program linked against a library that needs foo: GNU ld wraps the
    library's reference too as it looks it up, so the program exports __wrap_foo (ld.so still
    binds the library's foo to libfoo's: bar=4); xld did not export it."""
    gnu, ours = differential(
        tmp_path, wrapper, arch, WRAP,
        [["{cc}", "{ld}", "-O1", "-fPIC", "-shared", "foo.c", "-o", "libfoo.so"],
         ["{cc}", "{ld}", "-O1", "-fPIC", "-shared", "bar.c", "-L.", "-lfoo", "-o", "libbar.so"],
         ["{cc}", "{ld}", "-O1", "main.c", "-L.", "-lbar", "-lfoo", "-Wl,--wrap=foo", "-Wl,-rpath,$ORIGIN",
          "-o", "prog"]], ["foo=1002 bar=4"])
    assert "__wrap_foo" in _exports(arch, gnu)
    assert "__wrap_foo" in _exports(arch, ours)        # (riscv64's GNU ld also exports main: docs/dynamic.md)


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("as_needed", [True, False], ids=["as-needed", "needed"])
def test_definitions_of_a_dropped_as_needed_library_export_nothing(tmp_path, wrapper, arch, as_needed):
    """A program defines hook, which a library also defines: exported (so the library binds to
    the program's), unless the library is --as-needed and nothing needs it, when GNU ld takes
    its symbols back: no export.  xld exported hook either way.  (Debian's gcc passes
    --as-needed itself.)"""
    src = {"h.c": "int hook(int x) { return x + 1; }\n",
           "main.c": '#include <stdio.h>\nint hook(int x) { return x * 3; }\n'
                     'int main(void) { printf("hook=%d\\n", hook(2)); return 0; }\n'}
    gnu, ours = differential(
        tmp_path, wrapper, arch, src,
        [["{cc}", "{ld}", "-O1", "-fPIC", "-shared", "h.c", "-o", "libh.so"],
         ["{cc}", "{ld}", "-O1", "main.c", "-L.", "-Wl,--as-needed" if as_needed else "-Wl,--no-as-needed", "-lh",
          "-Wl,--no-as-needed", "-Wl,-rpath,$ORIGIN", "-o", "prog"]], ["hook=6"])
    assert ("hook" in _exports(arch, gnu)) is not as_needed
    assert ("hook" in _exports(arch, ours)) is not as_needed


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_programs_version_script_local_names_are_not_exported(tmp_path, wrapper, arch):
    """A program's version script `local: *` makes its hook local although a library defines
    and calls hook too: not exported, the library calls its own (hook=3, as GNU ld's); xld
    exported it (the library called the program's: hook=200).  A local name a library needs
    and no library defines is an error in both.  Found by the random export surfaces."""
    src = {"h.c": "int hook(int x) { return x + 1; }\nint call(int x) { return hook(x); }\n",
           "main.c": '#include <stdio.h>\nint call(int); int hook(int x) { return x * 100; }\n'
                     'int main(void) { printf("hook=%d\\n", call(2)); return 0; }\n',
           "m.map": "{ global: main; local: *; };\n"}
    differential(tmp_path, wrapper, arch, src,
                 [["{cc}", "{ld}", "-O1", "-fPIC", "-shared", "h.c", "-o", "libh.so"],
                  ["{cc}", "{ld}", "-O1", "main.c", "-L.", "-lh", "-Wl,--version-script=m.map",
                   "-Wl,-rpath,$ORIGIN", "-o", "prog"]], ["hook=3"])
    (tmp_path / "n.c").write_text("int cb(int);\nint call(int x) { return cb(x); }\n")
    (tmp_path / "m.c").write_text("int call(int); int cb(int x) { return x; }\nint main(void) { return call(0); }\n")
    (tmp_path / "m.map").write_text(src["m.map"])
    cc = f"{tc.TRIPLE[arch]}-gcc"
    subprocess.run([cc, "-fPIC", "-shared", "n.c", "-o", "libn.so"], cwd=tmp_path, check=True)
    for use in ([], ["-B", str(wrapper)]):
        p = subprocess.run([cc, *use, "m.c", "-L.", "-ln", "-Wl,--version-script=m.map", "-o", "bad"],
                           cwd=tmp_path, capture_output=True, text=True)
        assert p.returncode != 0 and "cb" in p.stderr and "DSO" in p.stderr, (use, p.stderr)


VTABLE = {
    "b.h": "namespace ns { struct Base { Base() : k(2) {} virtual int v(int); virtual ~Base(); int k; }; }\n",
    "b.cc": '#include "b.h"\nnamespace ns { int Base::v(int x) { return x * k; } Base::~Base() {} }\n',
    "main.cc": '#include <cstdio>\n#include "b.h"\n'
               'int main() { ns::Base *b = new ns::Base; std::printf("v=%d\\n", b->v(21)); delete b; return 0; }\n',
}


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("pattern", ['"vtable for ns::Base";', "vtable*;"], ids=["exact", "glob"])
def test_version_script_names_a_vtable_by_its_demangled_name(tmp_path, wrapper, arch, pattern):
    """extern "C++" patterns match c++filt's spelling of special names: "vtable for ns::Base"
    (the program's inline constructor needs the library's vtable).  xld's demangler wrote
    {vtable(ns::Base)}: the vtable was made local, the program's link failed (undefined
    vtable for ns::Base).  Found by the random export surfaces (tools/randexport.py)."""
    script = 'V1 { global: extern "C++" { ns::*; ' + pattern + ' }; local: *; };\n'
    differential(tmp_path, wrapper, arch, {**VTABLE, "b.map": script},
                 [["{cc}", "{ld}", "-O1", "-fPIC", "-shared", "b.cc", "-Wl,--version-script=b.map", "-o", "libb.so"],
                  ["{cc}", "{ld}", "-O1", "main.cc", "-L.", "-lb", "-lstdc++", "-Wl,-rpath,$ORIGIN", "-o", "prog"]],
                 ["v=42"])


UNIQUE = {
    "seq.h": "inline int seq() { static int c = 0; return ++c; }\n",    # c: an STB_GNU_UNIQUE object
    "a.cc": '#include "seq.h"\nint a() { return seq(); }\n',
    "b.cc": '#include "seq.h"\nint b() { return seq(); }\n',
    "main.cc": '#include <cstdio>\nint a(); int b();\n'
               'int main() { int x = a(); int y = b(); std::printf("seq %d %d\\n", x, y); return 0; }\n',
    "l.list": "{ a; b; };\n",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("bind", ["-Wl,-Bsymbolic", "-Wl,--dynamic-list=l.list"], ids=["symbolic", "dynamic-list"])
def test_unique_object_is_one_across_symbolic_libraries(tmp_path, wrapper, arch, bind):
    """Two libraries whose own references bind inside them (-Bsymbolic, a dynamic list) each
    define an inline function's static local, an STB_GNU_UNIQUE object: GNU ld leaves it
    interposable (a GLOB_DAT), ld.so's unique table makes it one object (seq 1 2); xld bound
    each library to its own copy (seq 1 1), silently.  Found by the random C++ programs."""
    differential(tmp_path, wrapper, arch, UNIQUE,
                 [["{cc}", "{ld}", "-O2", "-fPIC", "-shared", bind, "a.cc", "-o", "liba.so"],
                  ["{cc}", "{ld}", "-O2", "-fPIC", "-shared", bind, "b.cc", "-o", "libb.so"],
                  ["{cc}", "{ld}", "-O2", "main.cc", "-L.", "-la", "-lb", "-Wl,-rpath,$ORIGIN", "-o", "prog"]],
                 ["seq 1 2"])


VERSIONED_NEED = {
    "foo.c": "int foo(void) { return 1; }\n",
    "foo.map": "V1 { global: foo; };\n",
    "x.c": "int foo(void);\nint x(void) { return foo(); }\n",
    "fa.c": "int foo(void) { return 2; }\nint fa_marker;\n",
    "m.c": '#include <stdio.h>\nint x(void);\nint main(void) { printf("x=%d\\n", x()); return 0; }\n',
}


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("versioned", [True, False], ids=["foo@V1", "foo"])
def test_a_librarys_versioned_reference_loads_no_archive_member(tmp_path, wrapper, arch, versioned):
    """A library that needs foo@V1 (linked against libfoo.so's version V1) and an archive that
    defines a plain foo: GNU ld enters the reference under its versioned name, so the archive
    member is not loaded and foo@V1 binds to libfoo at run time (x=1); xld loaded it and the
    program's foo took the call (x=2, silently).  An unversioned reference still loads it, as
    GNU ld (x=2).  (gcc -fsanitize=undefined on arm64: libubsan.so's __extenddftf2@GCC_3.0
    loaded libgcc.a's hidden copy, and the link failed.)"""
    lib = ["-L.", "-lfoo"] if versioned else []
    differential(
        tmp_path, wrapper, arch, VERSIONED_NEED,
        [["{cc}", "-fPIC", "-shared", "foo.c", "-Wl,--version-script=foo.map", "-Wl,-soname,libfoo.so", "-o", "libfoo.so"],
         ["{cc}", "-fPIC", "-shared", "x.c", *lib, "-Wl,-soname,libx.so", "-Wl,-rpath,$ORIGIN", "-o", "libx.so"],
         ["{cc}", "-c", "fa.c"], [f"{tc.TRIPLE[arch]}-ar", "rcs", "libfa.a", "fa.o"],
         ["{cc}", "{ld}", "m.c", "-L.", "-lx", "-lfa", "-Wl,-rpath,$ORIGIN", "-Wl,--allow-shlib-undefined",
          "-o", "prog"]],
        ["x=1" if versioned else "x=2"])


def test_undefined_behaviour_sanitizer_links(tmp_path, wrapper):
    """gcc -fsanitize=undefined (arm64; Debian's riscv64 cross gcc has no libubsan): the
    program links and its report is GNU ld's program's (the addresses aside)."""
    src = tmp_path / "ub.c"
    src.write_text("#include <stdio.h>\n#include <limits.h>\n"
                   "int main(int c, char **v) { int big = INT_MAX - 1 + c; printf(\"%d\\n\", big + 1); return 0; }\n")
    cc = tc.require(f"{tc.TRIPLE['arm64']}-gcc")
    outs = []
    for name, extra in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        p = subprocess.run([cc, *extra, "-O1", "-fsanitize=undefined", str(src), "-o", str(tmp_path / name)],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        r = tc.run_group([tc.QEMU["arm64"], "-L", f"/usr/{tc.TRIPLE['arm64']}", str(tmp_path / name)], timeout=60)
        outs.append((r.returncode, r.stdout, r.stderr))
    assert outs[1] == outs[0] and b"signed integer overflow" in outs[0][2], outs


# --- visibility: the most constraining of all a symbol's entries, references too ----------------

VISIBILITY_MERGE = {
    "a.c": "int vis_fn(void) { return 1; }\nint vis_data = 3;\n",
    "b.c": r"""
extern __attribute__((visibility("hidden"))) int vis_fn(void);
extern __attribute__((visibility("protected"))) int vis_data;
int use(void) { return vis_fn() + vis_data; }
""",
    "m.c": r"""
#include <stdio.h>
#include <dlfcn.h>
int use(void);
int main(void) {
    void *h = dlopen("./libv.so", RTLD_NOW);
    printf("use=%d exported=%d\n", use(), h && dlsym(h, "vis_fn") != 0);
    return 0;
}
""",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_visibility_of_a_reference_constrains_the_definition(tmp_path, wrapper, arch):
    """A hidden (protected) reference in one object makes the default definition in another
    hidden (protected), as the gABI says and GNU ld does: xld exported vis_fn and made vis_data
    preemptible (on riscv64 the PC-relative reference was then refused)."""
    _, ours = differential(
        tmp_path, wrapper, arch, VISIBILITY_MERGE,
        [["{cc}", "-O1", "-fPIC", "-c", "a.c", "b.c"],
         ["{cc}", "-shared", "{ld}", "a.o", "b.o", "-o", "libv.so"],
         ["{cc}", "{ld}", "m.c", "-o", "prog", "-L.", "-lv", "-ldl", "-Wl,-rpath,$ORIGIN"]],
        ["use=4 exported=0"])
    with open(ours.parent / "libv.so", "rb") as f:
        dyn = {s.name: s["st_other"]["visibility"] for s in ELFFile(f).get_section_by_name(".dynsym").iter_symbols()}
    assert "vis_fn" not in dyn and dyn["vis_data"] == "STV_PROTECTED"
    # -r keeps the merged visibility, as GNU ld's -r does
    r = ours.parent / "r.o"
    res = tc.xld_link(["-r", ours.parent / "a.o", ours.parent / "b.o", "-o", r])
    assert res.status == 0, res.stderr
    with open(r, "rb") as f:
        syms = {s.name: s["st_other"]["visibility"] for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
    assert (syms["vis_fn"], syms["vis_data"]) == ("STV_HIDDEN", "STV_PROTECTED")


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("allow", [False, True])
def test_hidden_definition_a_library_needs_is_an_error(tmp_path, wrapper, arch, allow):
    """A program defines cb hidden, a library it links calls cb: .dynsym cannot offer it, and
    the program would stop at its first call ('symbol lookup error').  GNU ld refuses it (with
    --allow-shlib-undefined too); so does xld, in lld's words, and writes nothing."""
    src = {"lib.c": "int cb(void);\nint call_cb(void) { return cb(); }\n",
           "main.c": '__attribute__((visibility("hidden"))) int cb(void) { return 9; }\n'
                     "int call_cb(void);\nint main(void) { return call_cb(); }\n"}
    _build(arch, tmp_path, src, [["{cc}", "-O1", "-fPIC", "-shared", "lib.c", "-o", "libl.so"]], [])
    cmd = [f"{tc.TRIPLE[arch]}-gcc", "-B", str(wrapper), "main.c", "-L.", "-ll", "-o", "prog"]
    p = subprocess.run(cmd + (["-Wl,--allow-shlib-undefined"] if allow else []), capture_output=True,
                       text=True, cwd=tmp_path)
    assert p.returncode != 0 and not (tmp_path / "prog").exists()
    assert "error: non-exported symbol 'cb' in '" in p.stderr and "is referenced by DSO './libl.so'" in p.stderr, \
        p.stderr
    gnu = subprocess.run([f"{tc.TRIPLE[arch]}-gcc", "main.c", "-L.", "-ll", "-o", "gnu"], capture_output=True,
                         text=True, cwd=tmp_path)
    assert gnu.returncode != 0 and "hidden symbol `cb'" in gnu.stderr


# --- names the linker defines for the user (--defsym, a script's NAME = SYM) are exported ----

LINKER_NAMES = {
    "lib.c": r"""
extern int hook __attribute__((weak));
extern char script_sym[] __attribute__((weak));
int lib_get(void) { return &hook ? hook : -1; }
int lib_has(void) { return script_sym ? 1 : 0; }
""",
    "main.c": r"""
#include <stdio.h>
int lib_get(void); int lib_has(void);
extern int lib_alias(void);
int realvar = 42;
int main(void) {
    printf("hook %d script %d alias %d\n", lib_get(), lib_has(), lib_alias());
    return 0;
}
""",
    "prog.ld": "script_sym = realvar;\n",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_defsym_and_script_names_are_exported(tmp_path, wrapper, arch):
    # a program's --defsym NAME=SYM and an input script's NAME = SYM that a library refers
    # to are in .dynsym, as GNU ld exports them (xld left them out: the library's weak
    # references read NULL, 'hook -1 script 0'); a library's --defsym name is exported too
    # (a program that calls it failed to link)
    _, xld = differential(tmp_path, wrapper, arch, LINKER_NAMES,
                          [["{cc}", "-O1", "-fPIC", "-shared", "{ld}", "lib.c", "-o", "libh.so",
                            "-Wl,--defsym,lib_alias=lib_get"],
                           ["{cc}", "-O1", "{ld}", "main.c", "prog.ld", "-o", "prog", "-L.", "-lh",
                            "-Wl,-rpath,$ORIGIN", "-Wl,--defsym,hook=realvar"]],
                          ["hook 42 script 1 alias 42"])
    with open(xld, "rb") as f:
        dynsym = {s.name: s for s in ELFFile(f).get_section_by_name(".dynsym").iter_symbols()}
    assert dynsym["hook"]["st_info"]["type"] == "STT_OBJECT" and dynsym["hook"]["st_shndx"] != "SHN_ABS"


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_preinit_array_in_a_library_is_refused(tmp_path, wrapper, arch):
    # ld.so runs a program's DT_PREINIT_ARRAY only: in a library the function never runs.
    # GNU ld refuses the library; xld wrote DT_PREINIT_ARRAY and the link succeeded
    (tmp_path / "lib.c").write_text(
        '#include <stdio.h>\nstatic void pre(void) { puts("pre"); }\n'
        '__attribute__((section(".preinit_array"), used)) static void (*pp)(void) = pre;\n'
        "int f(void) { return 1; }\n")
    cc = f"{tc.TRIPLE[arch]}-gcc"
    subprocess.run([cc, "-fPIC", "-c", "lib.c"], check=True, cwd=tmp_path)
    for use, out in (([], "gnu.so"), (["-B", str(wrapper)], "xld.so")):
        p = subprocess.run([cc, *use, "-shared", "lib.o", "-o", out], capture_output=True, text=True, cwd=tmp_path)
        assert p.returncode != 0 and ".preinit_array section is not allowed in DSO" in p.stderr, p.stderr
        assert not (tmp_path / out).exists()
    assert "xld: error: lib.o: .preinit_array section is not allowed in DSO" in p.stderr, p.stderr


LINKER_NAMES_LIB = """
extern char _end[] __attribute__((weak)), etext[] __attribute__((weak)), edata[] __attribute__((weak)),
    __executable_start[] __attribute__((weak));
long l_end(void) { return (long)_end; }
long l_etext(void) { return (long)etext; }
long l_edata(void) { return (long)edata; }
long l_es(void) { return (long)__executable_start; }
"""
LINKER_NAMES_MAIN = r"""
#include <stdio.h>
extern char _end[], etext[], edata[], __executable_start[];
static char mybss[100];
long l_end(void), l_etext(void), l_edata(void), l_es(void);
int main(void) {
    printf("own end %d etext %d start %d\n", (char *)_end >= mybss + 100 && (char *)_end < mybss + 4096,
           (char *)etext > (char *)main && (char *)etext < (char *)main + 65536,
           (char *)__executable_start <= (char *)main && (char *)__executable_start > (char *)main - (1 << 20));
    printf("library sees ours: end %d etext %d edata %d start %d\n", l_end() == (long)_end,
           l_etext() == (long)etext, l_edata() == (long)edata, l_es() == (long)__executable_start);
    return 0;
}
"""


def _gnu_and_xld_runs(tmp_path, wrapper, arch, main: str, args: list[str], lib=None) -> dict:
    """main.c (and a library, ``lib``: (source, file name), built by GNU ld) linked by GNU ld
    ("gnu") and by xld ("xld") with ``args``, both run under qemu: {who: (status, stdout)}."""
    cc = f"{tc.TRIPLE[arch]}-gcc"
    (tmp_path / "main.c").write_text(main)
    if lib is not None:
        (tmp_path / "lib.c").write_text(lib[0])
        subprocess.run([cc, "-fPIC", "-shared", "lib.c", "-o", lib[1]], check=True, cwd=tmp_path)
    runs = {}
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        subprocess.run([cc, *use, "-O1", "main.c", *args, "-o", who], check=True, cwd=tmp_path)
        r = tc.qemu_run(arch, tmp_path / who, sysroot=f"/usr/{tc.TRIPLE[arch]}")
        runs[who] = (r.status, r.stdout.decode())
    return runs


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_programs_own_end_and_etext_against_a_library_that_defines_them(tmp_path, wrapper, arch):
    # A GNU ld library that uses _end, edata, etext defines and exports its own (its default
    # script PROVIDEs them); a program's are its own all the same (GNU ld's script defines
    # them) and exported so that the library's references bind to them.  xld imported them
    # from the library ('own end 0': the program's _end pointed into the library) and did
    # not export its own ('library sees ours: end 0'); exported, they lie in a section (an
    # SHN_ABS one would get no load address from ld.so)
    runs = _gnu_and_xld_runs(tmp_path, wrapper, arch, LINKER_NAMES_MAIN, ["-L.", "-ln", "-Wl,-rpath,$ORIGIN"],
                             lib=(LINKER_NAMES_LIB, "libn.so"))
    # (GNU ld's program does not export __executable_start: the library keeps its 0)
    assert runs["gnu"] == (0, "own end 1 etext 1 start 1\nlibrary sees ours: end 1 etext 1 edata 1 start 0\n")
    assert runs["xld"] == runs["gnu"]


END_ALIGNED = r"""
#include <stdio.h>
extern char _end[], end[], _edata[], __bss_start[];
char lastbss[3];
int main(void) {
    lastbss[0] = 1;
    printf("end %% 8: %ld, end - _end %ld, __bss_start - _edata %ld\n", (long)_end % 8, (long)(end - _end),
           (long)(__bss_start - _edata));
#ifndef STATIC
    printf("_end - lastbss %ld\n", (long)(_end - lastbss));
#endif
    return 0;
}
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("mode", ["-static", "-no-pie", "-pie"])
def test_end_and_bss_start_where_gnu_ld_puts_them(tmp_path, wrapper, arch, mode):
    # GNU ld's scripts align _end to 8 ('. = ALIGN(64 / 8)'), and assign __bss_start right
    # after _edata, before .bss aligns its start; both lie in a section (.bss, or the last
    # one), not SHN_ABS.  xld's _end was .bss's unaligned end ('end % 8: 3'), its _edata and
    # __bss_start the start of .bss past an empty .tm_clone_table, both SHN_ABS in .symtab
    runs = _gnu_and_xld_runs(tmp_path, wrapper, arch, END_ALIGNED, [mode, *(["-DSTATIC"] if mode == "-static" else [])])
    syms = {}
    for who in runs:
        with open(tmp_path / who, "rb") as f:
            e = ELFFile(f)
            names = [s.name for s in e.iter_sections()]
            syms[who] = {s.name: names[s["st_shndx"]] if isinstance(s["st_shndx"], int) else s["st_shndx"]
                         for s in e.get_section_by_name(".symtab").iter_symbols()
                         if s.name in ("_end", "end", "_edata", "__bss_start")}
    assert runs["gnu"][1].startswith("end % 8: 0, end - _end 0, __bss_start - _edata 0\n"), runs["gnu"]
    assert runs["xld"] == runs["gnu"]
    assert [syms["xld"][n] for n in ("_end", "__bss_start")] == [syms["gnu"][n] for n in ("_end", "__bss_start")]
    assert "SHN_ABS" not in syms["xld"].values(), syms["xld"]


ALIAS_LIB = """
extern char my_end[] __attribute__((weak)), scr_end[] __attribute__((weak)), my_text[] __attribute__((weak));
char *lib_my_end(void) { return my_end; }
char *lib_scr_end(void) { return scr_end; }
char *lib_my_text(void) { return my_text; }
"""
ALIAS_MAIN = r"""
#include <stdio.h>
extern char my_end[], scr_end[], my_text[], _end[], etext[];
char *lib_my_end(void), *lib_scr_end(void), *lib_my_text(void);
int main(void) {
    printf("library sees: my_end %d scr_end %d my_text %d; own: %d %d %d\n", lib_my_end() == _end,
           lib_scr_end() == _end, lib_my_text() == etext, my_end == _end, scr_end == _end, my_text == etext);
    return 0;
}
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_pie_alias_of_a_linker_name_is_relocated_in_a_library(tmp_path, wrapper, arch):
    # A PIE's --defsym my_end=_end and a script's scr_end = _end, which a library refers to,
    # are in .dynsym in _end's section: ld.so adds the load base.  xld wrote them SHN_ABS
    # (_end had no section), so the library read the link-time address ('my_end 0'); GNU
    # ld's PIE does so still (its .dynsym says ABS): xld is right where GNU ld is not
    (tmp_path / "s.ld").write_text("scr_end = _end;\n")
    runs = _gnu_and_xld_runs(tmp_path, wrapper, arch, ALIAS_MAIN,
                             ["-pie", "s.ld", "-L.", "-la", "-Wl,-rpath,$ORIGIN", "-Wl,--defsym,my_end=_end",
                              "-Wl,--defsym,my_text=etext"], lib=(ALIAS_LIB, "liba.so"))
    assert runs["gnu"][1].endswith("own: 1 1 1\n"), runs["gnu"]
    assert runs["xld"] == (0, "library sees: my_end 1 scr_end 1 my_text 1; own: 1 1 1\n")
    with open(tmp_path / "xld", "rb") as f:
        dynsym = {s.name: s for s in ELFFile(f).get_section_by_name(".dynsym").iter_symbols()}
    assert all(dynsym[n]["st_shndx"] != "SHN_ABS" for n in ("my_end", "scr_end", "my_text"))


PROGRAM_ONLY_NAMES = {
    "lib.c": """
extern char __executable_start[] __attribute__((weak)), data_start[] __attribute__((weak)),
    __init_array_start[] __attribute__((weak));
long l_es(void) { return (long)__executable_start; }
long l_ds(void) { return (long)data_start; }
long l_ia(void) { return (long)__init_array_start; }
""",
    "main.c": r"""
#include <stdio.h>
extern char __executable_start[], data_start[];
long l_es(void), l_ds(void), l_ia(void);
int main(void) {
    printf("library sees ours: start %d data_start %d init_array %d\n", l_es() == (long)__executable_start,
           l_ds() == (long)data_start, l_ia() == 0);
    return 0;
}
""",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_library_leaves_program_only_names_undefined_and_E_exports_the_assigned_ones(tmp_path, wrapper, arch):
    # GNU ld's -shared script assigns no __executable_start, data_start, __init_array_start
    # (riscv64: no __data_start either): its library leaves them undefined, bound to the
    # program's at run time; xld's defined and exported its own.  Under -E GNU ld's program
    # exports what its script assigns outright (_end, _edata, __bss_start ...; riscv64's
    # __global_pointer$, __DATA_BEGIN__ ...) even unreferenced; xld's exported none of them
    gnu, xld = differential(tmp_path, wrapper, arch, PROGRAM_ONLY_NAMES,
                            [["{cc}", "-O1", "-fPIC", "-shared", "{ld}", "lib.c", "-o", "libe.so"],
                             ["{cc}", "-O1", "{ld}", "main.c", "-o", "prog", "-L.", "-le", "-Wl,-rpath,$ORIGIN",
                              "-Wl,-E"]],
                            ["library sees ours: start 0 data_start 1 init_array 1"])
    # (start 0: a PIE's __executable_start has st_value 0, which ld.so's lookup skips)

    def dynsym(path):
        with open(path, "rb") as f:
            return {s.name: (s["st_shndx"] == "SHN_UNDEF", s["st_info"]["bind"])
                    for s in ELFFile(f).get_section_by_name(".dynsym").iter_symbols()}
    names = ("__executable_start", "data_start", "__data_start", "__init_array_start")
    lib_gnu, lib_xld = dynsym(gnu.parent / "libe.so"), dynsym(xld.parent / "libe.so")
    assert [lib_xld.get(n) for n in names] == [lib_gnu.get(n) for n in names]
    assert lib_gnu["__executable_start"] == (True, "STB_WEAK")
    linker = resolve.LINKER_NAMES | {"__DATA_BEGIN__", "__SDATA_BEGIN__", "__BSS_END__"}
    prog_gnu, prog_xld = ({n for n, (undef, _) in dynsym(p).items() if n in linker and not undef} for p in (gnu, xld))
    assert {"_end", "_edata", "__bss_start"} <= prog_gnu
    assert prog_xld == prog_gnu


SYMTAB_NAMES = r"""
#include <stdio.h>
extern char __init_array_start[], __fini_array_end[], __ehdr_start[], _GLOBAL_OFFSET_TABLE_[], _end[], etext[],
    __executable_start[], __data_start[], __bss_start[];
int main(void) {
    printf("%d\n", __init_array_start < __fini_array_end && __ehdr_start == __executable_start
           && _GLOBAL_OFFSET_TABLE_ > etext && __data_start < __bss_start && __bss_start < _end);
    return 0;
}
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("mode", ["-static", "-no-pie"])
def test_linker_names_bind_and_type_in_symtab_as_gnu_ld(tmp_path, wrapper, arch, mode):
    # GNU ld's .symtab lists the names its scripts PROVIDE_HIDDEN (__init_array_start ...)
    # and its own (__ehdr_start, _GLOBAL_OFFSET_TABLE_: an object) as local, the others
    # global with the visibility their references give them (static glibc's _end: hidden).
    # xld wrote every one global, default, untyped
    runs = _gnu_and_xld_runs(tmp_path, wrapper, arch, SYMTAB_NAMES, [mode])
    assert runs["gnu"] == (0, "1\n") and runs["xld"] == runs["gnu"]
    names = {"__init_array_start", "__fini_array_end", "__ehdr_start", "_GLOBAL_OFFSET_TABLE_", "etext",
             "__executable_start", "__data_start", "__bss_start"}
    if not (arch == "riscv64" and mode == "-static"):     # (GNU ld's riscv64 makes static hidden ones local)
        names.add("_end")
    got = {}
    for who in runs:
        with open(tmp_path / who, "rb") as f:
            got[who] = {s.name: (s["st_info"]["bind"], s["st_info"]["type"], s["st_other"]["visibility"])
                        for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols() if s.name in names}
    assert got["gnu"]["__init_array_start"][0] == "STB_LOCAL"
    assert got["xld"] == got["gnu"]


DEAD_IMPORT = {
    "new.c": "int older(void) { return 1; }\nint newer(void) { return 2; }\n",
    "new.map": "V1 { global: older; local: *; };\nV2 { global: newer; } V1;\n",
    "old.c": "int older(void) { return 1; }\n",
    "old.map": "V1 { global: older; local: *; };\n",
    "main.c": r"""
#include <stdio.h>
int older(void);
int newer(void);
int unused_path(void) { return newer(); }     /* dead: --gc-sections removes it */
int main(void) { printf("older %d\n", older()); return 0; }
""",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_names_only_removed_sections_use_are_not_imported(tmp_path, wrapper, arch):
    """--gc-sections: a name only a removed section referred to is not imported (GNU ld hides
    it): no .dynsym entry and no version needed for it, so the program loads against an
    older library without that version (here: newer@V2 called only from dead code; the
    library it runs with has V1 alone).  xld imported it and ld.so refused to load the
    program ("version `V2' not found")."""
    _, ours = differential(
        tmp_path, wrapper, arch, DEAD_IMPORT,
        [["{cc}", "-fPIC", "-shared", "new.c", "-Wl,--version-script=new.map", "-Wl,-soname,libv.so",
          "-o", "libv.so"],
         ["{cc}", "-O1", "-ffunction-sections", "-c", "main.c"],
         ["{cc}", "{ld}", "main.o", "-o", "prog", "-L.", "-lv", "-Wl,--gc-sections", "-Wl,-rpath,$ORIGIN"],
         ["{cc}", "-fPIC", "-shared", "old.c", "-Wl,--version-script=old.map", "-Wl,-soname,libv.so",
          "-o", "libv.so"]],
        ["older 1"])
    with open(ours, "rb") as f:
        names = [s.name for s in ELFFile(f).get_section_by_name(".dynsym").iter_symbols()]
    assert "older" in names and "newer" not in names


# --- a library's --defsym and script names are interposable, as its other globals -------------

INTERPOSED_ALIASES = {
    "lib.c": r"""
int bar(void) { return 1; }
int dbar = 5;
int foo(void);
extern int dfoo;
int callfoo(void) { return foo() * 100 + dfoo; }
""",
    "main.c": r"""
#include <stdio.h>
int callfoo(void);
int foo(void) { return 42; }
int dfoo = 7;
int main(void) { printf("%d\n", callfoo()); return 0; }
""",
    "alias.ld": "foo = bar;\ndfoo = dbar;\n",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("how,expect", [
    (["-Wl,--defsym,foo=bar", "-Wl,--defsym,dfoo=dbar"], "4207"),
    (["alias.ld"], "4207"),
    (["-Wl,-Bsymbolic-functions", "-Wl,--defsym,foo=bar", "-Wl,--defsym,dfoo=dbar"], "105"),
    (["-Wl,-Bsymbolic", "-Wl,--defsym,foo=bar", "-Wl,--defsym,dfoo=dbar"], "105"),
], ids=["defsym", "script", "Bsymbolic-functions", "Bsymbolic"])
def test_a_librarys_aliases_are_interposable(tmp_path, wrapper, arch, how, expect):
    # A library's --defsym foo=bar (or a script's foo = bar;) is a default-visibility global:
    # the program's own foo and dfoo come first for the library's call and load, in GNU ld's
    # and lld's libraries alike (4207), unless -Bsymbolic or -Bsymbolic-functions binds them
    # (105: GNU ld's -Bsymbolic-functions binds the data alias too when the options follow
    # the object, as here; the symbol has no type yet then).  xld bound both inside the library
    # (105 every time), and once made interposable its call still went straight to bar:
    # the alias took its target's address after the PLT entries were given out.
    _, xld = differential(tmp_path, wrapper, arch, INTERPOSED_ALIASES,
                          [["{cc}", "-O1", "-fPIC", "-shared", "{ld}", "lib.c", *how, "-o", "liba.so"],
                           ["{cc}", "-O1", "main.c", "-o", "prog", "-L.", "-la", "-Wl,-rpath,$ORIGIN"]],
                          [expect])
    with open(xld.parent / "liba.so", "rb") as f:
        dynsym = {s.name: s for s in ELFFile(f).get_section_by_name(".dynsym").iter_symbols()}
    assert dynsym["foo"]["st_value"] == dynsym["bar"]["st_value"] != 0
    assert dynsym["foo"]["st_info"]["type"] == "STT_FUNC" and dynsym["dfoo"]["st_info"]["type"] == "STT_OBJECT"


UNTYPED_LABELS = {
    "lib.c": r"""
int nt(void);
extern int ntd;
int callnt(void) { return nt() * 100 + ntd; }
""",
    "main.c": r"""
#include <stdio.h>
int callnt(void);
int nt(void) { return 42; }
int ntd = 7;
int main(void) { printf("%d\n", callnt()); return 0; }
""",
}
UNTYPED_ASM = {"arm64": "mov w0, #1\n\tret", "riscv64": "li a0, 1\n\tret"}


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("how,expect", [([], "4207"), (["-Wl,-Bsymbolic-functions"], "105")],
                         ids=["default", "Bsymbolic-functions"])
def test_bsymbolic_functions_binds_untyped_labels(tmp_path, wrapper, arch, how, expect):
    # GNU ld's -Bsymbolic-functions leaves only data objects (STT_OBJECT, STT_COMMON)
    # interposable: assembler labels without .type (nt, ntd: STT_NOTYPE) are bound inside the
    # library (105).  xld bound STT_FUNC only, as lld does, and the program's nt and ntd came
    # first (4207).
    sources = dict(UNTYPED_LABELS, **{"nt.s": f"\t.text\n\t.globl nt\nnt:\n\t{UNTYPED_ASM[arch]}\n"
                                              "\t.data\n\t.globl ntd\nntd:\n\t.word 5\n"})
    differential(tmp_path, wrapper, arch, sources,
                 [["{cc}", "-O1", "-fPIC", "-shared", "{ld}", "lib.c", "nt.s", *how, "-o", "liba.so"],
                  ["{cc}", "-O1", "main.c", "-o", "prog", "-L.", "-la", "-Wl,-rpath,$ORIGIN"]],
                 [expect])


SCRIPT_LOCALS = r"""
int keep(void) { return 1; }
int loc(void) { return 3; }
int also(void) { return 4; }
__attribute__((visibility("hidden"))) int hid(void) { return 2; }
int main(void) { return keep() + loc() + also() + hid(); }
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("kind", [["-shared"], ["-pie", "-E"], ["-pie"]], ids=["shared", "pie-E", "pie"])
def test_version_script_locals_are_local_in_symtab(tmp_path, arch, kind):
    # A definition a version script's local: pattern matches is local in .symtab too, as GNU
    # ld and lld write it, in a library and in a program with or without -E; xld left it
    # global there (only .dynsym was right)
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    (tmp_path / "a.c").write_text(SCRIPT_LOCALS)
    (tmp_path / "v.map").write_text("V1 { global: keep; main; local: loc; al*; };\n")
    subprocess.run([cc, "-fPIC", "-c", "a.c"], check=True, cwd=tmp_path)
    args = [*kind, "--version-script", "v.map", "a.o", "-e", "main"]
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), *args, "-o", "gnu"], check=True, cwd=tmp_path)
    p = subprocess.run([*tc.xld_command(), "--arch", arch, *args, "-o", "xld"], capture_output=True,
                       text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    binds = {}
    for who in ("gnu", "xld"):
        with open(tmp_path / who, "rb") as f:
            binds[who] = {s.name: s["st_info"]["bind"] for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()
                          if s.name in ("keep", "loc", "also", "hid")}
    assert binds["xld"] == binds["gnu"], binds
    assert binds["gnu"]["loc"] == binds["gnu"]["also"] == "STB_LOCAL" and binds["gnu"]["keep"] == "STB_GLOBAL"


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_exclude_libs_members_are_local_in_symtab(tmp_path, arch):
    # --exclude-libs keeps an archive member's globals out of .dynsym, and GNU ld and lld
    # write them STB_LOCAL in .symtab too; xld left them global there
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    (tmp_path / "al.c").write_text("int inlib(void) { return 7; }\n")
    (tmp_path / "ap.c").write_text("int inlib(void);\nint api(void) { return inlib(); }\n")
    subprocess.run([cc, "-fPIC", "-c", "al.c", "ap.c"], check=True, cwd=tmp_path)
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ar"), "rcs", "libal.a", "al.o"], check=True, cwd=tmp_path)
    args = ["-shared", "ap.o", "libal.a", "--exclude-libs", "ALL"]
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), *args, "-o", "gnu"], check=True, cwd=tmp_path)
    p = subprocess.run([*tc.xld_command(), "--arch", arch, *args, "-o", "xld"], capture_output=True,
                       text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    binds = {}
    for who in ("gnu", "xld"):
        with open(tmp_path / who, "rb") as f:
            e = ELFFile(f)
            binds[who] = {s.name: s["st_info"]["bind"] for s in e.get_section_by_name(".symtab").iter_symbols()
                          if s.name in ("inlib", "api")}
            assert "inlib" not in {s.name for s in e.get_section_by_name(".dynsym").iter_symbols()}
    assert binds["xld"] == binds["gnu"] == {"inlib": "STB_LOCAL", "api": "STB_GLOBAL"}, binds


# --- a program's foo@@V2 answers a library's plain reference to foo ---------------------------

DEFAULT_VERSION_FOR_A_LIBRARY = {
    "lib.c": "int foo(void);\nint call_foo(void) { return foo() + 100; }\n",
    "main.c": r"""
#include <stdio.h>
int foo_v2(void) { return 2; }
__asm__(".symver foo_v2, foo@@V2");
int call_foo(void);
int main(void) { printf("call_foo %d\n", call_foo()); return 0; }
""",
    "main.map": "V2 { global: foo; };\n",
    "other.map": "V3 { global: not_here; };\n",
}


def _dynsym_rows(arch: str, exe: Path, name: str) -> list[tuple]:
    """(type, bind, visibility, name@version) of .dynsym's rows for ``name``, as readelf shows them."""
    out = subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "--dyn-syms", "-W", str(exe)],
                         capture_output=True, text=True, check=True).stdout
    rows = [ln.split() for ln in out.splitlines()]
    return [(r[3], r[4], r[5], r[7]) for r in rows if len(r) >= 8 and r[7].partition("@")[0] == name]


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("flags", [["-Wl,--version-script=main.map"],
                                   ["-Wl,--version-script=main.map", "-Wl,--allow-shlib-undefined"],
                                   [], ["-Wl,--version-script=main.map", "-Wl,-E"],
                                   ["-Wl,--version-script=other.map"]])
def test_programs_default_version_answers_a_librarys_plain_reference(tmp_path, wrapper, arch, flags):
    """A library calls foo, unversioned; the program defines foo@@V2 (foo's default version):
    GNU ld takes it for foo, exports it (foo, version V2, defined by the program: with no
    version script, or none with a V2 node, GNU ld defines V2 itself), and the program runs.  xld refused the link
    ('undefined reference due to --no-allow-shlib-undefined: foo'), with --allow-shlib-undefined
    wrote a program ld.so stopped ('undefined symbol: foo'), and with a version script refused
    it ('version nodes in an executable with .symver names are not supported')."""
    gnu, ours = differential(
        tmp_path, wrapper, arch, DEFAULT_VERSION_FOR_A_LIBRARY,
        [["{cc}", "-O1", "-fPIC", "-shared", "lib.c", "-o", "libl.so"],
         ["{cc}", "-O1", "{ld}", "main.c", "-o", "prog", "-L.", "-ll", "-Wl,-rpath,$ORIGIN", *flags]],
        ["call_foo 102"])
    want = _dynsym_rows(arch, gnu, "foo")
    assert want == [("FUNC", "GLOBAL", "DEFAULT", "foo@@V2")], want
    assert _dynsym_rows(arch, ours, "foo") == want
    verdefs = []
    for exe in (gnu, ours):
        with open(exe, "rb") as f:
            vd = ELFFile(f).get_section_by_name(".gnu.version_d")
            verdefs.append([aux.name for _, auxs in vd.iter_versions() for aux in auxs])
    assert verdefs[1] == verdefs[0] == (["prog", "V3", "V2"] if "other" in "".join(flags) else ["prog", "V2"])
