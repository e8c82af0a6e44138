"""Files the kernel treats specially, with real programs (tests/emu/progs/fdio.c) against
qemu-user: every call that changes a file under --read-only; FIFOs, whose open blocks until a
peer comes (without blocking the emulator); the guest's own descriptors through
/proc/self/fd/N, /dev/fd/N and /dev/stdin."""

import os
import subprocess
import time

import pytest

from conftest import run_qemu
from tests import toolchain as tc
from xld.emu import run

ARCHES = pytest.mark.parametrize("arch", ["arm64", "riscv64"])

# every call of `fdio writes FILE DIR` that changes something (the last, stat, only reads)
WRITES = ["open O_CREAT", "open O_WRONLY", "open O_RDWR", "open O_RDONLY|O_TRUNC", "creat", "truncate",
          "chmod", "fchmod", "fchmodat", "chown", "lchown", "fchown", "fchownat", "fchownat empty path",
          "utimensat", "utimensat null", "futimens", "utimes", "utime", "setxattr", "lsetxattr",
          "fsetxattr", "getxattr", "listxattr", "removexattr", "lremovexattr", "fremovexattr",
          "access W_OK", "faccessat W_OK", "mkdir", "mknod fifo", "mkfifo", "symlink", "link",
          "open new", "mknod char device", "rename", "renameat2 exchange", "unlink", "rmdir",
          "stat (a read)"]
READS = {"getxattr", "listxattr", "stat (a read)"}


def _tree(d):
    (d / "dir").mkdir(parents=True)
    (d / "f.txt").write_text("data")
    return d


def _listing(d):
    out = []
    for top, dirs, files in os.walk(d):
        for n in sorted(dirs + files):
            p = os.path.join(top, n)
            st = os.lstat(p)
            out.append((os.path.relpath(p, d), st.st_mode, st.st_size, st.st_uid))
    return sorted(out)


def _lines(out: bytes) -> dict:
    return dict(line.split(": ", 1) for line in out.decode().splitlines())


@ARCHES
@pytest.mark.parametrize("view", ["host", "root"])
def test_read_only_refuses_every_change(build, tmp_path, arch, view):
    """--read-only: each call that would change a file fails with EROFS (chown, utimensat,
    xattrs and mknod were no-ops or unsupported), in both views, and nothing changes."""
    exe = build("fdio", arch)
    d = _tree(tmp_path / "t")
    before = _listing(d)
    mtime = os.stat(d / "f.txt").st_mtime_ns
    kw = dict(root=d) if view == "root" else dict(cwd=d)
    res = run(exe, ["writes", "f.txt", "dir"], read_only=True, timeout=60, **kw)
    assert res.returncode == 0, res.crash
    got = _lines(res.stdout)
    assert list(got) == WRITES
    for name, what in got.items():
        if name == "stat (a read)":
            assert what == "ok"
        elif name in READS:         # no attribute set: the read fails as the host's does
            assert what in ("No data available", "ok", "Numerical result out of range"), (name, what)
        else:
            assert what == "Read-only file system", (name, what)
    assert _listing(d) == before and os.stat(d / "f.txt").st_mtime_ns == mtime


@ARCHES
def test_changes_do_what_they_do_under_qemu(build, tmp_path, arch):
    """Without --read-only the same calls change the files as under qemu-user (chown,
    utimensat, mknod and the xattr calls are real now, not silent no-ops); only a device
    node is refused (EPERM) where qemu, as root, makes one."""
    exe = build("fdio", arch)
    q, x = _tree(tmp_path / "q"), _tree(tmp_path / "x")
    rc, out, _err = run_qemu(arch, exe, ["writes", "f.txt", "dir"], cwd=q)
    res = run(exe, ["writes", "f.txt", "dir"], cwd=x, timeout=60)
    assert (res.returncode, rc) == (0, 0), res.crash
    want, got = _lines(out), _lines(res.stdout)
    assert got.pop("mknod char device") == "Operation not permitted"
    assert want.pop("mknod char device") in ("ok", "Operation not permitted")
    assert got == want
    strip = [row for row in _listing(q) if not row[0].endswith("null")]
    assert _listing(x) == strip
    # the hard link made of f.txt after utime(f.txt, {1, 1}) (then "f.txt" and "dir" were exchanged)
    assert os.stat(x / "f.txt" / "new4").st_mtime_ns == 1_000_000_000


# --- FIFOs ---------------------------------------------------------------------------------

@ARCHES
@pytest.mark.parametrize("how", ["fifo-fork", "fifo-threads", "fifo-nonblock", "fifo-alarm"])
def test_fifo_opens_as_under_qemu(build, tmp_path, arch, how):
    """A blocking open of a FIFO waits for the other end — in another process (fork) or
    another thread of the program (which runs meanwhile: the emulator does not block in the
    host's open) — and a SIGALRM ends a wait with EINTR; O_NONBLOCK readers open at once,
    O_NONBLOCK writers without a reader get ENXIO, O_RDWR never waits. Output as qemu-user's."""
    exe = build("fdio", arch)
    fifo = str(tmp_path / "fifo")
    rc, out, _err = run_qemu(arch, exe, [how, fifo], timeout=60)
    assert rc == 0 and b"is fifo: 1" in out, out
    res = run(exe, [how, fifo], timeout=60)
    assert (res.returncode, res.stdout) == (rc, out), res.crash


def _fifo_open_threads():
    import threading
    return [t for t in threading.enumerate() if t.name == "xld-fifo-open" and t.is_alive()]


@ARCHES
def test_a_lone_fifo_open_ends_at_the_time_limit(build, tmp_path, arch):
    """Nobody ever opens the other end: the time limit still ends the run (the host's open
    used to block the whole emulator, where --timeout could not reach it), in process and
    from the command line, and nothing is left waiting on the FIFO."""
    exe = build("fdio", arch)
    fifo = str(tmp_path / "fifo")
    res = run(exe, ["fifo-lone", fifo], timeout=2)
    assert (res.returncode, res.limit, res.stdout) == (137, "timeout", b"is fifo: 1\nopening\n")
    assert not _fifo_open_threads()
    with pytest.raises(OSError) as e:          # no reader left behind
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert e.value.errno == 6                  # ENXIO
    p = tc.xld_cli(["run", "--timeout", "2", exe, "fifo-lone", str(tmp_path / "fifo2")], timeout=60)
    assert p.returncode == 137 and p.stdout == "is fifo: 1\nopening\n", p.stderr


# --- the test runners' qemu ------------------------------------------------------------------

def test_a_timed_out_qemu_takes_its_children_along(build):
    """run_qemu (tests/toolchain.run_group) kills the whole process group on timeout: a
    forked guest's child — a qemu process of its own — does not outlive the test."""
    exe = build("fdio", "arm64")
    with pytest.raises(subprocess.TimeoutExpired) as e:
        run_qemu("arm64", exe, ["hang-fork", "x"], timeout=3)
    pid = int(e.value.stdout.split()[1])
    for _ in range(200):                 # reaped by init (or still a zombie a moment)
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(")")[-1].split()[0] in ("Z", "X"):
                    break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"the guest's child {pid} is still running")


# --- the guest's descriptors by name ---------------------------------------------------------

@ARCHES
@pytest.mark.parametrize("view", ["host", "root"])
def test_proc_self_fd_reaches_the_guest_s_descriptors(build, tmp_path, arch, view):
    """/proc/self/fd/N, /dev/fd/N and /dev/stdin open, stat and read the guest's own files
    (in the host's view they reached the emulator's descriptors of the same numbers; under
    --root they did not exist); a directory's link leads into it; the listing is the guest's
    table; a pipe's link reopens the pipe. As under qemu-user, but for qemu's own descriptors
    in the listing."""
    exe = build("fdio", arch)
    (tmp_path / "f.txt").write_text("hello-file\n")
    rc, out, _err = run_qemu(arch, exe, ["fdpath", "f.txt"], cwd=tmp_path, stdin=b"stdin-data\n")
    kw = dict(root=tmp_path) if view == "root" else dict(cwd=tmp_path)
    res = run(exe, ["fdpath", "f.txt"], stdin=b"stdin-data\n", timeout=60, **kw)
    assert (res.returncode, rc) == (0, 0), res.crash
    want, got = out.decode().splitlines(), res.stdout.decode().splitlines()
    assert got[-1] == "fds: 0 1 2 3 4 5 6 7"      # 7: the listing's own
    assert got[:-1] == want[:-1]
    assert "reopen fd/3: hello-file" in got and "/dev/stdin: stdin-data" in got


def test_read_only_still_opens_a_fifo_for_writing(build, tmp_path):
    """As on a read-only mount, --read-only lets a FIFO be opened for writing (nothing on the
    disk changes): the O_NONBLOCK writer gets ENXIO without a reader, then opens and writes."""
    exe = build("fdio", "arm64")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    rc, want, _err = run_qemu("arm64", exe, ["fifo-nonblock", str(fifo)], timeout=60)
    os.mkfifo(fifo)                         # (qemu's run removed it)
    res = run(exe, ["fifo-nonblock", str(fifo)], read_only=True, timeout=60)
    assert (res.returncode, res.stdout) == (rc, want), res.crash
    assert fifo.exists()                    # (its unlink was refused)


@ARCHES
def test_the_running_program_is_busy_for_writing(build, tmp_path, arch):
    """open() for writing or truncating of the program's own file — as /proc/self/exe, by its
    path, through /proc/self/fd/N of a descriptor of it — fails with ETXTBSY, as on Linux (the
    lines are what the same program built for the host prints; qemu-user instead lets the
    guest write its file, and so is no oracle here); reading it and access(W_OK) succeed."""
    exe = tmp_path / "txtbusy"
    exe.write_bytes(open(build("txtbusy", arch), "rb").read())
    exe.chmod(0o755)
    size = exe.stat().st_size
    res = run(str(exe), timeout=60)
    assert res.returncode == 0, res.crash
    busy = os.strerror(26)
    assert res.stdout.decode() == (f"exe wronly: {busy}\nexe rdwr: {busy}\nexe trunc: {busy}\n"
                                   f"argv0 wronly: {busy}\nfd wronly: {busy}\nfd rdonly: ok\n"
                                   "access W_OK: ok\n")
    assert exe.stat().st_size == size


@pytest.mark.parametrize("arch,kind", [("arm64", "gcc"), ("riscv64", "gcc"), ("arm64", "zig")])
def test_seekdir_across_names_created_after_telldir(build, tmp_path, arch, kind):
    """dirgrow.c: telldir after 13 of 40 names, 40 more created, seekdir back: the same entry
    comes next, each old name is listed once, and the new ones are listed where the host's file
    system puts them after that place (their count is the host's: qemu-user passes its
    getdents64 through). xld listed a directory once and kept the list until a rewind: the
    new names never came (0 instead of 27 on ext4)."""
    exe = build("dirgrow", arch, kind)
    q, x = tmp_path / "q", tmp_path / "x"
    q.mkdir()
    x.mkdir()
    rc, out, _err = run_qemu(arch, exe, ["d"], cwd=q)
    res = run(exe, ["d"], cwd=x, timeout=60)
    assert (res.returncode, res.stdout) == (rc, out), (res.crash, res.stderr)
    assert out.startswith(b"seekdir back to the same entry 1\nold names listed once 40 (more than once 0)")
    assert out.endswith(b"after rewinddir 80 names\n")
