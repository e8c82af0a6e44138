"""The guest sees --root as "/": absolute paths, "..", and symbolic links cannot reach host
files outside it, writes land inside it, and /tmp is private to the run."""

import os

import pytest

from xld.emu import run
from xld.emu.fs import GuestOSError, Sandbox


LOOP = {"glibc": "Too many levels of symbolic links", "musl": "Symbolic link loop"}


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "root"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "inside.txt").write_text("INSIDE")
    (tmp_path / "outside.txt").write_text("SECRET")
    os.symlink("/etc/passwd", root / "abs_link")
    os.symlink("../outside.txt", root / "rel_link")
    os.symlink("../../../../outside.txt", root / "sub" / "deeper" / "deep_link")
    os.symlink("/", root / "root_link")
    os.symlink(str(tmp_path), root / "host_abs_dir")
    os.symlink("loop", root / "loop")
    return tmp_path, root


@pytest.mark.parametrize("arch,tc", [("arm64", "gcc"), ("riscv64", "zig")])
def test_escapes_are_refused(build, tree, arch, tc):
    tmp, root = tree
    exe = build("escape", arch, tc)
    paths = ["/etc/passwd", "/etc/hostname", "../outside.txt", "/../../outside.txt",
             "sub/deeper/../../../outside.txt", "abs_link", "rel_link", "sub/deeper/deep_link",
             "root_link/inside.txt", "host_abs_dir/outside.txt", "/proc/self/../../outside.txt",
             "loop", "/inside.txt", "sub/../inside.txt"]
    res = run(exe, paths, root=root, timeout=60)
    assert res.ok, res.crash
    out = res.stdout.decode()
    assert "SECRET" not in out
    assert "root:" not in out
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    for p in paths[:-3]:
        if p == "root_link/inside.txt":
            continue
        assert lines[p] in ("No such file or directory", LOOP["glibc"], LOOP["musl"]), (p, lines[p])
    assert lines["loop"] in LOOP.values()  # ELOOP
    assert lines["/inside.txt"].endswith("INSIDE") and lines["sub/../inside.txt"].endswith("INSIDE")
    assert lines["root_link/inside.txt"].endswith("INSIDE")  # "/" is the root
    # the write through "/../../.." landed in the root, the host directory above is untouched
    assert (root / "escaped_write.txt").exists()
    assert not (tmp / "escaped_write.txt").exists()
    assert "cwd /\n" in out  # chdir("../../..") from / stays at /
    # /tmp is private to the run: nothing in the root, nothing left behind
    assert "tmp ok" in out
    assert not (root / "tmp").exists()


def test_symlink_to_root_resolves_inside(tree):
    tmp, root = tree
    sb = Sandbox(str(root), "/x", "/x")
    try:
        host, guest = sb.resolve("root_link/inside.txt")
        assert host == str(root / "inside.txt") and guest == "/inside.txt"
        with pytest.raises(GuestOSError):  # the link's host target is read as a guest path
            sb.resolve("/host_abs_dir/outside.txt")
        with pytest.raises(GuestOSError):
            sb.resolve("inside.txt/x")
        with pytest.raises(GuestOSError):
            sb.resolve("loop")
    finally:
        sb.cleanup()    # the walk of the host path (under /tmp) made the private /tmp


def test_private_tmp_is_removed(tree):
    tmp, root = tree
    sb = Sandbox(str(root), "/x", "/x")
    host, guest = sb.resolve("/tmp/../tmp/file")
    assert guest == "/tmp/file" and not host.startswith(str(root))
    d = sb.tmp_dir()
    assert os.path.isdir(d)
    sb.cleanup()
    assert not os.path.exists(d)
