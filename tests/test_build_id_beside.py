"""--build-id's digest of a large output is made by a thread while the output is written
(link/write.py ``DigestBeside``): the file is byte for byte the one the digest made first
gives, its note holds the digest of the file with the note zero, the thread
really made it, a digest that fails is an error that leaves no output, and where no thread
can be started the link makes the digest itself.

The links run in a Python process of their own (``XLD_SERVER=0``), with
``write.DIGEST_BESIDE_MIN`` set to a size no output reaches ("first") or left as it is
("beside"), and ``DigestBeside`` wrapped to log that it ran (or to fail)."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

import toolchain as tc

BIG_C = r"""
/* 6 MiB of initialized data: an output past DIGEST_BESIDE_MIN */
char big[6 << 20] = {1, 2, 3};
int start(void) { return big[0] + big[(6 << 20) - 1]; }
"""

SPY = r"""
import sys
from xld.link import cli, write
log, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
if mode == "first":
    write.DIGEST_BESIDE_MIN = 1 << 62
real = write.DigestBeside._run

def run(self, h):
    with open(log, "a") as f:
        f.write("beside\n")
    if mode == "fail":
        h = None                    # (calling None fails in the thread)
    real(self, h)

write.DigestBeside._run = run
if mode == "nothread":
    import _thread

    def refuse(*a):
        raise RuntimeError("can't start new thread")
    _thread.start_new_thread = refuse
sys.exit(cli.main(args))
"""


@pytest.fixture(scope="module", params=tc.ARCHES)
def big(request, tmp_path_factory):
    d = tmp_path_factory.mktemp(f"build-id-{request.param}")
    return request.param, tc.compile_c(request.param, BIG_C, d, ("-O2",))


def _link(tmp_path, arch, obj, mode: str, style: str = "sha1"):
    out = tmp_path / f"out-{mode}-{style}"
    log = tmp_path / f"log-{mode}-{style}"
    args = ["--arch", arch, "-static", "-e", "start", f"--build-id={style}", "-o", str(out), str(obj)]
    p = subprocess.run([sys.executable, "-c", SPY, str(log), mode, *args], capture_output=True, text=True,
                       env=dict(os.environ, XLD_SERVER="0"), timeout=120)
    return p, out, (log.read_text().split() if log.exists() else [])


def _note(data: bytes) -> tuple[int, int]:
    """(offset, size) of the .note.gnu.build-id section in an ELF file's bytes."""
    from io import BytesIO

    from elftools.elf.elffile import ELFFile
    sec = ELFFile(BytesIO(data)).get_section_by_name(".note.gnu.build-id")
    return sec["sh_offset"], sec["sh_size"]


@pytest.mark.parametrize("style", ["sha1", "md5"])
def test_the_digest_made_beside_gives_the_same_bytes(big, tmp_path, style):
    arch, obj = big
    p1, first, log1 = _link(tmp_path, arch, obj, "first", style)
    p2, beside, log2 = _link(tmp_path, arch, obj, "beside", style)
    assert p1.returncode == 0 and p2.returncode == 0, p1.stderr + p2.stderr
    assert log1 == [] and log2 == ["beside"]              # the thread made the second one's
    a, b = first.read_bytes(), beside.read_bytes()
    assert len(a) > 6 << 20 and a == b
    at, size = _note(b)                                 # (the digest's: the whole note zero)
    zeroed = b[:at] + bytes(size) + b[at + size:]
    h = hashlib.md5 if style == "md5" else hashlib.sha1
    assert b[at + 16:at + size] == h(zeroed).digest()[:size - 16] != bytes(size - 16)


def test_a_digest_that_fails_leaves_no_output(big, tmp_path):
    arch, obj = big
    p, out, log = _link(tmp_path, arch, obj, "fail")
    assert log == ["beside"]
    assert p.returncode == 1 and p.stderr.startswith("xld: error: --build-id: the digest failed")
    assert "Traceback" not in p.stderr
    assert not out.exists() and not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_no_thread_to_be_had_makes_the_digest_in_the_link(big, tmp_path):
    arch, obj = big
    p1, first, _ = _link(tmp_path, arch, obj, "first")
    p2, alone, log = _link(tmp_path, arch, obj, "nothread")
    assert p1.returncode == 0 and p2.returncode == 0, p1.stderr + p2.stderr
    assert log == ["beside"] and first.read_bytes() == alone.read_bytes()
