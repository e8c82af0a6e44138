"""Malformed executables under `xld run`: a seeded mutation of real programs (the ELF header,
the program headers, bytes anywhere, truncation), each run in the sandbox in a forked child
under an alarm. Every mutant must end as a clean `RunError` (what the CLI prints as one
`xld: error:` line) or as a program result (an exit status or a signal, with a report) —
never another exception, never a hang past the time limit.

    XLD_EMU_FUZZ_COUNT=2000 XLD_EMU_FUZZ_SEED=3 python -m pytest tests/emu/test_emu_fuzz.py
"""

import os
import random
import signal
import struct
import traceback

import pytest

from xld.emu import RunError, run

COUNT = int(os.environ.get("XLD_EMU_FUZZ_COUNT", "30"))
SEED = int(os.environ.get("XLD_EMU_FUZZ_SEED", "1"))
INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 32,
               1 << 40, 1 << 47, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, (1 << 64) - 0x1000, 0x1000]


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    phoff, = struct.unpack_from("<Q", b, 32)
    phnum, = struct.unpack_from("<H", b, 56)
    for _ in range(rng.randint(1, 3)):
        what = rng.random()
        if what < 0.45 and phnum:                       # a program header field
            i = rng.randrange(phnum)
            field, fmt = rng.choice([(0, "<I"), (4, "<I"), (8, "<Q"), (16, "<Q"), (32, "<Q"),
                                     (40, "<Q"), (48, "<Q")])
            v = rng.choice(INTERESTING) & (0xFFFFFFFF if fmt == "<I" else (1 << 64) - 1)
            if rng.random() < 0.3:
                v = (struct.unpack_from(fmt, b, phoff + 56 * i + field)[0] + rng.choice([-1, 1, 0x1000])) \
                    & (0xFFFFFFFF if fmt == "<I" else (1 << 64) - 1)
            if phoff + 56 * i + field + struct.calcsize(fmt) <= len(b):
                struct.pack_into(fmt, b, phoff + 56 * i + field, v)
        elif what < 0.65:                               # an ELF header field
            field, fmt = rng.choice([(16, "<H"), (24, "<Q"), (32, "<Q"), (54, "<H"), (56, "<H")])
            v = rng.choice(INTERESTING) & ((1 << (8 * struct.calcsize(fmt))) - 1)
            struct.pack_into(fmt, b, field, v)
        elif what < 0.9:                                # bytes anywhere (code, data)
            for _ in range(rng.randint(1, 16)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        else:                                           # truncation
            del b[rng.randrange(len(b)):]
    return bytes(b)


def _verdict(path, root) -> str | None:
    """None if the run ended cleanly, else what went wrong (in a forked child)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                        # the child
        os.close(r)
        msg = b""
        try:
            signal.alarm(60)
            try:
                run(path, ["a"], root=root, timeout=5, max_memory=512 << 20)
            except RunError:
                pass
        except BaseException:
            msg = traceback.format_exc().encode()
        os.write(w, msg[-4000:])
        os._exit(0)
    os.close(w)
    out = b""
    while chunk := os.read(r, 4096):
        out += chunk
    os.close(r)
    _pid, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"child killed by signal {os.WTERMSIG(status)} (a hang past the time limit?)"
    return out.decode(errors="replace") or None


@pytest.mark.parametrize("arch,tc", [("riscv64", "gcc"), ("arm64", "dyn")])
def test_malformed_executables_end_cleanly(build, tmp_path, arch, tc):
    data = open(build("hello", arch, tc), "rb").read()
    rng = random.Random(f"{SEED}-{arch}-{tc}")
    root = tmp_path / "root"
    root.mkdir()
    bad = []
    for k in range(COUNT):
        path = tmp_path / f"m{k}"
        path.write_bytes(mutate(data, rng))
        path.chmod(0o755)
        why = _verdict(str(path), str(root))
        if why:
            bad.append(f"mutant {k} (seed {SEED}): {why}")
    assert not bad, "\n".join(bad[:5])


def test_entry_points_outside_the_address_space(build, tmp_path):
    """Found by this fuzzer: an e_entry near 2^64 overflowed the auxv word (AT_ENTRY) of a
    dynamic program (an internal error); as the kernel does, AT_ENTRY is an unsigned long,
    and an entry point outside user space refuses the program (execve's EINVAL)."""
    for tc, entry in (("dyn", (1 << 64) - 0x10), ("gcc", 1 << 63)):
        data = bytearray(open(build("hello", "arm64", tc), "rb").read())
        struct.pack_into("<Q", data, 24, entry)
        path = tmp_path / f"bad-{tc}"
        path.write_bytes(bytes(data))
        if tc == "dyn":        # ld.so starts, then jumps to the program's (wrapped) entry
            res = run(str(path), root=str(tmp_path), timeout=30)
            assert res.signal == 11, res
        else:
            with pytest.raises(RunError, match="entry point 0x8000000000000000 lies outside"):
                run(str(path), root=str(tmp_path), timeout=30)


@pytest.mark.parametrize("memsz", [(1 << 64) - 1, (1 << 64) - 0x800])
def test_a_segment_ending_in_the_last_page_is_refused(build, tmp_path, memsz):
    """Found by this fuzzer (seed 5, arm64 dyn mutant 172): a PT_LOAD whose end lies in the last
    page of the address space rounded up to 0, so its span was 0 and passed the memory limit;
    the loader then wrote its file bytes to an unmapped page (an internal error).  It is a
    corrupt file, refused before anything is mapped."""
    data = bytearray(open(build("hello", "arm64", "dyn"), "rb").read())
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    first_load = next(i for i in range(phnum) if struct.unpack_from("<I", data, phoff + 56 * i)[0] == 1)
    struct.pack_into("<Q", data, phoff + 56 * first_load + 40, memsz)     # p_memsz
    path = tmp_path / "bad"
    path.write_bytes(bytes(data))
    with pytest.raises(RunError, match="bad sizes"):
        run(str(path), root=str(tmp_path), timeout=30)
