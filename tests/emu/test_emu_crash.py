"""Crashes are reported with the right signal, address and symbol; runaway programs are
stopped by the time or instruction limit; an unsupported system call stops the program."""

import time

import pytest

from xld.emu import run

ARCHES = ["arm64", "riscv64"]


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("how,signal,func", [
    ("null", "SIGSEGV", "write_null"),
    ("stack", "SIGSEGV", "recurse"),
    ("abort", "SIGABRT", None),
    ("illegal", "SIGILL", "illegal"),
    ("trap", "SIGTRAP", "trap"),
    ("rodata", "SIGSEGV", "write_rodata"),
    ("munmap", "SIGSEGV", "use_after_munmap"),
    ("protnone", "SIGSEGV", "read_prot_none"),
])
def test_crash_reports(build, arch, how, signal, func):
    exe = build("crash", arch)
    res = run(exe, [how], timeout=60)
    assert res.signal_name == signal, res.crash
    assert res.returncode == 128 + res.signal
    assert res.stdout == f"crashing: {how}\n".encode()
    report = res.crash
    assert f"terminated by {signal}" in report
    if func:
        assert f"<{func}" in report.split("pc:")[1].splitlines()[0], report
    assert "insn:" in report and "registers:" in report
    if how == "null":
        assert "write of 0x0 (NULL pointer)" in report
        assert "<main+" in report  # the caller, from the link register
    if how == "stack":
        assert "stack overflow" in report
    if how == "rodata":
        assert "not permitted by the mapping" in report
        addr = int(report.split("fault:  write of ")[1].split(":")[0], 16)
        assert addr % 4096 != 0  # the exact address, from the instruction's operands
    if how == "munmap":
        assert "read of 0x" in report and ": unmapped" in report
    if how == "protnone":
        assert "not permitted by the mapping" in report
    if arch == "arm64" and how in ("null", "abort"):
        assert "then:" in report and "<__libc_start_main" in report  # frame-record backtrace
    if how == "abort":
        assert "tgkill" in report or "tkill" in report  # last system calls


@pytest.mark.parametrize("arch", ARCHES)
def test_crash_under_musl(build, arch):
    res = run(build("crash", arch, "zig"), ["null"], timeout=60)
    assert res.signal_name == "SIGSEGV"
    assert "<write_null" in res.crash


@pytest.mark.parametrize("arch", ARCHES)
def test_timeout_stops_a_spinning_program(build, arch):
    exe = build("spin", arch)
    t = time.monotonic()
    res = run(exe, timeout=1.0)
    # not a speed check: without the limit the run never ends; the bound only keeps a broken
    # limit from hanging the suite, with room for a machine loaded many times over
    assert time.monotonic() - t < 60
    assert res.limit == "timeout"
    assert res.returncode == 128 + 9
    assert res.stdout == b"spinning\n"
    assert "time limit" in res.crash


def test_timeout_interrupts_sleep(build):
    t = time.monotonic()
    res = run(build("spin", "arm64"), ["sleep"], timeout=0.5)
    assert time.monotonic() - t < 30          # the program sleeps for 100 s
    assert res.limit == "timeout"


@pytest.mark.parametrize("arch", ARCHES)
def test_instruction_limit(build, arch):
    res = run(build("spin", arch), max_insns=2_000_000)
    assert res.limit == "max-insns"
    assert res.signal_name == "SIGXCPU" and res.returncode == 152
    assert "instruction limit" in res.crash


def test_instruction_limit_not_reached(build):
    res = run(build("hello", "arm64"), max_insns=50_000_000)
    assert res.ok, res.crash


@pytest.mark.parametrize("arch", ARCHES)
def test_unknown_syscall_stops_with_its_number(build, arch):
    res = run(build("unknown", arch), timeout=60)
    assert res.signal_name == "SIGSYS"
    assert res.stdout == b"before\n"
    assert "unsupported system call 0 (io_setup) at pc 0x" in res.crash
    assert "<syscall" in res.crash


def test_unknown_syscall_enosys(build):
    res = run(build("unknown", "riscv64"), unknown_syscall="enosys", timeout=60)
    assert res.ok
    assert res.stdout == b"before\nafter: -1 Function not implemented\n"


def test_output_limit(build):
    res = run(build("stdin", "arm64"), stdin=b"x" * 100_000, max_output=10_000)
    assert res.limit == "output"
    assert res.signal_name == "SIGXFSZ"


def test_memory_limit_makes_malloc_fail(build):
    res = run(build("mem", "arm64"), max_memory=16 << 20, timeout=60)
    # the 32 MiB realloc cannot be satisfied: glibc reports it and the program crashes or fails
    assert not res.ok


def test_riscv_bitmanip_is_explained(build):
    res = run(build("bitmanip", "riscv64", "zbb"), timeout=60)
    assert res.signal_name == "SIGILL"
    assert "Zbb" in res.crash and "rv64gc" in res.crash
    assert "<bits" in res.crash
    assert run(build("bitmanip", "riscv64", "gcc")).stdout == b"56\n"


@pytest.mark.parametrize("arch", ARCHES)
def test_broken_pipe_kills_with_sigpipe(build, arch):
    res = run(build("crash", arch), ["pipe"], timeout=60)
    assert res.signal_name == "SIGPIPE" and res.returncode == 141
    assert res.crash is None  # like a shell, nothing to report for SIGPIPE
