"""Timer signals reach the guest at exact instruction boundaries (emu/timers.py): SIGALRM
from setitimer and a POSIX timer's signal, every millisecond, while a tight loop chases
pointers and loads/modifies/stores an array and checks it. Before counted slices, the
timer thread's asynchronous stop made this program crash on every run (a load run again
with its own result as address)."""

import os
import re
import subprocess
import sys
import threading
import time

import pytest

from xld.emu import run
from xld.emu.sched import Scheduler
from xld.emu.timers import CpuTimer

from conftest import run_qemu
from tests import toolchain as tc

def late_timer_threads(monkeypatch, seconds: float) -> None:
    """Every expiry asked for from a thread other than the main one (a timer's next period,
    asked for by its expiry on the scheduler's thread: sched.py) takes ``seconds`` to ask."""
    real = Scheduler.schedule

    def late(self, at, fn):
        if threading.current_thread() is not threading.main_thread():
            time.sleep(seconds)
        return real(self, at, fn)

    monkeypatch.setattr(Scheduler, "schedule", late)


EXPECTED = b"setitimer: failures 0\ntimer: failures 0, armed 1, sigval ok 1\n"


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_timer_signals_in_a_load_store_loop(build, arch):
    exe = build("alarmloop", arch)
    rc, out, _err = run_qemu(arch, exe)
    res = run(exe, timeout=120)
    assert (res.returncode, res.stdout) == (rc, out) == (0, EXPECTED), res.crash



@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_periodic_timer_rearming_never_looks_disarmed(build, arch, monkeypatch):
    """A periodic timer re-arms itself on its host thread while the run loop decides, on its
    own, whether the next run must be stoppable (timers.timer_slices). The re-arm once passed
    through "no timer armed": a run begun in that gap was unstoppable and never ended (the
    program spun for ever, every later SIGALRM queued behind it; the test above hung in about
    one suite run in ten). Here every host timer thread takes 0.3 ms to create its next timer,
    which made the old code hang on every run, setitimer's and timer_create's alike."""
    exe = build("alarmloop", arch)
    late_timer_threads(monkeypatch, 0.0003)
    res = run(exe, timeout=60)
    assert (res.returncode, res.stdout) == (0, EXPECTED), res.crash


ONESHOT = b"setitimer: 10 rounds\ntimer_create: 10 rounds\n"


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_one_shot_timers_reach_a_spinning_program(build, arch):
    """oneshot.c: one-shot timers (setitimer, timer_create) while the program spins without
    system calls; last, a timer whose signal goes back to its default action kills it."""
    exe = build("oneshot", arch)
    rc, out, _err = run_qemu(arch, exe)
    res = run(exe, timeout=60)
    assert (res.returncode, res.stdout) == (rc, out) == (142, ONESHOT), res.crash


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_signal_queued_while_the_run_loop_decides_still_stops_the_run(build, arch, monkeypatch):
    """A one-shot timer that expires after the run loop has looked for queued signals and
    before run_count has made the next run stoppable: the expiry saw run_is_sliced still
    False (no kick), and the timer, now disarmed, made the run unstoppable; it never ended.
    Here each such run_count first waits 20 ms (the timers take 2 ms), which made the old
    code spin until the time limit on every run; the run loop now looks again after
    run_count (runner._run_loop)."""
    from xld.emu import runner
    exe = build("oneshot", arch)
    real = runner.Process.run_count

    def slow(self):
        if not self.run_is_sliced and self.sliced():
            time.sleep(0.02)
        return real(self)
    monkeypatch.setattr(runner.Process, "run_count", slow)
    res = run(exe, timeout=30)
    assert (res.returncode, res.stdout) == (142, ONESHOT), res.crash


def test_a_stop_asked_for_as_the_run_closes_is_never_joined_unstarted(build, monkeypatch):
    """A timer expiring as the run ends asks, from its own host thread, for a thread that
    stops the engine (runner.stop_engine); close joins those. That thread was listed before
    it was started, and on a loaded machine close came in between: Thread.join raised
    "cannot join thread before it is started" (test_one_shot_timers... in suite runs under
    load). Here the stopper's start waits until close has begun, which made the old code
    raise on every run; now close waits for the start, or no stopper is made once the run is
    over."""
    from xld.emu import runner
    exe = build("hello", "arm64")
    ready = threading.Event()
    real_start, real_close = threading.Thread.start, runner.Process.close

    def slow_start(self):
        if self.name == "xld-run-stop":
            ready.set()              # listed (old code), not started: let close come now
            time.sleep(0.2)
        real_start(self)

    def close(self):
        def ask():
            self.stop_engine(lambda: False, thread=True)
            ready.set()
        threading.Thread(target=ask, daemon=True).start()
        ready.wait()
        real_close(self)

    monkeypatch.setattr(threading.Thread, "start", slow_start)
    monkeypatch.setattr(runner.Process, "close", close)
    res = run(exe, timeout=60)
    assert res.returncode == 0, res.crash


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_killing_timer_expiring_just_before_a_run_still_kills(build, arch, monkeypatch):
    """A timer whose signal's default action kills, expiring after the run loop's last look
    and before the next run has begun: its one uc_emu_stop was forgotten by Unicorn (no run
    was going on) and the unstoppable run spun for ever. Here that run's start waits for the
    expiry, which made the old code spin until the time limit on every run; the stop is now
    asked for again until the run loop has taken the signal (runner.stop_engine)."""
    from xld.emu import runner
    from xld.emu import uc as U
    exe = build("oneshot", arch)
    procs = []
    real_count, real_start = runner.Process.run_count, U.Engine.emu_start

    def count(self):
        procs[:] = [self]
        return real_count(self)

    def start(self, *args):
        p = procs[0] if procs else None
        if p is not None and p.itimer is not None and p.action(14)[0] == 0:
            until = time.monotonic() + 5
            while not p.async_signals and time.monotonic() < until:
                time.sleep(0.001)
        return real_start(self, *args)
    monkeypatch.setattr(runner.Process, "run_count", count)
    monkeypatch.setattr(U.Engine, "emu_start", start)
    res = run(exe, timeout=30)
    assert (res.returncode, res.stdout) == (142, ONESHOT), res.crash


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_timer_ends_a_read_of_standard_input_that_gets_nothing(build, arch):
    """The caller's standard input (a host descriptor passed through: the CLI's) read while no
    input comes, and a timer's handler without SA_RESTART: the read ends with EINTR, as under
    qemu-user. It once waited for input whatever came (the handler, other guest threads, all
    held up); with nothing written, the run ended only at its time limit."""
    import os
    import subprocess
    from conftest import QEMU
    exe = build("stdinalarm", arch)
    r, w = os.pipe()
    try:
        q = subprocess.run([QEMU[arch], exe], stdin=r, capture_output=True, timeout=60)
        res = run(exe, stdin=r, timeout=60)
    finally:
        os.close(r)
        os.close(w)
    assert (res.returncode, res.stdout) == (q.returncode, q.stdout) == (0, b"read -1 errno EINTR handled 1\n")


def test_timer_without_handler_still_kills_and_runs_are_not_sliced(build):
    """alarm.c ends with an interval timer and SIGALRM's default action while spinning: the
    process dies of SIGALRM (an asynchronous stop is harmless there), as under qemu."""
    from xld.emu import runner
    exe = build("alarm", "arm64")
    counts = []
    real = runner.Process.run_count

    def spy(self):
        n = real(self)
        counts.append((n, self.run_is_sliced))
        return n
    mp = pytest.MonkeyPatch()
    mp.setattr(runner.Process, "run_count", spy)
    try:
        res = run(exe, timeout=60)
    finally:
        mp.undo()
    assert res.returncode == 142 and res.stdout.endswith(b"spinning got ticks: 1\n")
    assert any(sliced for _n, sliced in counts)          # while the handler was set
    assert counts[-1] == (0, False)                      # SIG_DFL: the last run was not sliced


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_cpu_time_timers_fire_in_a_spinning_program(build, arch):
    """setitimer(ITIMER_VIRTUAL), setitimer(ITIMER_PROF) with an interval, and a POSIX timer
    on CLOCK_PROCESS_CPUTIME_ID (glibc passes the kernel's encoding of the clock): each fires
    while the program spins without system calls, as under qemu-user (timers.CpuTimer)."""
    exe = build("cputimers", arch)
    rc, out, _err = run_qemu(arch, exe)
    res = run(exe, timeout=120)
    assert (res.returncode, res.stdout) == (rc, out) == (0, (
        b"virtual armed: 1\nITIMER_VIRTUAL: signal 26\nITIMER_PROF: signal 27, disarmed 1\n"
        b"CLOCK_PROCESS_CPUTIME_ID: signal 12, siginfo ok 1\n")), res.crash


CPUCLOCKS = (b"own thread timer: SI_TIMER 1, value 5\nmain thread spun 20 ms or more: 1\n"
             b"CLOCK_THREAD_CPUTIME_ID resolution 1 ns\n"
             b"clock_nanosleep(CLOCK_THREAD_CPUTIME_ID): Invalid argument\n"
             b"its system call: -1 Operation not supported\n"
             b"clock_nanosleep(own thread's clock): Invalid argument\n"
             b"new thread's clock below the main thread's spin: 1\n"
             b"its clock read from the main thread: 1\nits resolution 1 ns\n"
             b"worker's timer: SI_TIMER 1, value 6\nworker's clock advanced 20 ms or more: 1\n"
             b"main thread's clock stood still meanwhile: 1\nended thread's clock: Invalid argument\n"
             b"timer_create on no thread's clock: Invalid argument\n"
             b"clock_getcpuclockid(child): 0\nchild's clock readable: 1\n"
             b"timer_create on child's clock: ok\nclock_getcpuclockid(no process): 3\n")


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_each_thread_has_its_own_cpu_clock(build, arch):
    """cpuclocks.c: CLOCK_THREAD_CPUTIME_ID and pthread_getcpuclockid's clocks give each guest
    thread's own CPU time (threads.thread_cpu_ns), POSIX timers run on them and on a child
    process's CPU clock, and clock_nanosleep and the errors are Linux's, as under qemu-user.
    xld gave every thread the emulator's host thread's time (a new thread's clock read
    what the main thread had spun), had no pthread_getcpuclockid clocks (EINVAL), and
    stopped at timer_create on them (SIGSYS)."""
    exe = build("cpuclocks", arch)
    rc, out, _err = run_qemu(arch, exe)
    res = run(exe, timeout=120)
    assert (res.returncode, res.stdout) == (0, CPUCLOCKS), (res.crash, res.stderr)
    # qemu-user itself: Linux's lines, but its answer for an ended thread's clock is racy (once
    # in a full suite on riscv64 it printed "Unknown error -21999308" where Linux says EINVAL)
    ended = re.compile(rb"^ended thread's clock: .*$", re.M)
    assert (rc, ended.sub(b"ended", out)) == (0, ended.sub(b"ended", CPUCLOCKS))


DEADCLOCKS = b"".join(
    b"%s: gettime 0 value 0.000000000 interval 0.000000000\n%s: settime -1 No such process\n"
    b"%s: delete 0\n" % (w, w, w) if w else line for w, line in (
        (None, b"periodic on a child: settime 0\n"), (b"periodic on a reaped child", None),
        (None, b"one-shot on a child: settime 0\n"), (b"one-shot on a reaped child", None),
        (None, b"on a thread: create 0\non a thread: armed 1\n"), (b"on an ended thread", None)))


def run_deadclocks(build, arch, monkeypatch):
    """deadclocks.c under qemu-user and xld run: (qemu's result, xld's, the exceptions
    raised on xld's host threads)."""
    raised = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    exe = build("deadclocks", arch)
    rc, out, err = run_qemu(arch, exe)
    res = run(exe, timeout=120)
    return (rc, out, err), res, [f"{a.thread.name}: {a.exc_type.__name__}: {a.exc_value}" for a in raised]


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_timers_on_a_gone_cpu_clock_are_disarmed(build, arch, monkeypatch):
    """deadclocks.c: POSIX timers on a child's CPU clock once the child is reaped, and on a
    thread's once it has ended, are disarmed, as on Linux and under qemu-user: timer_gettime
    0 with zeros, timer_settime ESRCH (timers.Timers.clock_gone). xld's timer_gettime was
    EINVAL on the reaped child's (its time left infinite), its timer_settime EINVAL, and the
    ended thread's timer stayed armed on the thread's last time, polled for ever."""
    (rc, out, err), res, raised = run_deadclocks(build, arch, monkeypatch)
    assert (res.returncode, res.stdout, res.stderr) == (rc, out, err) == (0, DEADCLOCKS, b""), res.crash
    assert raised == []


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_cpu_timer_whose_clock_goes_while_it_fires_stops(build, arch, monkeypatch):
    """The periodic timer in deadclocks.c expires while the child spins; here its host
    thread, having found it due, is late until the child is reaped, so the timer's next
    period meets a clock that is gone. It stops, with no output (Linux's and qemu-user's
    timer stops too); xld's host thread died with a TypeError traceback (next_expiry)."""
    real = CpuTimer.left

    def late(self):
        left = real(self)
        if left <= 0 and threading.current_thread() is self:
            for _ in range(30_000):             # (at most 30 s: the child spins 0.1 s)
                if self.now() is None:
                    break
                time.sleep(0.001)
        return left

    monkeypatch.setattr(CpuTimer, "left", late)
    (rc, out, err), res, raised = run_deadclocks(build, arch, monkeypatch)
    assert raised == []
    assert (res.returncode, res.stdout, res.stderr) == (rc, out, err) == (0, DEADCLOCKS, b""), res.crash


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_forked_child_inherits_no_timer(build, arch):
    """fork(2): the child has neither the interval timer nor the parent's POSIX timers (its
    timer id is EINVAL there; xld run kept it), and the parent's go on, as under qemu-user."""
    exe = build("forktimers", arch)
    rc, out, _err = run_qemu(arch, exe)
    res = run(exe, timeout=60)
    assert (res.returncode, res.stdout) == (rc, out) == (0, (
        b"child: itimer 0, timer_gettime -1 errno EINVAL\nchild: alarms 0\n"
        b"parent: timer_gettime 0, alarms 1, child 0\n")), res.crash


SIGEV_THREAD = (b"one-shot: fired 1\nseveral: fired 1 1\n"
                b"periodic: reached 5 1, stopped 1, deleted one fired 0\n"
                b"thread id not ours: -1 Invalid argument\n"
                b"thread id: created 0, in the worker 1, hits 1\n")


@pytest.mark.parametrize("arch,kind", [(a, k) for a in ("arm64", "riscv64") for k in ("gcc", "dyn", "zig")])
def test_sigev_thread_timers_run_their_callbacks(build, arch, kind):
    """sigevthread.c: SIGEV_THREAD timers (one-shot, several at once, periodic, deleted while
    armed), whose callbacks glibc and musl run on a thread that waits for a SIGEV_THREAD_ID
    signal; SIGEV_THREAD_ID itself (the handler runs in the named thread; a thread not of the
    process is EINVAL). xld refused SIGEV_THREAD_ID (SIGSYS), so every SIGEV_THREAD timer."""
    from conftest import sysroot
    exe = build("sigevthread", arch, kind)
    rc, out, _err = run_qemu(arch, exe, sysroot=sysroot(arch) if kind == "dyn" else None)
    res = run(exe, timeout=120)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout) == (rc, out) == (0, SIGEV_THREAD), res.stderr


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_periodic_timer_keeps_its_schedule(build, arch, monkeypatch):
    """timersched.c: a 2 ms periodic timer over 150 periods (armed relative, then absolute):
    its signals plus their si_overrun are what the schedule says (first + k * period, counted
    up to the timer_settime that disarms it), within one. Each next period was armed from
    the host thread's firing, so every firing's lateness pushed the rest of the schedule back;
    here every timer thread made from a timer thread starts 0.5 ms late (a loaded machine's
    lateness, made certain), which lost about a period in four on the old code."""
    exe = build("timersched", arch)
    expected = b"relative: on schedule 1\nabsolute: on schedule 1\n"
    rc, out, _err = run_qemu(arch, exe)
    assert (rc, out) == (0, expected)
    late_timer_threads(monkeypatch, 0.0005)
    res = run(exe, timeout=120)
    assert (res.returncode, res.stdout) == (0, expected), (res.crash, res.stderr)


TWO_TIMERS = (b"sigtimedwait: 2 signals, values 33, then Resource temporarily unavailable\n"
              b"handler: 2 runs, values 33\nwith kill: 3 runs, first -1, then 33\noverruns 0 0\n")


@pytest.mark.parametrize("arch,kind", [("arm64", "gcc"), ("riscv64", "gcc"), ("arm64", "zig")])
def test_two_timers_on_one_standard_signal_queue_one_each(build, arch, kind):
    """twotimers.c: two POSIX timers on SIGALRM, both expired while it is blocked: Linux
    queues each timer's own entry (send_sigqueue does not merge), so sigtimedwait takes two
    and the handler runs twice, each time with its timer's value; a kill() of SIGALRM before
    them is a third, one after them merges. xld merged the second timer's into the first
    (one signal, an overrun of 1 on the other timer)."""
    exe = build("twotimers", arch, kind)
    rc, out, _err = run_qemu(arch, exe)
    res = run(exe, timeout=60)
    assert (res.returncode, res.stdout) == (rc, out) == (0, TWO_TIMERS), (res.crash, res.stderr)


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_timer_signal_every_thread_blocks_ends_no_wait(build, arch):
    """blockedsleep.c: a periodic timer's signal that the sleeping main thread and another
    thread (blocking every signal, as glibc's SIGEV_THREAD helper thread does) both block:
    nanosleep and clock_nanosleep run their full time, and sigwaitinfo takes the signal with
    its overruns. xld ended the sleep with EINTR (it ended the running thread's wait so that
    the run loop would park the signal; tools/randsys.py seed 101)."""
    exe = build("blockedsleep", arch)
    rc, out, _err = run_qemu(arch, exe)
    res = run(exe, timeout=60)
    expected = b"nanosleep 0 -\nclock_nanosleep 0\nsigwaitinfo 1 overrun positive 1\n"
    assert (res.returncode, res.stdout) == (rc, out) == (0, expected), (res.crash, res.stderr)


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_thread_timer_signal_for_an_ended_thread_reaches_no_other(build, arch):
    """timerexit.c: a SIGEV_THREAD_ID timer's signal for the main thread, which ended
    (pthread_exit) before the expiry, while the other thread sleeps: nobody takes it, and the
    sleep runs its full time, as on Linux. xld put the expiry, found while every thread
    waited and the ended thread was the running one, back in the run loop's queue as a plain
    signal number: its thread lost, it ended the sleeper's nanosleep with EINTR and ran the
    handler there."""
    exe = build("timerexit", arch)
    rc, out, _err = run_qemu(arch, exe)
    res = run(exe, timeout=60)
    expected = b"nanosleep 0, handler ran in the sleeper 0 times\n"
    assert (res.returncode, res.stdout) == (rc, out) == (0, expected), (res.crash, res.stderr)


# tests/emu/progs/clockcalls.c as Linux prints it (6.18, x86-64, built natively: the next test
# checks the host's kernel still says so), and so qemu-aarch64 and qemu-riscv64 7.2
CLOCKCALLS = (
    b"thread user time after a spin: not below its earlier reading 1\n"
    b"by its tid too: 1; user + system not below it 1\n"
    b"process user time not below the thread's 1, user + system not below it 1\n"
    b"resolutions: thread sched 1, process sched 1, CLOCK_PROCESS_CPUTIME_ID 1; user and user + system one tick (1 to 10 ms): 1 1 1 1\n"
    b"getres without a buffer: 0; of kind 3: Invalid argument; of no thread: Invalid argument\n"
    b"a new thread's user time: read 1, user + system not below it 1\n"
    b"process clock by a thread's tid: Invalid argument\n"
    b"settime: CLOCK_PROCESS_CPUTIME_ID Invalid argument, CLOCK_THREAD_CPUTIME_ID Invalid argument, CLOCK_MONOTONIC Invalid argument\n"
    b"settime: process clock Operation not permitted, thread clock Operation not permitted, a worker's Operation not permitted, no thread's Invalid argument, no buffer Bad address\n"
    b"settime: CLOCK_REALTIME to a bad time Invalid argument, clock 12 Invalid argument\n"
    b"sleep 30 ms on the process clock while a thread spins: ok, it advanced 30 ms 1\n"
    b"the same through the C library: ok, it advanced 30 ms 1\n"
    b"TIMER_ABSTIME on it: ok, reached 1\n"
    b"TIMER_ABSTIME in the past: ok\n"
    b"sleep 30 ms on the worker's clock: ok, it advanced 30 ms 1\n"
    b"on its user time: ok, it advanced 30 ms 1\n"
    b"TIMER_ABSTIME on it: ok, reached 1\n"
    b"on its own thread's clock: by tid 0 Invalid argument, by its tid Invalid argument, user time Invalid argument\n"
    b"on no thread's clock: Invalid argument; bad times: Invalid argument Invalid argument; no buffer: Bad address\n"
    b"a signal ends it: Interrupted system call, time left in (0, 10 s] 1\n"
    b"sleep 30 ms on a child's clock: ok, it advanced 30 ms 1\n"
    b"a child's user time readable 1; its pid as a thread clock: Invalid argument, sleep Invalid argument, settime Operation not permitted\n"
    b"SIGEV_NONE timer on the process clock: ok, armed in (0, 20 ms] 1\n"
    b"past its time: 0.000000000\n"
    b"periodic, past its first time: armed in (0, 10 ms] 1, overruns counted 1\n"
    b"TIMER_ABSTIME in the past: 0.000000000\n"
    b"SIGEV_NONE on the thread clock: ok, past its time: 0.000000000\n"
    b"timer_create on a user-time thread clock: ok\n"
    b"times: its value advanced 3 ticks or more 1, user + system by 3 or more 1, no buffer 1, bad buffer Bad address\n"
    b"times: a waited child's 60 ms: 3 ticks or more 1\n"
    b"RUSAGE_THREAD: the main thread's >= 150 ms 1, <= the process's 1; a new thread's below a tenth of it 1\n"
    b"getrusage(2): Invalid argument, bad buffer: Bad address\n"
)
CLOCKCALLS_KINDS = [(a, k) for a in ("arm64", "riscv64") for k in ("gcc", "dyn", "zig")]


@pytest.mark.parametrize("arch,kind", CLOCKCALLS_KINDS, ids=[f"{a}-{k}" for a, k in CLOCKCALLS_KINDS])
def test_the_clock_calls_on_cpu_clocks_answer_as_linux(build, arch, kind):
    """clockcalls.c: a thread's and the process's user-time clock (kind CPUCLOCK_VIRT),
    clock_nanosleep on the process's CPU clock, another thread's and a child's (until that
    clock has advanced, or TIMER_ABSTIME reached it; EINTR with the time left), clock_settime
    on CPU clocks (EPERM), SIGEV_NONE timers on them, times() and getrusage(RUSAGE_THREAD):
    xld prints Linux's lines (qemu-user too). xld stopped at the thread's user-time clock
    (SIGSYS), and before that slept wall time on the process clock, stopped at
    clock_nanosleep on another thread's or process's clock and at clock_settime, and gave
    RUSAGE_THREAD the whole process's times."""
    exe = build("clockcalls", arch, kind)
    res = run(exe, timeout=240)
    assert (res.returncode, res.stdout) == (0, CLOCKCALLS), (res.crash, res.stderr)
    if kind == "gcc":
        rc, out, _err = run_qemu(arch, exe, timeout=240)
        assert (rc, out) == (0, CLOCKCALLS)


# tests/emu/progs/sleepedges.c as Linux prints it (6.18, x86-64, built natively)
_LONGEST = (
    b"nanosleep: -1 Interrupted system call, time left over 1e9 s 1\n"
    b"ppoll: -1 Interrupted system call, time left over 1e9 s 1\n"
    b"CLOCK_MONOTONIC: -1 Interrupted system call, time left over 1e9 s 1\n"
    b"CLOCK_REALTIME, TIMER_ABSTIME: -1 Interrupted system call, time left over 1e9 s 0\n"
    b"CLOCK_PROCESS_CPUTIME_ID: -1 Interrupted system call, time left over 1e9 s 1\n"
    b"CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME: -1 Interrupted system call, time left over 1e9 s 0\n"
)
SLEEPEDGES = (_LONGEST + b"with a second thread:\n" + _LONGEST
              + b"sleep on a thread's clock as it ends: -1 Interrupted system call, time left over 900 s 1\n"
              + b"then on its clock: -1 Invalid argument\n"
              + b"5 sleeps on a spinning thread's clock, ended by SIGALRM: EINTR 5, every handler in the main thread 1\n")


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_sleeps_at_their_edges_answer_as_linux(build, arch):
    """sleepedges.c: sleeps of 2**63 - 1 s (the kernel saturates them at KTIME_MAX) ended by
    a signal with the time left, with one thread and two; a sleep on a thread's CPU clock
    as that thread ends (only a signal ends it), then on its clock (EINVAL); a SIGALRM for
    the process while the main thread sleeps and another spins goes to the main thread, as
    Linux's complete_signal. xld answered EINVAL to the long sleeps with one thread and died
    of an internal error (OverflowError) with two, and ran the SIGALRM handler in the
    spinning thread: the main thread's sleep never ended."""
    res = run(build("sleepedges", arch), timeout=240)
    assert (res.returncode, res.stdout) == (0, SLEEPEDGES), (res.crash, res.stderr)


SIGTARGETS = (
    b"SIGCHLD taken by the main thread 0, by the thread that forked 1\n"
    b"nanosleep under SIGPROFs: 0 ok; the main thread took 0, the spinning one any 1\n"
)


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_signal_for_the_process_goes_first_where_linux_sends_it(build, arch):
    """sigtargets.c (Linux's output, 6.18 x86-64): only ITIMER_REAL's SIGALRM and signals from
    other processes go to the main thread first (sleepedges.c); a child's SIGCHLD goes to the
    thread that forked it, ITIMER_PROF's SIGPROF to the thread whose CPU time fired it. The
    main-thread-first rule applied to every signal for the process took SIGCHLD in the main
    thread waiting in pthread_join, and ended its nanosleep with EINTR at the first SIGPROF."""
    res = run(build("sigtargets", arch), timeout=240)
    # the main thread's own CPU time between setitimer and nanosleep (and after it, until the
    # timer is off) may fire one SIGPROF, which then is the main thread's on Linux too: a
    # window of microseconds natively, emulated on a loaded machine long enough once in a
    # full suite; more than one, or an interrupted nanosleep, is the bug this test guards
    out = res.stdout.replace(b"the main thread took 1, the spinning", b"the main thread took 0, the spinning")
    assert (res.returncode, out) == (0, SIGTARGETS), (res.crash, res.stderr)


OVERRUNLAST = (b"sigwaitinfo: si_overrun above 5 1, timer_getoverrun the same 1\n"
               b"handler: si_overrun above 5 1, timer_getoverrun the same 1\n")


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_timer_getoverrun_is_the_taken_signals_overrun(build, arch):
    """overrunlast.c: after a POSIX timer's signal is taken (sigwaitinfo, then a handler),
    timer_getoverrun gives that signal's si_overrun, as Linux's it_overrun_last. xld gave the
    expiries counted since the signal was taken (0 right after it: "the same 0" twice); a
    program summing timer_getoverrun in its handler counted 700 to 1,150 of a 1 ms timer's 2000
    periods in 2 s (Linux: 2000)."""
    exe = build("overrunlast", arch)
    rc, out, _err = run_qemu(arch, exe)
    res = run(exe, timeout=60)
    assert (res.returncode, res.stdout) == (rc, out) == (0, OVERRUNLAST), (res.crash, res.stderr)


@pytest.mark.skipif(sys.platform != "linux", reason="the oracle is the host's Linux kernel")
@pytest.mark.parametrize("prog,expected", [("clockcalls", CLOCKCALLS), ("sleepedges", SLEEPEDGES),
                                           ("sigtargets", SIGTARGETS), ("overrunlast", OVERRUNLAST)])
def test_expected_lines_are_the_host_kernels(prog, expected, tmp_path):
    """The oracle of the tests above: each program built for the host and run on its kernel
    (the host's gcc: CI installs it, and a missing one fails there)."""
    exe = str(tmp_path / prog)
    subprocess.run([tc.require("gcc"), "-O2", "-pthread", os.path.join(os.path.dirname(__file__), "progs", f"{prog}.c"),
                    "-o", exe], check=True, capture_output=True, timeout=300)
    p = subprocess.run([exe], capture_output=True, timeout=240)
    assert (p.returncode, p.stdout) == (0, expected)


def late_timer_expiries(monkeypatch, seconds: float) -> None:
    """Every expiry runs ``seconds`` after it is due (the scheduler's thread starved on a
    loaded machine), its due time unchanged."""
    real = Scheduler.schedule

    def late(self, at, fn):
        return real(self, at + seconds, fn)

    monkeypatch.setattr(Scheduler, "schedule", late)


LATE = b"pending 1\ntwo timers on one signal: 2 signals values 953\nalive\n"


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_timers_due_during_a_sleep_are_pending_after_it_on_a_loaded_machine(build, arch, monkeypatch):
    """latetimers.c: two one-shot timers on a blocked signal expire during a 20 ms sleep; then
    sigpending and sigtimedwait look. Linux has queued both by then; xld waited for the timers'
    host threads, which on a loaded machine came later: sigtimedwait found fewer, and the rest,
    queued at timer_delete, killed the program when it unblocked the signal (randsys seed 5001
    exited by SIGUSR2 in one of four runs at load 30). Here every host timer thread fires
    300 ms late, which made the old code's program find none and die (exit 140)."""
    exe = build("latetimers", arch)
    rc, out, _err = run_qemu(arch, exe)
    assert (rc, out) == (0, LATE)
    late_timer_expiries(monkeypatch, 0.3)
    res = run(exe, timeout=60)
    assert (res.returncode, res.stdout) == (0, LATE), res.crash


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_one_shot_timer_caught_up_expires_once(build, arch, monkeypatch):
    """latetimeronce.c: sigtimedwait takes a one-shot timer's signal that its late host thread
    had not queued yet (catch_up expires it); when that thread comes, 300 ms later, it must not
    expire the timer again. It did: a second signal was pending, and glibc's SIGEV_THREAD timers
    ran a one-shot callback twice (sigevthread.c's semaphore got an extra post)."""
    exe = build("latetimeronce", arch)
    want = b"first 1, then pending 0, again -1 EAGAIN\n"
    rc, out, _err = run_qemu(arch, exe)
    assert (rc, out) == (0, want)
    late_timer_expiries(monkeypatch, 0.3)
    res = run(exe, timeout=60)
    assert (res.returncode, res.stdout) == (0, want), res.crash


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_an_itimer_due_during_a_sleep_is_pending_after_it_on_a_loaded_machine(build, arch, monkeypatch):
    """lateitimer.c: setitimer's SIGALRM, blocked, due during a 20 ms sleep, is pending after
    it and taken by sigtimedwait, and comes once; with its host thread 300 ms late xld found
    nothing (the catch-up covered POSIX timers only: R3)."""
    exe = build("lateitimer", arch)
    want = b"pending 1\nsigtimedwait 14\nthen pending 0\n"
    rc, out, _err = run_qemu(arch, exe)
    assert (rc, out) == (0, want)
    late_timer_expiries(monkeypatch, 0.3)
    res = run(exe, timeout=60)
    assert (res.returncode, res.stdout) == (0, want), res.crash


@pytest.mark.parametrize("arch,interruptible", [("arm64", False), ("riscv64", False), ("arm64", True)])
def test_a_1ms_periodic_timer_makes_few_host_threads(build, arch, interruptible, monkeypatch):
    """tickthreads.c: a 1 ms periodic setitimer, then a 1 ms POSIX timer, each until the
    program has seen 1000 signals (about a second each). Every expiry, and every stop it
    asked for, started its own host thread (threading.Timer, runner.stop_engine's threads):
    the old code made 2,000 to 4,000 of them in this run. Now one scheduler thread per
    process runs them all (sched.py); a few others belong to the run (the kicker's, a
    one-shot's grace waits on the same thread). An interruptible run (`xld run`'s) ran each
    run of the engine on a new host thread too (runner._start_interruptible): about 1,000
    more here; now one thread runs them all (runner.EngineWorker)."""
    exe = build("tickthreads", arch)
    expected = b"setitimer: 1000 signals\ntimer_create: 1000 signals\n"
    rc, out, _err = run_qemu(arch, exe)
    assert (rc, out) == (0, expected)
    started = []
    real_start = threading.Thread.start

    def start(self):
        started.append(self.name)
        real_start(self)
    monkeypatch.setattr(threading.Thread, "start", start)
    res = run(exe, timeout=120, interruptible=interruptible)
    assert (res.returncode, res.stdout) == (0, expected), (res.crash, res.stderr)
    assert len(started) < 20, (len(started), sorted(set(started))[:10])


@pytest.mark.parametrize("arch,interruptible", [("arm64", False), ("riscv64", True)])
def test_a_timer_centuries_ahead_leaves_the_others_working(build, arch, interruptible):
    """fartimer.c: a POSIX timer 10^10 s ahead, then a 20 ms setitimer waited for with
    pause(). The scheduler's one thread (sched.py) waited for the far expiry with a lock
    timeout above threading.TIMEOUT_MAX (292 years): OverflowError ended the thread and the
    SIGALRM never came (the run hung until its time limit; each expiry's own
    threading.Timer before the scheduler only printed that traceback)."""
    exe = build("fartimer", arch)
    expected = b"far timer: armed\nSIGALRM after it: 1\n"
    rc, out, _err = run_qemu(arch, exe)
    assert (rc, out) == (0, expected)
    res = run(exe, timeout=60, interruptible=interruptible)
    assert (res.returncode, res.stdout) == (0, expected), (res.crash, res.stderr)


# tests/emu/progs/timerdel.c as qemu-user prints it on this host's Linux 6.18 (and the host
# natively): the queued signal of a timer deleted, disarmed or re-armed is never delivered
TIMERDEL = b"".join(b"%s: pending before 1, after it 1, delivered 0, then pending 0\n" % w
                    for w in (b"deleted", b"disarmed", b"re-armed", b"periodic disarmed")) + (
    b"  its overrun above 5: 0\n"
    b"deleted, then sigtimedwait: pending before 1, after it 1, sigtimedwait -1 Resource temporarily "
    b"unavailable, then pending 0\n"
    b"untouched: pending before 1, after it 1, delivered 1, then pending 0\n")


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_timer_deleted_or_set_again_drops_its_queued_signal(build, arch):
    """timerdel.c: a blocked POSIX timer signal, queued, then timer_delete, timer_settime to 0,
    timer_settime to 100 s (and a periodic timer's, with overruns); then the signal is
    unblocked (or, once, waited for with sigtimedwait: EAGAIN). Linux 6.13 on (qemu-user on the host's 6.18) delivers none of them; xld
    delivered each (Linux 6.1 does too: docs/run.md says why xld follows 6.13). sigpending
    still lists the signal after the call, until it would be taken, as 6.18's ("after it 1")."""
    exe = build("timerdel", arch)
    rc, out, _err = run_qemu(arch, exe)
    assert (rc, out) == (0, TIMERDEL)
    res = run(exe, timeout=60)
    assert (res.returncode, res.stdout) == (0, TIMERDEL), (res.crash, res.stderr)


# tests/emu/progs/farvalues.c as qemu-user prints it on this host (Linux 6.18), and the host
# natively: times past KTIME_MAX ns saturate, and so does the expiry on the timer's clock
FARVALUES = b"".join(
    b"%s: settime 0, value + now is KTIME_MAX 1, value's nsec below 1e9 1, interval %s\n" % (w, i)
    for w, i in ((b"1e10 s ahead", b"0.000000000"), (b"INT64_MAX s ahead", b"0.000000000"),
                 (b"9223372036 s ahead", b"0.000000000"), (b"1e10 s interval", b"9223372036.854775807"),
                 (b"INT64_MAX s interval", b"9223372036.854775807"),
                 (b"absolute 1e10 s, CLOCK_REALTIME", b"0.000000000"),
                 (b"absolute INT64_MAX s, CLOCK_MONOTONIC", b"0.000000000"))) + b"".join(
    b"%s: setitimer 0, value + now is KTIME_MAX 1, interval %s\n  disarmed: old value's usec below 1e6 1\n"
    % (w, i) for w, i in ((b"setitimer 1e10 s", b"0.000000"), (b"setitimer 1e10 s interval", b"9223372036.854775"),
                          (b"setitimer INT64_MAX s", b"9223372036.854775")))


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_timers_armed_past_ktime_max_read_back_as_linux(build, arch):
    """farvalues.c: POSIX timers and setitimer armed 1e10 s, 9223372036 s and INT64_MAX s
    ahead (relative and TIMER_ABSTIME), with such intervals; timer_gettime and getitimer give
    KTIME_MAX less the clock's time now and an interval of KTIME_MAX, as Linux (qemu-user
    on the host). xld gave the value asked for (10^10 s), and past 2**63 ns could not pack it:
    timer_gettime and getitimer left the program's buffer as it was."""
    exe = build("farvalues", arch)
    rc, out, _err = run_qemu(arch, exe)
    assert (rc, out) == (0, FARVALUES)
    res = run(exe, timeout=60)
    assert (res.returncode, res.stdout) == (0, FARVALUES), (res.crash, res.stderr)


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_disarmed_timer_fires_no_more_even_with_its_host_timer_late(build, arch, monkeypatch):
    """timerrace.c: a 20 us periodic timer, its signal blocked, taken once, then disarmed by
    timer_settime; sigtimedwait with a zero timeout must then find nothing (qemu-user: 0 of 20).
    timer_settime dropped the queued instance, then re-armed: an expiry of the old setting
    between the two (the window widened here to 5 ms, as a loaded machine does) queued a
    signal that came after the call: 20 of 20. Both now under the timer lock."""
    from xld.emu import timers
    exe = build("timerrace", arch)
    want = b"signals taken after the disarm: 0\n"
    rc, out, _err = run_qemu(arch, exe)
    assert (rc, out) == (0, want)
    drop = timers.Timers.drop_queued_signal

    def late(self, t):
        drop(self, t)
        time.sleep(0.005)

    monkeypatch.setattr(timers.Timers, "drop_queued_signal", late)
    res = run(exe, timeout=60)
    assert (res.returncode, res.stdout) == (0, want), (res.crash, res.stderr)
