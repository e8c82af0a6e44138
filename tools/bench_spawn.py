"""The benchmark's process starter: a small, long-lived process that starts each measured
command and reports its wall time, CPU time and peak RSS (tools/bench.py).

Why a separate process: Linux counts in a process's peak RSS (ru_maxrss) the resident size of
the memory it had when it called exec, i.e. the copy of its parent's memory that fork or vfork
gave it. A command started by the benchmark itself, whose Python process may hold hundreds of
MiB after generating a corpus, would report at least the benchmark's own peak: every linker read
206.7 MB in one run, GNU ld's hello included. Started from here, a command's floor is this
process's few MiB, which the benchmark records beside the numbers (``floor_kb``).

Protocol, one JSON object per line: request {"argv", "cwd", "env", "timeout", "stdout",
"stderr"} (the last two: paths of files for the command's output) on stdin; reply {"wall",
"cpu", "maxrss_kb", "rc", "timed_out", "error"} on stdout. Run with ``python -I -S`` so that
nothing but the few modules below is loaded.
"""

import json
import os
import signal
import sys
import time


def run(req: dict) -> dict:
    out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    argv, env, cwd = req["argv"], req.get("env"), req.get("cwd")
    r, w = os.pipe()                       # the child's exec error, if any, comes back here
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setsid()                    # (its own process group: a timeout kills all of it)
            os.set_inheritable(w, False)
            for fd, to in ((null, 0), (out, 1), (err, 2)):
                os.dup2(fd, to)
            if cwd:
                os.chdir(cwd)
            if env is None:
                os.execvp(argv[0], argv)
            os.execvpe(argv[0], argv, env)
        except BaseException as e:  # noqa: BLE001 - any failure before exec goes to the parent
            os.write(w, f"cannot run {argv[0]}: {e}".encode(errors="replace"))
        os._exit(127)
    for fd in (w, out, err, null):
        os.close(fd)
    timed_out = False
    timeout = req.get("timeout")

    def kill(*_):
        nonlocal timed_out
        timed_out = True
        try:                               # the command and what it started (gcc: collect2, ld)
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    if timeout:
        signal.signal(signal.SIGALRM, kill)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    while True:
        try:
            _, status, ru = os.wait4(pid, 0)
            break
        except InterruptedError:
            continue
    wall = time.perf_counter() - t0
    if timeout:
        signal.setitimer(signal.ITIMER_REAL, 0)
    error = b""
    while chunk := os.read(r, 4096):
        error += chunk
    os.close(r)
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss,
            "rc": os.waitstatus_to_exitcode(status), "timed_out": timed_out,
            "error": error.decode(errors="replace")}


def main() -> None:
    for line in sys.stdin:
        try:
            reply = run(json.loads(line))
        except Exception as e:  # noqa: BLE001 - the benchmark reports it and carries on
            reply = {"error": f"the process starter failed: {e!r}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
