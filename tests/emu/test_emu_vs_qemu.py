"""Programs built by GCC (glibc) and zig (musl) behave byte-for-byte as under qemu-user:
stdout, stderr and exit status, with arguments, environment, stdin and files in the root."""

import os

import pytest

from xld.emu import run

from conftest import TOOLCHAINS, TOOLCHAIN_IDS, run_qemu

ENV = {"XLD_GREETING": "hello there", "XLD_EMPTY": "", "PATH": "/bin:/usr/bin"}


def same_as_qemu(arch, exe, args=(), stdin=b"", root=None, env=ENV):
    rc, out, err = run_qemu(arch, exe, args, stdin=stdin, env=env, cwd=root)
    res = run(exe, argv=list(args), env=env, stdin=stdin, root=root, timeout=60)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout, res.stderr) == (rc, out, err)
    return res


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_hello_args_floats_exit_status(build, arch, tc):
    exe = build("hello", arch, tc)
    res = same_as_qemu(arch, exe, ["one", "two words", "", "7"])
    assert res.returncode == 7
    assert b"3.250 3.25e+10" in res.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_environment_and_argv(build, arch, tc):
    exe = build("env", arch, tc)
    res = same_as_qemu(arch, exe, ["--flag", "x=y"])
    assert b"greeting: hello there" in res.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_stdin_is_piped(build, arch, tc):
    exe = build("stdin", arch, tc)
    data = b"first line\nsecond  line here\n\tthird\n" * 50
    res = same_as_qemu(arch, exe, stdin=data)
    assert res.stdout.endswith(b"150 300 1800\n")


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_empty_stdin(build, arch, tc):
    exe = build("stdin", arch, tc)
    res = same_as_qemu(arch, exe, stdin=b"")
    assert res.returncode == 2


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_files_in_the_root(build, arch, tc, tmp_path):
    exe = build("files", arch, tc)
    for d in ("q", "x"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "data.txt").write_text("line one\nline two\n")
    rc, out, err = run_qemu(arch, exe, env=ENV, cwd=tmp_path / "q")
    res = run(exe, env=ENV, root=tmp_path / "x", timeout=60)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout, res.stderr) == (rc, out, err)
    assert b"entry moved.bin" in res.stdout
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["data.txt"]


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_heap_and_mappings(build, arch, tc):
    exe = build("mem", arch, tc)
    same_as_qemu(arch, exe)


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_cxx_iostream_exceptions(build, arch):
    exe = build("cxx", arch, "gcc")
    res = same_as_qemu(arch, exe, ["a"])
    assert b"caught: deep error" in res.stdout
    assert res.stdout.endswith(b"static destructor\n")


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_cpu_work(build, arch):
    exe = build("fib", arch, "gcc")
    res = same_as_qemu(arch, exe, ["24"])
    assert res.stdout == b"fib(24) = 46368\n"


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_atomics_use_what_hwcap_advertises(build, arch, tc):
    res = same_as_qemu(arch, build("atomics", arch, tc))
    assert res.stdout.startswith(b"sum 499500 old 499500 now 7 expected 499500\n")


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_cxx_filesystem_random_chrono(build, arch, tmp_path):
    exe = build("cxxfs", arch, "gcc")
    (tmp_path / "q").mkdir()
    (tmp_path / "x").mkdir()
    rc, out, err = run_qemu(arch, exe, env=ENV, cwd=tmp_path / "q")
    res = run(exe, env=ENV, root=tmp_path / "x", timeout=60)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout, res.stderr) == (rc, out, err)
    assert b"fsx/a/b/f2.txt 8\n" in res.stdout and b"removed 5\n" in res.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_libc_spread(build, arch, tc):
    res = same_as_qemu(arch, build("libcmix", arch, tc), ["-v", "-n", "x", "rest"])
    assert b"longjmp 4\n" in res.stdout and b"time 2023-11-14 22:13:20 Tue\n" in res.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_signal_handlers(build, arch, tc):
    """Faults and self-sent signals reach the program's handlers, as under qemu-user; the
    final abort() still kills the program with SIGABRT."""
    exe = build("signals", arch, tc)
    rc, out, err = run_qemu(arch, exe, env=ENV)
    res = run(exe, env=ENV, timeout=60)
    assert (res.returncode, res.stdout) == (rc, out) == (134, res.stdout)
    assert b"after stack overflow\nabort handler 1\n" in res.stdout
    assert "signals delivered" in res.crash


@pytest.mark.parametrize("arch,tc", [("arm64", "gcc"), ("riscv64", "zig")])
def test_alarm_and_interval_timer(build, arch, tc):
    exe = build("alarm", arch, tc)
    rc, out, err = run_qemu(arch, exe, env=ENV)
    res = run(exe, env=ENV, timeout=60)
    assert (res.returncode, res.stdout) == (rc, out) == (142, b"pause returned after alarm: 1\n"
                                                          b"spinning got ticks: 1\n")


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_a_late_timer_stop_does_not_end_the_program(build, arch, monkeypatch):
    """A timer thread stops the engine to deliver its signal; when the run loop has already
    taken the signal, that stop lands on the next run.  It must not end the program (it once
    did, as 'emulation stopped', status 137).  Here the engine is stopped for nothing, again
    and again (every 64th translated block), as such a late stop would.

    The stops are made from a block hook, at block starts: a stop from another thread can land
    while a load is in flight, and Unicorn 2.1.4 then saves the PC one instruction behind the
    registers (see emu/threads.py), which made this test fail now and then for a reason that
    is not the run loop's."""
    from xld.emu import runner
    from xld.emu.uc import CODE_CB
    exe = build("fib", arch, "gcc")
    real = runner.Process.run
    stops = []

    def run_with_late_stops(self):
        count = [0]

        def on_block(uc, address, size, user):
            count[0] += 1
            if count[0] % 64 == 0:
                self.async_posted = True
                self.eng.emu_stop()
                stops.append(address)
        self.eng.hook_add(8, CODE_CB(on_block))          # UC_HOOK_BLOCK
        return real(self)
    monkeypatch.setattr(runner.Process, "run", run_with_late_stops)
    res = run(exe, argv=["27"], timeout=60)
    assert (res.returncode, res.stdout) == (0, b"fib(27) = 196418\n"), res.crash
    assert stops                    # the engine really was stopped while the program ran


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_empty_path_names_are_enoent(build, arch, tc):
    """openat(AT_FDCWD, "") fails with ENOENT, as on Linux (it once opened the directory)."""
    res = same_as_qemu(arch, build("emptypath", arch, tc))
    assert b'openat AT_FDCWD "": -1 No such file or directory\n' in res.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_select_and_poll(build, arch, tc):
    """select/pselect6 and poll/ppoll: fd sets, pipes, devices, bad descriptors, timeouts
    (and the time left written back), hang-ups."""
    res = same_as_qemu(arch, build("select", arch, tc))
    assert b"empty pipe, 20ms: 0  r00 w00 left 0." in res.stdout  # glibc: 0.000000, musl: 0.020000
    assert b"closed fd: -1 Bad file descriptor\n" in res.stdout
    assert b"ppoll writer closed, drained: 1 0x10\n" in res.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_temporary_signal_masks(build, arch, tc):
    """sigsuspend, pselect and ppoll replace the mask while they wait: a pending signal the
    temporary mask unblocks interrupts them and its handler runs before they return; the old
    mask is back afterwards (sigsuspend once waited for the time limit here)."""
    res = same_as_qemu(arch, build("sigmask", arch, tc))
    assert b"sigsuspend: -1 Interrupted system call handler 10 blocked 1 pending 0\n" in res.stdout
    assert b"ppoll still blocked: 0  handler 0 blocked 1 pending 1\n" in res.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_siginfo_ucontext_sigaltstack(build, arch, tc):
    """A handler's siginfo tells how its signal came (kill: SI_USER and the sender's pid;
    raise: SI_TKILL; sigqueue: SI_QUEUE and the value, once an unsupported call; a child's
    end: CLD_EXITED/CLD_KILLED, its pid and status; an itimer: SI_KERNEL), sigreturn takes
    the handler's edits of the ucontext (once ignored: a handler stepping over a trap looped
    until the time limit), sigaltstack reports SS_ONSTACK and refuses a change on it and a tiny
    stack, and SA_RESETHAND leaves the flags."""
    res = same_as_qemu(arch, build("sigcontext", arch, tc))
    assert b"sig 10 code -1 from-me 1 pid0 0 uid 1 value 77\n" in res.stdout
    assert b"sig 17 code 2 from-me 0 pid0 0 uid 1 status 9 child 1\n" in res.stdout
    assert b"again: 1234\nmask from the ucontext: SIGUSR2 blocked 1\n" in res.stdout
    assert b"ss_flags 1, changing it: -1 errno 1\n" in res.stdout
    assert res.stdout.endswith(b"flags kept 1\n")


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_clocks_rlimits_prctl_priority(build, arch, tc):
    """Which clocks exist and their resolutions (getres once said 1 ns for every id, CLOCK_TAI
    was EINVAL), clock_nanosleep's refusals, setrlimit(RLIMIT_NOFILE) bounding descriptors
    (once accepted and ignored), prctl's name and dumpable flag (PR_GET_NAME once wrote
    nothing), getpriority/setpriority and the scheduler (once unsupported calls), and mmap
    without a mapping type."""
    res = same_as_qemu(arch, build("sysmisc", arch, tc))
    assert b"clock 11: gettime 0 0 getres 0 0 0.000000001\n" in res.stdout
    assert b"dups until 10: 7 errno 24\nsoft over hard: -1 errno 22\n" in res.stdout
    assert b"PR_GET_NAME: a-rather-long-t\ndumpable: 1\ndumpable after: 0\n" in res.stdout
    assert b"getpriority: 5 errno 0\n" in res.stdout
    assert res.stdout.endswith(b"mmap with no type: 1 errno 22\n")


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_fp_state_in_signal_frames(build, arch, tc):
    """A handler finds the interrupted code's FP state where the kernel puts it (arm64: the
    fpsimd_context record in __reserved; riscv64: f0-f31 and fcsr in __fpregs) and its edits
    are what sigreturn restores (the frames once had no FP state: the handler read zeros,
    found no record, and its edits were dropped). qemu runs without SVE, as Unicorn's CPU
    is: with SVE, qemu 7.2 restores the vector registers from its sve_context and drops an
    edit of the fpsimd record (the kernel does not: a system call discards the SVE state)."""
    exe = build("sigfp", arch, tc)
    rc, out, err = run_qemu(arch, exe, env={**ENV, "QEMU_CPU": "max,sve=off"} if arch == "arm64" else ENV)
    res = run(exe, env=ENV, timeout=60)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout, res.stderr) == (rc, out, err)
    assert b"read only: v 1.5 high 0, rounding upward 1, inexact 1\n" in res.stdout
    assert b"edited: v -2.5" in res.stdout and b"rounding downward 1, inexact 0\n" in res.stdout
    assert b"0x4242\n" in res.stdout


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_niceness_is_inherited(build, arch):
    """A program started under nice sees that niceness (getpriority once said 0 whatever the
    host's was: the suite run under nice failed the clocks test)."""
    import subprocess
    from conftest import QEMU
    from tests.toolchain import require, xld_command
    exe = build("sysmisc", arch, "gcc")
    q = subprocess.run(["nice", "-n", "7", require(QEMU[arch]), exe], env=ENV, capture_output=True, timeout=60)
    x = subprocess.run(["nice", "-n", "7", *xld_command(), "run", exe], env=ENV, capture_output=True,
                       timeout=60)
    assert (x.returncode, x.stdout) == (q.returncode, q.stdout)
    assert b"\nnice: " in q.stdout and b"\nnice: 0 " not in q.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_files_descriptors_memory_and_process_calls(build, arch, tc):
    """progs/sysio.c: getrusage/times (once zeros), mremap MREMAP_FIXED (once EINVAL),
    preadv2, sendfile, copy_file_range, fallocate, memfd_create and its seals (once
    unsupported), F_GETPIPE_SZ, fcntl record locks and flock seen from another process (once
    always granted, F_GETLK left as it was), statfs (made-up numbers, even for a missing
    path), and their neighbours."""
    res = same_as_qemu(arch, build("sysio", arch, tc))
    assert b"getrusage 0 utime>0 1 maxrss>0 1\ntimes ok 1 utime>0 1\n" in res.stdout
    assert b"mremap fixed 1 keep 7\n" in res.stdout
    assert b"sendfile 5 off 6\ncopy_file_range 6\npread 11 ello hello \n" in res.stdout
    assert b"seals 0xa\nwrite sealed -1 errno 1\n" in res.stdout
    assert b"F_GETPIPE_SZ 65536\n" in res.stdout
    assert b"child setlk -1 errno 11 getlk type 1 pid-is-parent 1\n" in res.stdout
    assert b"flock other -1 errno 11\n" in res.stdout
    assert b"statfs /proc: 0 errno 0 type 0x9fa0\nstatfs /nonexistent: -1 errno 2 type 0\n" in res.stdout
    assert b"setfl append 0 getfl 02002\nappended: size 12\ngetfl dsync nonblock 014001\n" in res.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_blocked_signals_pending_and_sigtimedwait(build, arch, tc):
    """A blocked signal with no handler stays pending (a kill to itself once ended the program
    at once); sigtimedwait, sigwaitinfo and sigwait take pending signals with their siginfo
    (once unsupported); a fatal one left pending kills the program when it is unblocked."""
    exe = build("sigwait", arch, tc)
    rc, out, err = run_qemu(arch, exe, env=ENV)
    res = run(exe, env=ENV, timeout=60)
    assert (res.returncode, res.stdout) == (rc, out)
    assert rc == 143 and out.endswith(b"took 12 code -1 value 5\nnothing: -1 errno 11\nitimer: 14 code 128\n"
                                      b"sigwait 0 got 10\nSIGTERM pending, still alive\n")


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_proc_self_is_the_guest(build, arch, tc):
    """/proc/self/maps, cmdline, environ, auxv and stat are the guest's (they were the emulator's
    own: Python's mappings and command line; glibc's pthread_getattr_np, which reads maps for
    the main thread's stack, gave a stack that did not hold the thread's locals)."""
    res = same_as_qemu(arch, build("procself", arch, tc), ["one", "two"])
    assert res.stdout.startswith(b"maps: mprotected page 1, stack 1, program 1\n") or \
        res.stdout.startswith(b"maps: mprotected page 1, stack 1, program 0\n")
    assert b"as argv 1\nenviron has XLD_GREETING 1\nauxv: pagesz 4096 entry matches 1\n" in res.stdout
    assert b"stat: pid 1 comm (procself-" in res.stdout and b") startstack holds argv 1\n" in res.stdout
    assert res.stdout.endswith(b"main thread stack holds a local 1\n")


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_descriptor_corners(build, arch, tc):
    """progs/fdedges.c: pipe2(O_DIRECT) (once EINVAL), getrandom's unknown flags (once
    accepted), a read-only /dev/null refusing writes (once written), fsync of a pipe (once 0),
    dup2/dup3/close_range and close-on-exec."""
    res = same_as_qemu(arch, build("fdedges", arch, tc))
    assert b"pipe2 O_DIRECT 0 errno 0\npacket read 3\n" in res.stdout
    assert b"getrandom bad flag -1 errno 22\n" in res.stdout
    assert b"write ro -1 errno 9\nfsync pipe -1 errno 22\n" in res.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_lock_waits(build, arch, tc):
    """progs/lockwait.c: an F_OFD_SETLKW and a flock waiting on another thread's lock (they
    once waited until the time limit: the wait held every guest thread), an F_SETLKW on
    another process's lock interrupted by a handler (with SA_RESTART it once failed with EINTR
    too; Linux restarts it), with and without a second thread, and two processes' F_SETLKW in
    a deadlock (EDEADLK for one: the host kernel sees the wait only when a host thread makes
    the blocking call itself)."""
    res = same_as_qemu(arch, build("lockwait", arch, tc))
    assert b"holder: unlocking\nwaiter: F_OFD_SETLKW 0\n" in res.stdout
    assert b"holder: flock unlocking\nwaiter: flock 0\n" in res.stdout
    assert b"SA_RESTART: F_SETLKW 0 errno 0 handled 1\n" in res.stdout
    assert b"no SA_RESTART, threaded: F_SETLKW -1 errno 4 handled 1\n" in res.stdout
    assert b"SA_RESTART, threaded: F_SETLKW 0 errno 0 handled 1\n" in res.stdout
    assert res.stdout.endswith(b"deadlock: EDEADLK seen 1 time(s), other result ok 1\ndone\n")


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_cpu_affinity_is_the_hosts(build, arch, tc):
    """progs/affinity.c: sched_getaffinity says the host's CPUs with the kernel's mask size, as
    qemu-user does (it once said 8 bytes, 1 CPU, and took any size and any pid), a mask a
    thread sets is its own, one without an online CPU is EINVAL."""
    res = same_as_qemu(arch, build("affinity", arch, tc))
    assert b"count==online 1 count>=1 1\n" in res.stdout
    assert b"size 12: -1 errno 22\npid 999999: -1 errno 3\n" in res.stdout
    assert b"no online cpu: -1 errno 22\nunchanged: count 1\nset pid 999999: -1 errno 3\n" in res.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_errno_edge_cases(build, arch, tc):
    """progs/errnos.c: ~90 calls' results and errno values at their edges, as under qemu-user
    (and the host's kernel). Once different: clock_nanosleep TIMER_ABSTIME with a bad tv_nsec
    (0), O_TMPFILE (EOPNOTSUPP), F_DUPFD past RLIMIT_NOFILE (EMFILE), msync (always 0), musl's
    fchmodat with a flag (fchmodat2: stopped as an unknown call), mincore (the same)."""
    res = same_as_qemu(arch, build("errnos", arch, tc))
    assert res.stdout.startswith(b"clock_nanosleep abs bad      -22 0\n")
    assert b"open tmpfile                 0 0\ntmpfile linkat               0 0\n" \
           b"tmpfile named size           4 0\ntmpfile rdonly               -1 22\n" in res.stdout
    assert b"fcntl dupfd big              -1 22\n" in res.stdout
    assert b"msync bad flags              -1 22\nmsync unaligned              -1 22\n" \
           b"msync unmapped               -1 12\nmsync part unmapped          -1 12\n" in res.stdout
    assert b"mincore                      0 0\nmincore unaligned            -1 22\n" \
           b"mincore unmapped             -1 12\n" in res.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_openat2(build, arch, tc):
    """progs/openat2.c: openat2 opens as openat after the kernel's checks of struct open_how
    (it stopped as an unknown call). qemu-user 7.2 has no openat2 (ENOSYS for every line):
    the expected lines are the host kernel's (the program built natively)."""
    res = run(build("openat2", arch, tc), env=ENV, timeout=60)
    assert res.crash is None, res.crash
    assert res.stdout == (b"plain: 1 0\nread 1\nsmall size: -1 22\nbig size zero tail: 1 0\n"
                          b"big size nonzero tail: -1 7\nmode without creat: -1 22\nbad mode: -1 22\n"
                          b"creat: 1 0\nbeneath+in_root: -1 22\nbad resolve: -1 22\nhigh flags: -1 22\n"
                          b"missing: -1 2\n")


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_splice_signalfd_inotify(build, arch, tc):
    """splice, tee and vmsplice (pipes, a file at an offset, the errors), signalfd (signals
    blocked and pending read from it with their siginfo: raise, sigqueue's value, an alarm,
    a child's end; poll, a new mask, a blocking read) and inotify (a directory's events, the
    watch removed): refused by name before, now what qemu-user prints."""
    res = same_as_qemu(arch, build("fdevents", arch, tc))
    assert b"splice to file at 4=15 off=19\n" in res.stdout
    assert b"signo=12 code=-1 own pid=1 uid ok=1 int=42\n" in res.stdout
    assert b"child: read=128 signo=17 code=1 status=7 pid ok=1\n" in res.stdout
    assert b"wd=1 mask=0x8000 name=\n" in res.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_node_and_domain_names_are_the_hosts(build, arch, tc, tmp_path):
    """uname's nodename and domainname are the host's, as under qemu-user: BusyBox 1.35's
    hostname-works, -s, -i, -d tests failed under `xld run` only (it said "xld"). Under
    --root the sandbox keeps the machine anonymous."""
    import os
    exe = build("nodename", arch, tc)
    res = same_as_qemu(arch, exe)
    assert f"nodename={os.uname().nodename} ".encode() in res.stdout
    boxed = run(exe, argv=[], env=ENV, root=str(tmp_path), timeout=60)
    assert boxed.returncode == 0 and b"nodename=xld domainname=(none)" in boxed.stdout


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_umask_is_the_callers(build, arch, tc):
    """The program's first umask is its caller's, as under qemu-user: xld run started every
    program with 022, so BusyBox 1.35's "uuencode sets standard input mode correctly" (run
    under the test suite's umask 0) failed under `xld run` only."""
    import os
    exe = build("umaskof", arch, tc)
    for mask in (0o000, 0o027):
        old = os.umask(mask)
        try:
            res = same_as_qemu(arch, exe)
        finally:
            os.umask(old)
        assert res.stdout == f"umask={mask:03o} uuencode-mode={0o666 & ~mask:o}\n".encode()


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_affinity_reaches_an_execd_host_program(build, arch, tc):
    """A program pins itself to one CPU and execs a host program: that program runs on that
    CPU only, as under qemu-user; xld run kept the mask for the guest's threads only, so
    BusyBox 1.35's "taskset (set_aff, needs CAP_SYS_NICE)" failed under `xld run` only."""
    exe = build("affexec", arch, tc)
    res = same_as_qemu(arch, exe)
    first = res.stdout.split(b"\n")[0].split()[-1]
    assert res.returncode == 0 and res.stdout.splitlines()[1].split() == [b"Cpus_allowed_list:", first]


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_record_locks_outlive_munmap(build, arch, tc, tmp_path):
    """progs/maplock.c: POSIX record locks stay held across mmap/munmap and mremap of the
    locked file, and go at the close of any descriptor of it, a dup's too, as on Linux.
    `xld run` once closed a mapping's own descriptor at munmap, which let every lock of the
    process on the file go (SQLite's mmap_size and WAL -shm pattern), and kept them at the
    close of a dup (the host descriptor stayed open)."""
    res = same_as_qemu(arch, build("maplock", arch, tc), [str(tmp_path / "maplock.dat")])
    assert b"after munmap: byte 100 write-locked, byte 200 read-locked\n" in res.stdout
    assert b"after mremap: byte 100 write-locked, byte 200 read-locked\n" in res.stdout
    assert res.stdout.endswith(b"after close of a dup: byte 100 free, byte 200 free\n"
                               b"mapped after close x\n")
    # (the run was in this process: no descriptor of a file it mapped is left open)
    fds = [os.readlink(f"/proc/self/fd/{n}") for n in os.listdir("/proc/self/fd")
           if os.path.exists(f"/proc/self/fd/{n}")]
    assert not [p for p in fds if p.startswith(str(tmp_path))]
