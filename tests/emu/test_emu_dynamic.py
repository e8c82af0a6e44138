"""Dynamically linked programs (the cross GCC's default link by GNU ld: a PIE with glibc's
ld.so and libc.so.6; also -no-pie, shared libraries, dlopen, C++) run under ``xld run`` as
under ``qemu-<arch> -L /usr/<triple>``: same stdout, stderr and exit status. The program
interpreter and libraries come from the default sysroot, /usr/<triple>.

Also: what the loader hands over (auxv), file-backed mmap, the sysroot lookup order under
--root, and guest input that must fail cleanly (missing, corrupt or hostile interpreters and
executables)."""

import os
import shutil
import struct
import subprocess

import pytest

from xld.emu import RunError, run

from conftest import ARCHES, GNU, PROGS, run_qemu, sysroot
from tests import toolchain as tc

ENV = {"XLD_GREETING": "hello there", "XLD_EMPTY": "", "PATH": "/bin:/usr/bin"}
LD_SO = {"arm64": "/lib/ld-linux-aarch64.so.1", "riscv64": "/lib/ld-linux-riscv64-lp64d.so.1"}


def same_as_qemu(arch, exe, args=(), stdin=b"", root=None, env=ENV):
    """Run under qemu -L /usr/<triple> (in ``root``) and xld (with ``root`` as /, or by
    default in the host's view, as qemu)."""
    rc, out, err = run_qemu(arch, exe, args, stdin=stdin, env=env, cwd=root, sysroot=sysroot(arch))
    res = run(exe, argv=list(args), env=env, stdin=stdin, root=root, timeout=60)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout, res.stderr) == (rc, out, err)
    return res


KINDS = [(a, k) for a in ARCHES for k in ("dyn", "nopie")]
KIND_IDS = [f"{a}-{k}" for a, k in KINDS]


@pytest.mark.parametrize("arch,kind", KINDS, ids=KIND_IDS)
def test_hello_args_floats_exit_status(build, arch, kind):
    res = same_as_qemu(arch, build("hello", arch, kind), ["one", "two words", "", "7"])
    assert res.returncode == 7 and b"3.250 3.25e+10" in res.stdout


@pytest.mark.parametrize("arch,kind", KINDS, ids=KIND_IDS)
def test_libc_spread(build, arch, kind):
    res = same_as_qemu(arch, build("libcmix", arch, kind), ["-v", "-n", "x", "rest"])
    assert b"longjmp 4\n" in res.stdout


@pytest.mark.parametrize("arch", ARCHES)
def test_environment_stdin_and_files(build, arch, tmp_path):
    same_as_qemu(arch, build("env", arch, "dyn"), ["--flag", "x=y"])
    res = same_as_qemu(arch, build("stdin", arch, "dyn"), stdin=b"first line\nsecond  line\n" * 20)
    assert res.stdout.endswith(b"\n40 80 480\n")
    for d in ("q", "x"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "data.txt").write_text("line one\nline two\n")
    exe = build("files", arch, "dyn")
    rc, out, err = run_qemu(arch, exe, env=ENV, cwd=tmp_path / "q", sysroot=sysroot(arch))
    res = run(exe, env=ENV, root=tmp_path / "x", timeout=60)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout, res.stderr) == (rc, out, err)


@pytest.mark.parametrize("arch", ARCHES)
def test_heap_mappings_and_file_mmap(build, arch):
    same_as_qemu(arch, build("mem", arch, "dyn"))
    res = same_as_qemu(arch, build("mmapfile", arch, "dyn"))
    assert b"private write stays private: Z c\n" in res.stdout
    assert b"write-only fd: 1 Permission denied\n" in res.stdout


@pytest.mark.parametrize("arch,kind", KINDS, ids=KIND_IDS)
def test_what_the_loader_hands_over(build, arch, kind):
    """auxv (AT_ENTRY, AT_PHDR, AT_PHNUM, AT_BASE = ld.so's base, AT_EXECFN, ...) agrees with
    what ld.so reports through dl_iterate_phdr; /proc/self/exe names the program."""
    res = same_as_qemu(arch, build("auxv", arch, kind))
    assert b"AT_BASE is ld.so's: 1 (dynamic 1)\n" in res.stdout
    assert b"AT_ENTRY is _start: 1\nAT_PHDR is the main program's: 1\nAT_PHNUM: 1\n" in res.stdout


@pytest.mark.parametrize("arch", ARCHES)
def test_cxx_iostream_exceptions(build, arch):
    res = same_as_qemu(arch, build("cxx", arch, "dyn"), ["a"])
    assert b"caught: deep error" in res.stdout
    assert res.stdout.endswith(b"static destructor\n")


@pytest.fixture(scope="module")
def plug(tmp_path_factory):
    """plug(arch) -> directory with libplug.so (-shared -fPIC), 'useplug' linked against it
    (run path $ORIGIN) and 'dlplug', which dlopens it. Built by the cross GCC (GNU ld)."""
    built = {}

    def get(arch):
        if arch not in built:
            cc = shutil.which(f"{GNU[arch]}-gcc")
            if cc is None:
                tc.missing(f"{GNU[arch]}-gcc not installed")
            d = tmp_path_factory.mktemp(f"plug-{arch}")
            src = os.path.join(PROGS, "useplug.c")
            for cmd in ([cc, "-O2", "-shared", "-fPIC", os.path.join(PROGS, "plug.c"), "-o", d / "libplug.so"],
                        [cc, "-O2", src, "-o", d / "useplug", f"-L{d}", "-lplug", "-Wl,-rpath,$ORIGIN"],
                        [cc, "-O2", "-DUSE_DLOPEN", src, "-o", d / "dlplug"]):
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
                assert p.returncode == 0, p.stderr
            built[arch] = d
        return built[arch]
    return get


@pytest.mark.parametrize("arch", ARCHES)
def test_program_linked_against_a_shared_library(plug, arch):
    """ld.so finds libplug.so through $ORIGIN (readlink /proc/self/exe, in the root), runs its
    constructor and destructor; copy relocations, TLS and callbacks work."""
    d = plug(arch)
    res = same_as_qemu(arch, str(d / "useplug"), root=d)
    assert res.stdout == (b"plug: constructor\nplug v1: bump 42 counter 42 tls 6 7\n"
                          b"plug: callback says 10\njoined left+right\nplug: destructor\n")


@pytest.mark.parametrize("arch", ARCHES)
def test_dlopen_dlsym_dladdr_dlclose(plug, arch):
    d = plug(arch)
    res = same_as_qemu(arch, str(d / "dlplug"), root=d)
    assert b"plug v1: bump 42 counter 42 tls 6 7\n" in res.stdout
    assert b"dladdr: plug_bump in libplug.so\nplug: destructor\ndlclose: 0\n" in res.stdout
    assert b"bad: ./libnothing.so: cannot open shared object file" in res.stdout


# --- the sysroot and the root ---------------------------------------------------------------

def _mini_sysroot(arch, where):
    """A sysroot of its own: ld.so and libc.so.6 copied from /usr/<triple>/lib."""
    lib = where / "lib"
    lib.mkdir(parents=True)
    for name in (os.path.basename(LD_SO[arch]), "libc.so.6"):
        shutil.copy(os.path.join(sysroot(arch), "lib", name), lib / name)
    return where


@pytest.mark.parametrize("arch", ARCHES)
def test_sysroot_comes_first_for_reads_and_never_for_writes(build, arch, tmp_path):
    """--sysroot DIR: ld.so and libc come from DIR; a program's read-only opens of absolute
    paths try DIR first, then the root; writes and creations always go to the root."""
    sr = _mini_sysroot(arch, tmp_path / "sysroot")
    (sr / "etc").mkdir()
    (sr / "etc" / "greeting").write_text("from the sysroot\n")
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "greeting").write_text("from the root\n")
    (root / "etc" / "motd").write_text("only in the root\n")
    exe = build("sysrootio", arch, "dyn")
    res = run(exe, root=root, sysroot=sr, timeout=60)
    assert res.crash is None, res.crash
    assert res.stdout == (b"read /etc/greeting: from the sysroot\n"
                          b"read /etc/motd: only in the root\n"
                          b"wrote /etc/greeting: 0\n"
                          b"read /etc/greeting: from the sysroot\n"
                          b"stat /lib/libc.so.6: 0\n"
                          b"openat(/lib dir, libc.so.6): 1 1\n"
                          b"fstatat(/lib dir, libc.so.6): 0\n"
                          b"relative etc/greeting: hello\n"), res.stdout
    assert (root / "etc" / "greeting").read_text() == "hello\n"
    assert (sr / "etc" / "greeting").read_text() == "from the sysroot\n"


@pytest.mark.parametrize("arch", ARCHES)
def test_default_sysroot_is_for_dynamic_programs(build, arch, tmp_path):
    """Without --sysroot a dynamic program uses /usr/<triple>; a static program gets no
    sysroot (its view of the root is unchanged) unless one is given."""
    sysroot(arch)
    probe = build("sysrootio", arch, "gcc")          # static
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "greeting").write_text("from the root\n")
    res = run(probe, root=tmp_path, timeout=60)
    assert b"stat /lib/libc.so.6: -1\n" in res.stdout
    res = run(probe, root=tmp_path, sysroot=sysroot(arch), timeout=60)
    assert b"stat /lib/libc.so.6: 0\n" in res.stdout
    (tmp_path / "etc" / "greeting").write_text("from the root\n")
    res = run(build("sysrootio", arch, "dyn"), root=tmp_path, timeout=60)
    assert b"read /etc/greeting: from the root\n" in res.stdout
    assert b"stat /lib/libc.so.6: 0\n" in res.stdout


# --- guest input that must fail cleanly -----------------------------------------------------

def _dyn_exe(build):
    return build("hello", "arm64", "dyn")


def test_interpreter_that_is_not_an_elf_file(build, tmp_path):
    sr = tmp_path / "sr"
    (sr / "lib").mkdir(parents=True)
    (sr / "lib" / "ld-linux-aarch64.so.1").write_text("#!/bin/sh\n")
    with pytest.raises(RunError, match="program interpreter /lib/ld-linux-aarch64.so.1 .*not an ELF file"):
        run(_dyn_exe(build), root=tmp_path, sysroot=sr)


def test_interpreter_that_is_a_fifo_or_a_directory_does_not_block(build, tmp_path):
    sr = tmp_path / "sr"
    (sr / "lib").mkdir(parents=True)
    os.mkfifo(sr / "lib" / "ld-linux-aarch64.so.1")
    with pytest.raises(RunError, match="not a regular file"):
        run(_dyn_exe(build), root=tmp_path, sysroot=sr)
    os.unlink(sr / "lib" / "ld-linux-aarch64.so.1")
    (sr / "lib" / "ld-linux-aarch64.so.1").mkdir()
    with pytest.raises(RunError, match="not a regular file"):
        run(_dyn_exe(build), root=tmp_path, sysroot=sr)


def test_interpreter_for_another_machine(build, tmp_path):
    rv = os.path.join(sysroot("riscv64"), "lib", "ld-linux-riscv64-lp64d.so.1")
    sr = tmp_path / "sr"
    (sr / "lib").mkdir(parents=True)
    shutil.copy(rv, sr / "lib" / "ld-linux-aarch64.so.1")
    with pytest.raises(RunError, match="is for machine 243, not 183"):
        run(_dyn_exe(build), root=tmp_path, sysroot=sr)


def test_interpreter_symlink_cannot_leave_the_sysroot(build, tmp_path):
    """The sysroot is walked like a root: an absolute link restarts inside it, '..' stops at
    it, so a link to the host's real ld.so is not followed out."""
    sr = tmp_path / "sr"
    (sr / "lib").mkdir(parents=True)
    real = os.path.join(sysroot("arm64"), "lib", "ld-linux-aarch64.so.1")
    os.symlink(real, sr / "lib" / "ld-linux-aarch64.so.1")
    with pytest.raises(RunError, match="was not found in the sysroot"):
        run(_dyn_exe(build), root=tmp_path, sysroot=sr)
    os.unlink(sr / "lib" / "ld-linux-aarch64.so.1")
    os.symlink("../../../../../.." + real, sr / "lib" / "ld-linux-aarch64.so.1")
    with pytest.raises(RunError, match="was not found in the sysroot"):
        run(_dyn_exe(build), root=tmp_path, sysroot=sr)


def _elf(tmp_path, *, etype=2, phdrs=(), interp=None, phnum=None, name="bad"):
    """A minimal arm64 ELF64 file: header, program headers, then an optional PT_INTERP string."""
    phoff = 64
    body = b""
    rows = list(phdrs)
    if interp is not None:
        off = phoff + 56 * (len(rows) + 1)
        rows.append((3, 4, off, 0, len(interp) + 1, len(interp) + 1))
        body = interp.encode() + b"\0"
    n = len(rows) if phnum is None else phnum
    head = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    head += struct.pack("<HHIQQQIHHHHHH", etype, 183, 1, 0x400000, phoff, 0, 0, 64, 56, n, 64, 0, 0)
    ph = b"".join(struct.pack("<IIQQQQQQ", t, f, off, va, va, fs, ms, 0x1000)
                  for t, f, off, va, fs, ms in rows)
    path = tmp_path / name
    path.write_bytes(head + ph + body)
    return path


def test_corrupt_executables_fail_cleanly(tmp_path):
    load = (1, 5, 0, 0x400000, 0x40, 0x100)
    with pytest.raises(RunError, match="program headers outside the file"):
        run(_elf(tmp_path, phdrs=[load], phnum=500))
    with pytest.raises(RunError, match="extends past the end of the file"):
        run(_elf(tmp_path, phdrs=[(1, 5, 0, 0x400000, 1 << 40, 1 << 40)]))
    with pytest.raises(RunError, match="bad sizes"):
        run(_elf(tmp_path, phdrs=[(1, 5, 0, 0xFFFF_FFFF_FFFF_F000, 0x40, 0x10000)]))
    # a bss of a terabyte: refused before anything is mapped
    with pytest.raises(RunError, match="more than the memory limit"):
        run(_elf(tmp_path, phdrs=[(1, 6, 0, 0x400000, 0x40, 1 << 40)]))
    # segments outside the address space the runner gives programs
    with pytest.raises(RunError, match="outside the program's address space"):
        run(_elf(tmp_path, phdrs=[(1, 6, 0, 0x7F_0000_0000, 0x40, 0x100)]))
    with pytest.raises(RunError, match="outside the program's address space"):
        run(_elf(tmp_path, phdrs=[(1, 6, 0, 0x1000, 0x40, 0x100)]))
    with pytest.raises(RunError, match="PT_INTERP of"):
        run(_elf(tmp_path, phdrs=[load, (3, 4, 0, 0, 1, 1)]))


def test_bogus_interpreter_paths(tmp_path):
    load = (1, 5, 0, 0x400000, 0x40, 0x100)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("root:x:0:0\n")
    for interp in ("/nonexistent/ld.so", "/dev/zero", "/", "../../../../etc/passwd", "relative/ld.so"):
        with pytest.raises(RunError, match="program interpreter|not a regular file|not an ELF file"):
            run(_elf(tmp_path, phdrs=[load], interp=interp), root=tmp_path, sysroot="")


def test_cli_sysroot_option(build, capsys, tmp_path):
    from xld.emu.cli import main
    exe = _dyn_exe(build)
    assert main(["-L", sysroot("arm64"), "--root", str(tmp_path), exe, "5"]) == 5
    assert main(["--sysroot", str(tmp_path / "none"), exe]) == 1
    assert capsys.readouterr().err.endswith("not a directory\n")


def test_crash_report_names_functions_in_shared_libraries(build):
    """Frames in libc.so.6 are named from its .dynsym, with the library's name."""
    res = run(build("crash", "arm64", "dyn"), ["abort"], timeout=60)
    assert res.signal == 6
    assert "<abort+" in res.crash and " in libc.so.6>" in res.crash
    assert "<do_abort+" in res.crash and "<main+" in res.crash


@pytest.mark.parametrize("arch", ARCHES)
def test_the_dynamic_loader_run_as_the_program(build, arch):
    """ld.so itself is an ET_DYN without an interpreter (loaded like a static-pie): run as the
    program, with -L, it loads and lists another program's libraries, as under qemu."""
    ld_so = os.path.join(sysroot(arch), LD_SO[arch].lstrip("/"))
    exe = build("hello", arch, "dyn")
    root, guest = os.path.dirname(exe), "/" + os.path.basename(exe)
    res = run(ld_so, argv=["--list", guest], root=root, sysroot=sysroot(arch), timeout=60)
    assert res.returncode == 0, res.stderr
    assert b"libc.so.6 => /lib/libc.so.6 (0x" in res.stdout
    res = run(ld_so, argv=[guest, "a", "9"], root=root, sysroot=sysroot(arch), timeout=60)
    assert res.returncode == 9 and b"hello from 3 args\n" in res.stdout


def test_static_pie_gets_no_interpreter(build):
    """-static-pie (arm64: Debian's riscv64 cross GCC has no rcrt1.o): ET_DYN, no PT_INTERP,
    loaded at a base, relocates itself; AT_BASE is 0."""
    res = same_as_qemu("arm64", build("auxv", "arm64", "pie"))
    assert b"AT_BASE is ld.so's: 1 (dynamic 0)\n" in res.stdout   # both 0
    assert b"AT_ENTRY is _start: 1\nAT_PHDR is the main program's: 1\n" in res.stdout


def test_a_bss_only_segment_may_name_any_offset(tmp_path):
    """GNU ld gives a segment of .bss alone a file offset past the end of the file (its file
    size is 0): that is not corruption."""
    exe = _elf(tmp_path, phdrs=[(1, 5, 0, 0x400000, 0x40, 0x100), (1, 6, 0x1_0000, 0x410000, 0, 0x100)])
    res = run(exe, timeout=10)
    assert res.signal is not None      # it runs (and crashes at once: there is no code)


@pytest.mark.parametrize("arch", ARCHES)
def test_a_missing_shared_library_is_ld_so_s_error(plug, arch, tmp_path):
    """Without libplug.so next to it, ld.so itself reports the missing library (status 127),
    word for word as under qemu."""
    exe = tmp_path / "useplug"
    shutil.copy(plug(arch) / "useplug", exe)
    res = same_as_qemu(arch, str(exe))      # the host's view: argv[0] is the path as given
    assert res.returncode == 127
    assert b"error while loading shared libraries: libplug.so: cannot open shared object file" in res.stderr


@pytest.mark.parametrize("arch", ARCHES)
def test_a_root_that_is_a_target_file_system_needs_no_sysroot(build, arch, tmp_path):
    """--root a target file system (ld.so and libc in its /lib), --sysroot= none: the
    interpreter and the libraries come from the root, as the kernel would find them."""
    root = _mini_sysroot(arch, tmp_path / "rootfs")
    exe = root / "hello"
    shutil.copy(build("hello", arch, "dyn"), exe)
    res = run(exe, argv=["4"], root=root, sysroot="", timeout=60)
    assert res.returncode == 4, res.stderr
    assert b"hello from 2 args\n" in res.stdout


def test_the_pytest_fixture_runs_dynamic_programs(build, xld_run):
    res = xld_run(build("hello", "riscv64", "dyn"), "a", "6")
    assert res.returncode == 6 and b"hello from 3 args\n" in res.stdout
