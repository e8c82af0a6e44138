"""`xld run -g PORT`: a debugger session against the guest (emu/gdbstub.py), both arches.

gdb-multiarch drives it as a user would (break on a function, read and write a variable,
finish, step, continue to the exit); a small client of the remote protocol checks what a
batch gdb cannot do (Ctrl-C while the program spins)."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

from tests import toolchain as tc

HERE = os.path.dirname(__file__)
GNU = {"arm64": "aarch64-linux-gnu-gcc", "riscv64": "riscv64-linux-gnu-gcc"}


@pytest.fixture(scope="module")
def gdbme(tmp_path_factory):
    """gdbme.c built static with debug information, per arch."""
    out = tmp_path_factory.mktemp("gdbme")
    built = {}

    def get(arch):
        if arch not in built:
            cc = shutil.which(GNU[arch])
            if cc is None:
                tc.missing(f"{GNU[arch]} not installed")
            exe = out / f"gdbme-{arch}"
            p = subprocess.run([cc, "-g", "-O0", "-static", os.path.join(HERE, "progs", "gdbme.c"),
                                "-o", str(exe)], capture_output=True, text=True)
            assert p.returncode == 0, p.stderr
            built[arch] = str(exe)
        return built[arch]
    return get


def _start(exe, *args):
    """`xld run -g 0 exe args`: the process and the port it announced on stderr."""
    p = subprocess.Popen([sys.executable, "-m", "xld.emu", "-g", "0", exe, *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stderr.readline().decode()
    m = re.match(r"xld run: waiting for gdb on 127\.0\.0\.1:(\d+)$", line.strip())
    if m is None:
        p.kill()
        raise AssertionError(f"no port announced: {line!r} {p.stderr.read()!r}")
    return p, int(m.group(1))


def _gdb(port, exe, *commands):
    gdb = shutil.which("gdb-multiarch")
    if gdb is None:
        tc.missing("gdb-multiarch not installed")
    args = [gdb, "-nx", "-q", "-batch", "-ex", "set confirm off", "-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        args += ["-ex", c]
    p = subprocess.run([*args, exe], capture_output=True, text=True, timeout=120)
    return p.stdout + p.stderr


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_gdb_breaks_reads_writes_steps_and_sees_the_exit(gdbme, arch):
    exe = gdbme(arch)
    xld, port = _start(exe)
    try:
        out = _gdb(port, exe, "break compute", "continue", "print n", "set var n = 3",
                   "info threads", "next", "stepi", "finish", "print counter", "print/x $pc", "continue")
        stdout, stderr = xld.communicate(timeout=60)
    finally:
        xld.kill()
    assert re.search(r"Breakpoint 1, compute \(n=12\) at .*gdbme\.c", out), out
    assert "$1 = 12" in out, out
    assert re.search(r"\* 1 +Thread 4242 .*compute", out), out
    assert "Value returned is $2 = 14" in out, out      # 1 + 4 + 9: the write to n took
    assert "$3 = 14" in out, out
    assert "exited with code 07" in out, out             # main saw 14, not 650
    assert stdout == b"result 14\n" and xld.returncode == 7, (stdout, stderr)


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_gdb_sees_a_crash_then_its_end(gdbme, arch):
    exe = gdbme(arch)
    xld, port = _start(exe, "crash")
    try:
        out = _gdb(port, exe, "continue", "backtrace", "continue")
        xld.communicate(timeout=60)
    finally:
        xld.kill()
    assert "Program received signal SIGSEGV" in out, out
    assert re.search(r"#0 .* crash \(\) at .*gdbme\.c", out) and re.search(r"#1 .* main ", out), out
    assert "Program terminated with signal SIGSEGV" in out, out
    assert xld.returncode == 139


@pytest.mark.parametrize("arch,x,k", [("arm64", "$d0", "$d1"), ("riscv64", "$fa0", "$fa1")])
def test_gdb_floating_point_registers(gdbme, arch, x, k):
    exe = gdbme(arch)
    xld, port = _start(exe, "fp")
    try:
        out = _gdb(port, exe, "break *scale", "continue", f"print {x}", f"set var {k} = 10.0", "continue")
        stdout, _ = xld.communicate(timeout=60)
    finally:
        xld.kill()
    assert re.search(r"\$1 = (3$|\{f = 3,|\{float = 0, double = 3\})", out, re.M), out
    assert stdout == b"30.50\n", out                    # 3 * 10 + 0.5: the write took


def test_gdb_threads(build):
    """Each guest thread is a gdb thread: a breakpoint hit in a new thread switches to it, the
    others' registers come from their saved contexts (a backtrace of the waiting main thread).
    Which worker reaches adder first is the scheduler's choice (threads are preempted on a
    wall-clock tick, as by a kernel): under load the second one created (4244) sometimes did,
    so no thread id of a worker is assumed."""
    exe = build("threads", "arm64")
    xld, port = _start(exe)
    try:
        out = _gdb(port, exe, "break adder", "continue", "info threads", "continue", "thread 1", "bt",
                   "delete", "continue")
        stdout, _ = xld.communicate(timeout=60)
    finally:
        xld.kill()
    hits = re.findall(r"Thread (\d+) hit Breakpoint 1, .* in adder", out)
    assert len(hits) == 2 and hits[0] != hits[1] and "1" not in hits, out     # two workers
    current = re.search(r"\* (\d+) +Thread (\d+) .* in adder", out)          # the first one
    assert current and current.group(1) == hits[0] and current.group(2) != "4242", out
    assert re.search(r"  1 +Thread 4242 ", out), out
    assert re.search(r"#\d+ +0x[0-9a-f]+ in main \(\)", out), out
    assert "exited with code 03" in out and b"counter 40000 (expected 40000)" in stdout, out


class Rsp:
    """A minimal client of gdb's remote protocol."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""

    def send(self, data: bytes):
        self.s.sendall(b"$%s#%02x" % (data, sum(data) & 0xFF))

    def recv(self) -> bytes:
        while True:
            i = self.buf.find(b"$")
            j = self.buf.find(b"#", i)
            if i >= 0 and j >= 0 and len(self.buf) >= j + 3:
                body, self.buf = self.buf[i + 1:j], self.buf[j + 3:]
                self.s.sendall(b"+")
                return body
            chunk = self.s.recv(4096)
            assert chunk, "connection closed"
            self.buf += chunk

    def ask(self, data: bytes) -> bytes:
        self.send(data)
        return self.recv()


@pytest.mark.parametrize("arch,feature", [("arm64", b"org.gnu.gdb.aarch64.core"),
                                          ("riscv64", b"org.gnu.gdb.riscv.cpu")])
def test_gdb_ctrl_c_stops_a_spinning_program_and_kill_ends_it(gdbme, arch, feature):
    """gdb's interrupt byte stops a program that makes no system calls (on x86-64 hosts the
    runs are not counted: a thread watching the connection stops the engine, the kicker)."""
    exe = gdbme(arch)
    xld, port = _start(exe, "spin")
    try:
        c = Rsp(port)
        assert c.ask(b"?") == b"T05thread:1092;"
        assert feature in c.ask(b"qXfer:features:read:target.xml:0,fff")
        assert c.ask(b"qfThreadInfo") == b"m1092"
        c.send(b"c")
        assert xld.stdout.readline() == b"spinning\n"
        c.s.sendall(b"\x03")
        assert c.recv() == b"T02thread:1092;"
        pc = int.from_bytes(bytes.fromhex(c.ask(b"p20").decode()), "little")
        assert c.ask(b"m%x,4" % pc) != b"E14"
        counter = int.from_bytes(bytes.fromhex(c.ask(b"p0").decode()), "little")
        c.send(b"k")
        assert xld.wait(timeout=30) == 137
    finally:
        xld.kill()
    assert pc >= 0x10000 and counter >= 0           # (riscv64 links at 0x10000)


def test_gdb_port_errors(gdbme, capsys):
    from xld.emu.cli import main
    exe = gdbme("arm64")
    assert main(["-g", "http", exe]) == 1
    assert "xld: error: -g http: expected a TCP port number" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["-g", str(port), exe]) == 1
        err = capsys.readouterr().err
    assert err.startswith(f"xld: error: -g {port}: cannot listen for gdb") and err.count("\n") == 1


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_lldb_breaks_reads_and_sees_the_exit(gdbme, arch):
    """lldb's gdb-remote, both arches. lldb 14 has no riscv64 ABI plugin: it learns which
    register is the PC, the stack pointer, ... and their DWARF numbers from the target
    description's lldb attributes (gdbstub.GENERIC, DWARF); against qemu-riscv64 -g, whose
    description has none, it takes x0 for the PC and cannot make a frame."""
    lldb = shutil.which("lldb-14") or shutil.which("lldb")
    if lldb is None:
        tc.missing("lldb-14 not installed")
    exe = gdbme(arch)
    xld, port = _start(exe)
    try:
        p = subprocess.run([lldb, "--batch", "-o", f"gdb-remote 127.0.0.1:{port}", "-o", "breakpoint set -n compute",
                            "-o", "continue", "-o", "frame variable n", "-o", "bt", "-o", "expression n = 3",
                            "-o", "continue", exe], capture_output=True, text=True, timeout=120)
        stdout, _ = xld.communicate(timeout=60)
    finally:
        xld.kill()
    out = p.stdout + p.stderr
    assert "stop reason = breakpoint 1.1" in out and "(int) n = 12" in out, out
    assert re.search(r"frame #1: 0x[0-9a-f]+ \S+`main\(argc=1", out), out
    assert "Process 4242 exited with status = 7" in out, out
    assert stdout == b"result 14\n"


def test_gdb_dynamic_pie_and_its_libraries(tmp_path):
    """A dynamically linked PIE: gdb finds its load address (the auxiliary vector) and, through
    ld.so's list, libc.so.6 from the sysroot."""
    cc = shutil.which(GNU["arm64"])
    if cc is None:
        tc.missing(f"{GNU['arm64']} not installed")
    exe = str(tmp_path / "gdbme-dyn")
    subprocess.run([cc, "-g", "-O0", os.path.join(HERE, "progs", "gdbme.c"), "-o", exe], check=True)
    xld, port = _start(exe)
    try:
        out = _gdb(port, exe, "set sysroot /usr/aarch64-linux-gnu", "break compute", "continue", "print n",
                   "info sharedlibrary", "continue")
        stdout, _ = xld.communicate(timeout=60)
    finally:
        xld.kill()
    assert re.search(r"Breakpoint 1, compute \(n=12\)", out) and "$1 = 12" in out, out
    assert re.search(r"0x[0-9a-f]+ +0x[0-9a-f]+ +Yes.*/libc\.so\.6", out), out
    assert "exited normally" in out and stdout == b"result 650\n", out


def test_the_time_limit_ends_a_wait_for_gdb(gdbme):
    """No debugger comes: the time limit still ends the run."""
    from xld.emu import run
    res = run(gdbme("riscv64"), ["spin"], gdb=0, timeout=0.5)
    assert res.limit == "timeout" and res.returncode == 137 and res.stdout == b""


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_gdb_breakpoint_in_a_signal_handler_stops_once_per_call(tmp_path, arch):
    """A breakpoint in visit(), which main and a SIGALRM handler both call (progs/sigbreak.c,
    oneshot: 40 rounds of a 200 us one-shot timer, main's call, the handler's call): gdb counts
    the hits of each caller silently and continues; each call stops once. The timer nearly always
    expires while gdb has main stopped at the breakpoint (a stop and its resume are a dozen
    round trips); earlier or later, the count is the same.
    Before: a signal taken in the same stop as a breakpoint left the breakpoint marked hit and
    nothing stopped the program again (arm64: 0 handler, 0 main hits of 30 and 30); and a
    signal delivered before the instruction gdb steps over at the breakpoint ran the handler
    past the breakpoint gdb had taken out, whose return stopped at main's breakpoint a second
    time (riscv64, where gdb steps with a breakpoint of its own: 0 handler, 60 main).
    The oracles count more hits than calls: for 50 rounds (100 calls), 150 under qemu-aarch64
    -g (every main call twice), 128 natively on x86-64 Linux with gdb (gdb's step over a
    breakpoint that a signal interrupts): xld runs the resumed instruction before any signal
    (the signal comes one instruction later), so no call is reported twice."""
    cc = shutil.which(GNU[arch])
    if cc is None:
        tc.missing(f"{GNU[arch]} not installed")
    gdb = shutil.which("gdb-multiarch")
    if gdb is None:
        tc.missing("gdb-multiarch not installed")
    exe = str(tmp_path / f"sigbreak-{arch}")
    subprocess.run([cc, "-g", "-O0", "-static", os.path.join(HERE, "progs", "sigbreak.c"), "-o", exe],
                   check=True)
    script = tmp_path / "count.gdb"
    script.write_text("set $handler = 0\nset $main = 0\nbreak visit\ncommands\nsilent\n"
                      "if c == &count\nset $handler = $handler + 1\nelse\nset $main = $main + 1\nend\n"
                      "continue\nend\ncontinue\nprintf \"hits: handler %d main %d\\n\", $handler, $main\n")
    xld, port = _start(exe, "oneshot", "40", "200")
    try:
        p = subprocess.run([gdb, "-nx", "-q", "-batch", "-ex", "set confirm off",
                            "-ex", f"target remote 127.0.0.1:{port}", "-x", str(script), exe],
                           capture_output=True, text=True, timeout=120)
        stdout, _ = xld.communicate(timeout=60)
    finally:
        xld.kill()
    out = p.stdout + p.stderr
    assert stdout == b"count 40 spins 40\n" and xld.returncode == 0, (stdout, out)
    assert "hits: handler 40 main 40\n" in out, out
