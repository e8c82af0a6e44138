"""``xld run -g PORT``: a GDB remote-protocol server for the guest, as qemu-user's ``-g``.

The guest stops before its first instruction and waits for a debugger (``gdb-multiarch``,
``lldb``) to connect; the debugger then sets breakpoints, steps, reads and writes registers
and memory, continues, and sees the program exit (``W`` / ``X`` replies) or crash (a stop with
the signal, while the state can still be looked at, then ``X``).

Why a server of our own rather than the ``udbserver`` package (which targets Unicorn),
measured on Unicorn 2.1.4 with udbserver 0.3.0 (the note in docs/run.md has the numbers):
udbserver keeps an empty code hook on every instruction and an empty read hook on every load
for the whole run, so fib(30) takes 3.15 s under it against 0.07 s without (45x); gdb's
``kill`` only prints a line on the guest's stdout and lets the program run on; the program's
exit is never reported to gdb; and it keeps one engine per host process (a second run in
the same process gets no server). This server costs nothing when it is not asked for and,
while a debugger is attached, runs the guest so that a Ctrl-C in gdb can stop it at an exact
instruction boundary: with the kicker (threads.py, x86-64 hosts) a host thread watches the
connection and asks for a stop at the next block (breakpoints set or not; a single step holds
those stops until its instruction has run); elsewhere, in counted slices (Unicorn's
instruction count, about 2.5x slower).

How it fits the run loop (runner.py): every stop for the debugger happens between two
``emu_start`` calls, never inside a hook, so hooks can be added and the translation cache
flushed safely.

- A breakpoint (``Z0``/``Z1``) is a Unicorn code hook on its one address. The hook stops the
  engine before the instruction runs (a stop requested from a code hook is exact). Resuming
  at a breakpoint's address skips that breakpoint once, for the thread that resumes there.
- A single step (``s``, ``vCont;s``) is an ``emu_start`` with an instruction count of 1.
- At every stop of the engine the connection is polled for gdb's interrupt byte (0x03): the
  guest stops with SIGINT, as under qemu. A watcher thread stops the engine when gdb sends
  something (the kicker), or the runs are counted slices (no kicker: not an x86-64 host).
- Threads: each guest thread is a gdb thread (its id is the guest's tid). ``g``/``p`` read the
  registers of the thread selected with ``Hg`` (a thread that is not running has them in its
  saved context). Stepping and continuing run the scheduler's current thread: when it
  switches, gdb is told in which thread the stop happened.

The register sets are gdb's own target descriptions: ``org.gnu.gdb.aarch64.core`` (x0-x30,
sp, pc, cpsr) and ``.fpu`` (v0-v31, fpsr, fpcr); ``org.gnu.gdb.riscv.cpu`` (x0-x31 by their ABI
names, pc) and ``.fpu`` (f0-f31, fflags, frm, fcsr: gdb will not debug an lp64d program
without them).
"""

from __future__ import annotations

import select
import socket
import struct

from . import ucconst as K

SIGINT, SIGTRAP = 2, 5

# The registers gdb numbers, in order: (name, Unicorn id, bytes, gdb type or "").
_A64 = [(f"x{i}", K.UC_ARM64_REG_X0 + i, 8, "") for i in range(29)] + [
    ("x29", K.UC_ARM64_REG_X29, 8, ""), ("x30", K.UC_ARM64_REG_X30, 8, ""),
    ("sp", K.UC_ARM64_REG_SP, 8, "data_ptr"), ("pc", K.UC_ARM64_REG_PC, 8, "code_ptr"),
    ("cpsr", K.UC_ARM64_REG_NZCV, 4, "")]
_A64_FPU = [(f"v{i}", K.UC_ARM64_REG_Q0 + i, 16, "aarch64v") for i in range(32)] + [
    ("fpsr", K.UC_ARM64_REG_FPSR, 4, ""), ("fpcr", K.UC_ARM64_REG_FPCR, 4, "")]
# the vector type of gdb's own aarch64-fpu.xml, in short: the views gdb prints of a V register
_A64_VTYPES = """<vector id="v2d" type="ieee_double" count="2"/>
<vector id="v2u" type="uint64" count="2"/>
<vector id="v4f" type="ieee_single" count="4"/>
<vector id="v4u" type="uint32" count="4"/>
<vector id="v8u" type="uint16" count="8"/>
<vector id="v16u" type="uint8" count="16"/>
<union id="aarch64v"><field name="d" type="v2d"/><field name="s" type="v4f"/><field name="ud" type="v2u"/>
<field name="us" type="v4u"/><field name="h" type="v8u"/><field name="b" type="v16u"/><field name="q" type="uint128"/></union>"""
_RV_NAMES = ("zero ra sp gp tp t0 t1 t2 fp s1 a0 a1 a2 a3 a4 a5 a6 a7 s2 s3 s4 s5 s6 s7 s8 s9 "
             "s10 s11 t3 t4 t5 t6").split()
_RV = [(n, K.UC_RISCV_REG_X0 + i, 8, "data_ptr" if n == "sp" else "") for i, n in enumerate(_RV_NAMES)] + [
    ("pc", K.UC_RISCV_REG_PC, 8, "code_ptr")]
# gdb will not talk to a riscv64 target without the FPU of the lp64d ABI the program uses
_RV_FPU = [(f"f{i}", K.UC_RISCV_REG_F0 + i, 8, "ieee_double") for i in range(32)] + [
    ("fflags", K.UC_RISCV_REG_FFLAGS, 4, ""), ("frm", K.UC_RISCV_REG_FRM, 4, ""),
    ("fcsr", K.UC_RISCV_REG_FCSR, 4, "")]

# arch name -> (gdb architecture, [(feature name, registers)])
TARGETS = {
    "arm64": ("aarch64", [("org.gnu.gdb.aarch64.core", _A64), ("org.gnu.gdb.aarch64.fpu", _A64_FPU)]),
    "riscv64": ("riscv:rv64", [("org.gnu.gdb.riscv.cpu", _RV), ("org.gnu.gdb.riscv.fpu", _RV_FPU)]),
}


# lldb's "generic" register roles (gdb ignores the attribute). lldb 14 has no riscv64 ABI
# plugin to say which register is the PC, the stack pointer, ...: without these it took x0
# (zero) for the PC and could not make a frame, against qemu-riscv64 -g as well.
GENERIC = {"riscv64": {"pc": "pc", "sp": "sp", "fp": "fp", "ra": "ra",
                       **{f"a{i}": f"arg{i + 1}" for i in range(8)}}}


# ... nor the DWARF numbers of the registers (x0-x31: 0-31, f0-f31: 32-63), which lldb needs
# to find a variable on the stack
DWARF = {"riscv64": {**{n: i for i, n in enumerate(_RV_NAMES)}, **{f"f{i}": 32 + i for i in range(32)}}}


def registers(arch_name: str) -> list:
    """The registers in gdb's numbering: (name, Unicorn id, bytes, type)."""
    return [r for _feature, regs in TARGETS[arch_name][1] for r in regs]


def target_xml(arch_name: str) -> str:
    gdb_arch, features = TARGETS[arch_name]
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
             '<target version="1.0">', f"<architecture>{gdb_arch}</architecture>",
             "<osabi>GNU/Linux</osabi>"]
    i = 0
    for feature, regs in features:
        lines.append(f'<feature name="{feature}">')
        if feature == "org.gnu.gdb.aarch64.fpu":
            lines.append(_A64_VTYPES)
        for name, _rid, size, typ in regs:
            t = f' type="{typ}"' if typ else (' type="int"' if size == 8 else "")
            g = GENERIC.get(arch_name, {}).get(name)
            t += f' generic="{g}"' if g else ""
            d = DWARF.get(arch_name, {}).get(name)
            t += f' dwarf_regnum="{d}" ehframe_regnum="{d}"' if d is not None else ""
            lines.append(f'<reg name="{name}" bitsize="{size * 8}" regnum="{i}"{t}/>')
            i += 1
        lines.append("</feature>")
    lines.append("</target>")
    return "\n".join(lines) + "\n"


class Disconnected(Exception):
    pass


class GdbServer:
    """One debugger connection for one Process (created by ``run(..., gdb=PORT)``)."""

    def __init__(self, proc, port: int, host: str = "127.0.0.1", announce=None):
        self.proc = proc
        self.regs = registers(proc.arch.name)
        self.xml = target_xml(proc.arch.name).encode()
        try:
            self.listener = socket.create_server((host, port))
        except OSError as e:
            raise OSError(f"-g {port}: cannot listen for gdb: {e.strerror}") from None
        self.port = self.listener.getsockname()[1]
        if announce:
            announce(self.port)
        self.conn: socket.socket | None = None
        self.buf = b""
        self.ack = True
        self.attached = False
        self.breakpoints: dict[int, int] = {}   # address -> hook handle
        self.stepping = False
        self.hit: int | None = None             # breakpoint address the engine stopped at
        self.skip: tuple[int, int] | None = None   # (tid, pc): this thread resumes here
                                                # without stopping at its breakpoint
        self.hold = False                       # the next run is the resumed instruction alone:
                                                # no asynchronous signal is delivered before it
        self.interrupted = False
        self.g_tid = 0                          # thread selected for register access (0: current)
        self.auxv = b""
        self._cb = None
        self._pending_stop = ""
        self.serving = False                    # answering packets (the engine is stopped)
        self._watcher = None                    # host pid whose watcher thread runs

    # --- the life of a session ---------------------------------------------------------------
    def attach(self, entry: int) -> int:
        """Before the first instruction: wait for gdb, serve it until it resumes; the PC to
        start at (gdb may have changed it)."""
        eng, arch = self.proc.eng, self.proc.arch
        eng.reg_write(arch.pc, entry)
        self.auxv = self._read_auxv(eng.reg_read(arch.sp))
        self.listener.settimeout(0.25)
        while self.conn is None:     # until gdb comes, or the run is over (--timeout, Ctrl-C)
            if self.proc.stop_event.is_set():
                self.close()
                return entry
            try:
                self.conn, _ = self.listener.accept()
            except socket.timeout:
                pass
        self.conn.settimeout(None)
        self.listener.close()
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.attached = True
        from . import uc as U
        self._cb = U.CODE_CB(self._on_breakpoint)
        self._serve(None)
        return eng.reg_read(arch.pc)

    def run_count(self) -> int | None:
        """The instruction count the next emu_start must use while a debugger is attached (1
        for a step), or None: not attached, the run loop decides."""
        if not self.attached:
            return None
        return 1 if self.stepping or self.hold else 0

    def holding(self) -> bool:
        """Just resumed by the debugger: the resumed instruction runs (alone) before any
        asynchronous signal is delivered (``hold``)."""
        return self.attached and self.hold

    def ran(self, err: int) -> None:
        """The run after a resume is over (the resumed instruction has run): signals may
        come now, but not before a breakpoint where that run ended is seen. gdb steps over a
        breakpoint on riscv64 with a breakpoint of its own on the next instruction and a
        continue: the handler of a signal delivered there would call past the breakpoint
        gdb has not put back yet."""
        if not self.hold:
            return
        self.hold = False
        pc = self.proc.eng.reg_read(self.proc.arch.pc)
        if (err == 0 and self.attached and not self.stepping and self.hit is None
                and pc in self.breakpoints):
            self.hit = pc

    def wants_stop(self) -> bool:
        """After a run: does the debugger have a stop to see (a breakpoint, the end of a
        step, an interrupt already read)? Then it is served before any signal is delivered."""
        return self.attached and (self.hit is not None or self.stepping or self.interrupted)

    def stopped(self) -> bool:
        """The engine stopped normally between instructions: a breakpoint, the end of a
        step, or gdb's Ctrl-C? Then serve the debugger until it resumes (or kills) and say
        True; False for stops that are not the debugger's (time slices)."""
        if not self.attached:
            return False
        if self.hit is not None:
            reply = self._stop_reply(SIGTRAP, "swbreak:;")
        elif self.stepping:
            reply = self._stop_reply(SIGTRAP)
        elif self.interrupted or self._poll_interrupt():
            reply = self._stop_reply(SIGINT)
        else:
            return False
        self._serve(reply)
        return True

    def finish(self, stop) -> None:
        """The process ended (``stop`` is the runner's Stop): tell gdb. A crash is first
        reported as a stop with its signal, so the faulting state can be inspected."""
        if not self.attached:
            self.close()
            return
        try:
            if stop.signal is not None and stop.report and stop.limit is None:
                self._serve(self._stop_reply(stop.signal), final=True)
            if self.attached:
                if stop.signal is not None:
                    self._send(f"X{stop.signal:02x}")
                else:
                    self._send(f"W{(stop.status or 0) & 0xFF:02x}")
        except (Disconnected, OSError):
            pass
        self.close()

    def close(self) -> None:
        self.attached = False
        for sock in (self.conn, self.listener):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        self.conn = None

    # --- the engine side ---------------------------------------------------------------------
    def _on_breakpoint(self, _uc, address, _size, _user):
        if self.skip is not None and self.skip == (self.proc.cur_tid, address):
            self.skip = None
            return
        if address in self.breakpoints and self.hit is None:
            self.hit = address
            self.proc.eng.emu_stop()

    def _poll_interrupt(self) -> bool:
        try:
            poller = select.poll()          # (not select(): descriptors past 1023)
            poller.register(self.conn, select.POLLIN)
            if not poller.poll(0):
                return False
            data = self.conn.recv(4096)
        except OSError:
            data = b""
        if not data:                     # gdb went away: the program runs on without it
            self._detach()
            return False
        self.buf += data
        if b"\x03" in self.buf:
            self.buf = self.buf.replace(b"\x03", b"")
            self.interrupted = True
            return True
        return False

    def _resume(self, step: bool) -> None:
        pc = self.proc.eng.reg_read(self.proc.arch.pc)
        # the skip is the resuming thread's: a stop on request (a time slice) may switch
        # threads before this one runs its instruction, and another thread reaching the same
        # breakpoint first must stop there, while this one must still pass it when it runs
        self.skip = (self.proc.cur_tid, pc) if pc in self.breakpoints else None
        if self.proc.kicker is not None:
            self.proc.kicker.clear()       # kicks that came while gdb had the program stopped
        self.stepping = step
        # a signal delivered before the resumed instruction would run a handler before it:
        # a call of the handler would pass a breakpoint unseen (gdb removes the one it steps
        # over, or the skip above takes it), and the interrupted instruction, back from the
        # handler, would stop at the same breakpoint a second time
        self.hold = True
        self.hit = None
        self.interrupted = False

    def _detach(self) -> None:
        eng = self.proc.eng
        for hh in self.breakpoints.values():
            eng.hook_del(hh)
        if self.breakpoints:
            eng.flush_tb()
        self.breakpoints.clear()
        self.stepping = False
        self.hit = None
        self.close()

    def _kill(self) -> None:
        self.proc.terminate(signal=9, reason="killed by the debugger", report=False)
        self.close()

    # --- the protocol ------------------------------------------------------------------------
    def _stop_reply(self, sig: int, extra: str = "") -> str:
        self.g_tid = 0          # as gdbserver: after a stop, registers are the stopped thread's
        return f"T{sig:02x}thread:{self.proc.cur_tid:x};{extra}"

    def _send(self, data: str | bytes) -> None:
        if isinstance(data, str):
            data = data.encode("latin-1")
        pkt = b"$" + data + b"#" + b"%02x" % (sum(data) & 0xFF)
        self.conn.sendall(pkt)
        if self.ack:
            self._recv_ack()

    def _recv_ack(self) -> None:
        while True:
            while self.buf[:1] in (b"\x03",):
                self.buf = self.buf[1:]
            if self.buf:
                c, self.buf = self.buf[:1], self.buf[1:]
                if c == b"+":
                    return
                if c == b"-":
                    continue                 # a resend request: ours are rarely lost on TCP
                self.buf = c + self.buf      # a packet already: gdb acked implicitly
                return
            self._fill()

    def _fill(self) -> None:
        data = self.conn.recv(65536)
        if not data:
            raise Disconnected()
        self.buf += data

    def _recv(self) -> bytes:
        while True:
            i = self.buf.find(b"$")
            if i >= 0:
                if b"\x03" in self.buf[:i]:
                    self.interrupted = True
                j = self.buf.find(b"#", i)
                if j >= 0 and len(self.buf) >= j + 3:
                    body = self.buf[i + 1:j]
                    self.buf = self.buf[j + 3:]
                    if self.ack:
                        self.conn.sendall(b"+")
                    return _unescape(body)
            self._fill()

    def _serve(self, reply: str | None, final: bool = False) -> None:
        """Send ``reply`` (a stop), then answer packets until gdb resumes, detaches or kills."""
        self.serving = True
        try:
            if reply is not None:
                self._send(reply)
            self._pending_stop = reply or self._stop_reply(SIGTRAP)
            while True:
                pkt = self._recv().decode("latin-1")
                out = self._handle(pkt, final)
                if out is _RESUMED:
                    return
                if out is not None:
                    self._send(out)
        except (Disconnected, OSError):
            self._detach()
        finally:
            self.serving = False

    def watch(self, kick) -> None:
        """Runs are not counted (the kicker, threads.py): a host thread watches the
        connection while the guest runs and, when gdb sends something (its Ctrl-C), calls
        ``kick`` — an exact stop at the next block — so the run loop reads it (``stopped``)."""
        import os
        import threading
        import time
        me = os.getpid()
        if self._watcher == me:
            return
        self._watcher = me
        stop_event = self.proc.stop_event

        def watch():
            poller = select.poll()
            conn = self.conn
            poller.register(conn, select.POLLIN)
            while self.attached and self.conn is conn and os.getpid() == me \
                    and not stop_event.is_set():
                if self.serving or not poller.poll(100):
                    time.sleep(0.01) if self.serving else None
                    continue
                if not self.serving:
                    kick()
                time.sleep(0.01)       # the run loop reads it at the stop

        threading.Thread(target=watch, daemon=True, name="xld-run-gdb-watch").start()

    def _handle(self, pkt: str, final: bool):
        proc, eng = self.proc, self.proc.eng
        cmd = pkt[:1]
        if pkt.startswith("qSupported"):
            return ("PacketSize=20000;qXfer:features:read+;qXfer:auxv:read+;swbreak+;"
                    "vContSupported+;QStartNoAckMode+")
        if pkt == "QStartNoAckMode":
            self._send("OK")
            self.ack = False
            return None
        if pkt.startswith("qXfer:features:read:target.xml:"):
            return _xfer(self.xml, pkt.rsplit(":", 1)[1])
        if pkt.startswith("qXfer:auxv:read::"):
            return _xfer(self.auxv, pkt.rsplit(":", 1)[1])
        if pkt == "?":
            return self._pending_stop
        if pkt == "qAttached":
            return "1"
        if pkt == "qC":
            return f"QC{proc.cur_tid:x}"
        if pkt == "qfThreadInfo":
            return "m" + ",".join(f"{t:x}" for t in proc.threads)
        if pkt == "qsThreadInfo":
            return "l"
        if cmd == "H":
            tid = int(pkt[2:], 16) if pkt[2:] not in ("", "-1") else 0
            if pkt[1] == "g":
                self.g_tid = tid
            return "OK"
        if cmd == "T":
            return "OK" if int(pkt[1:], 16) in proc.threads else "E01"
        if cmd == "g":
            return "".join(self._reg_bytes(i).hex() for i in range(len(self.regs)))
        if cmd == "G":
            data = bytes.fromhex(pkt[1:])
            off = 0
            for i, (_n, _rid, size, _t) in enumerate(self.regs):
                self._set_reg(i, data[off:off + size])
                off += size
            return "OK"
        if cmd == "p":
            i = int(pkt[1:], 16)
            return self._reg_bytes(i).hex() if i < len(self.regs) else "E00"
        if cmd == "P":
            n, v = pkt[1:].split("=")
            i = int(n, 16)
            if i >= len(self.regs):
                return "E00"
            self._set_reg(i, bytes.fromhex(v))
            return "OK"
        if cmd == "m":
            addr, size = (int(x, 16) for x in pkt[1:].split(","))
            try:
                return eng.mem_read(addr, size).hex()
            except Exception:
                return "E14"
        if cmd == "M":
            where, data = pkt[1:].split(":")
            addr, _size = (int(x, 16) for x in where.split(","))
            try:
                eng.mem_write(addr, bytes.fromhex(data))
            except Exception:
                return "E14"
            eng.flush_tb()                  # the code may have changed
            return "OK"
        if cmd in "Zz" and pkt[1:2] in ("0", "1"):
            addr = int(pkt[3:].split(",")[0], 16)
            if cmd == "Z" and addr not in self.breakpoints:
                self.breakpoints[addr] = eng.hook_add(K.UC_HOOK_CODE, self._cb, addr, addr)
                eng.flush_tb()
            elif cmd == "z" and addr in self.breakpoints:
                eng.hook_del(self.breakpoints.pop(addr))
                eng.flush_tb()
                if self.hit == addr:
                    self.hit = None
            return "OK"
        if pkt == "vCont?":
            return "vCont;c;C;s;S"
        if pkt.startswith("vCont;"):
            actions = [a.split(":")[0] for a in pkt[6:].split(";")]
            if any(a[:1] in ("s", "S") for a in actions):
                return self._go(True, final)
            if any(a[:1] in ("c", "C") for a in actions):
                return self._go(False, final)
            return "E01"
        if cmd in ("c", "C", "s", "S"):
            # c [addr], C sig[;addr]: the address, if any, is where to resume
            arg = pkt[1:].split(";")[-1] if cmd in "CS" else pkt[1:]
            if arg and (cmd in "cs" or ";" in pkt):
                eng.reg_write(proc.arch.pc, int(arg, 16))
            return self._go(cmd in "sS", final)
        if cmd == "D":
            self._send("OK")
            self._detach()
            return _RESUMED
        if cmd == "k" or pkt.startswith("vKill"):
            if pkt.startswith("vKill"):
                self._send("OK")
            self._kill()
            return _RESUMED
        return ""                              # not supported: gdb knows what that means

    def _go(self, step: bool, final: bool):
        if final:                              # the process is already dead
            return _RESUMED
        self._resume(step)
        return _RESUMED

    # --- registers of the selected thread ------------------------------------------------------
    def _thread_ctx(self):
        """The saved context of the thread gdb selected, or None for the running one."""
        tid = self.g_tid
        if not tid or tid == self.proc.cur_tid:
            return None
        t = self.proc.threads.get(tid)
        return t.ctx if t is not None else None

    def _reg_bytes(self, i: int) -> bytes:
        _name, rid, size, _t = self.regs[i]
        ctx = self._thread_ctx()
        src = ctx if ctx is not None else self.proc.eng
        if size > 8:
            return src.reg_read_wide(rid, size)
        v = src.reg_read(rid)
        return (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    def _set_reg(self, i: int, data: bytes) -> None:
        _name, rid, size, _t = self.regs[i]
        v = int.from_bytes(data[:size], "little")
        ctx = self._thread_ctx()
        if size > 8:
            (ctx if ctx is not None else self.proc.eng).reg_write_wide(rid, data[:size])
        elif ctx is not None:
            ctx.reg_write(rid, v)
        else:
            self.proc.eng.reg_write(rid, v)

    def _read_auxv(self, sp: int) -> bytes:
        """The auxiliary vector the runner put on the initial stack (gdb finds a PIE's load
        address from AT_ENTRY and AT_PHDR)."""
        eng = self.proc.eng
        try:
            argc = struct.unpack("<Q", eng.mem_read(sp, 8))[0]
            p = sp + 8 * (argc + 2)
            while struct.unpack("<Q", eng.mem_read(p, 8))[0]:
                p += 8
            p += 8
            out = b""
            while True:
                pair = eng.mem_read(p, 16)
                out += pair
                p += 16
                if struct.unpack("<Q", pair[:8])[0] == 0:
                    return out
        except Exception:
            return b""


_RESUMED = object()


def _xfer(data: bytes, span: str) -> str:
    off, length = (int(x, 16) for x in span.split(","))
    chunk = data[off:off + length]
    return ("l" if off + length >= len(data) else "m") + _escape(chunk)


def _escape(data: bytes) -> str:
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return out.decode("latin-1")


def _unescape(data: bytes) -> bytes:
    if b"}" not in data:
        return data
    out = bytearray()
    it = iter(data)
    for b in it:
        out.append(next(it) ^ 0x20 if b == 0x7D else b)
    return bytes(out)


__all__ = ["GdbServer", "target_xml", "registers", "TARGETS"]
