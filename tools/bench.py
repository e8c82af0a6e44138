"""Link-time benchmark (issues 7 and 17): xld against GNU ld, lld and mold, on the same inputs.

Two kinds of input, both compiled here once per arch and cached:

- real programs (tools/programs.py: hello, a 45-object interpreter, a compressor, a C++17
  program), linked the way a user links them: `aarch64-linux-gnu-gcc -static -B DIR objects
  -lm -o OUT` (g++ for C++), where DIR/ld runs the linker under test (GNU ld: the driver's own
  default, no -B). hello and the interpreter are also linked as gcc's default dynamic PIE. Each
  output must print what GNU ld's output printed.
- generated C corpora (tools/corpus.py) in two shapes, linked with exactly the words of the
  driver's collect2 line (`gcc -static -###`), plus static and dynamic hello, a --gc-sections
  link and a -shared link.

Linkers run alternately, one warm-up round then `--reps` timed rounds; for each run the wall
time (perf_counter around fork..wait) and CPU time (user + system) come from os.wait4, i.e. the
kernel's rusage of the process tree the benchmark waits for (the linker; or the driver, collect2
and the linker), and peak RSS is the larger of that tree's (the largest process in it) and what
the linker reports of itself on stderr ('N MiB peak RSS', as `xld --stats` prints: a linker
that works in a server process must report the server's peak this way). Every output is run
under qemu-user and must print the expected text (an output byte-identical to one that already
did is not run again). A linker that fails is reported as "failed: <its first error line>" and
the benchmark carries on. At the end, issue 17's budget is checked (PASS/FAIL per case).

    python -m xld.tools.bench                       # arm64+riscv64, everything (see docs/benchmarks.md)
    python -m xld.tools.bench --programs-only       # the real programs only
    python -m xld.tools.bench --quick               # tiny sizes, hello only, 2 reps: a smoke test
    python -m xld.tools.bench --arch arm64 --sizes 400x50 --linkers xld,ld --profile
    python -m xld.tools.bench --report bench-results/X.json   # a record as Markdown tables

The emulator benchmark (tools/bench_emu.py) runs afterwards when it is importable. Results: a
table on stdout, a JSON record under bench-results/ (or --json FILE). See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.util
import json
import math
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from xld.tools import corpus as corpus_mod
from xld.tools import programs as programs_mod
from xld.tools.corpus import ARCH_ALIASES, CFLAGS, CROSS_CC, GC_CFLAGS, CorpusSpec

LINKERS = ("xld", "ld", "lld", "mold")
REFERENCE = ("ld", "lld", "mold")
TRIPLE = {"arm64": "aarch64-linux-gnu", "riscv64": "riscv64-linux-gnu"}
QEMU = {"arm64": "qemu-aarch64", "riscv64": "qemu-riscv64"}
DEFAULT_SIZES = "50x20,400x50,1200x50,400x50:b"
QUICK_SIZES = "4x5,20x10,4x5:b"
DEFAULT_PROGRAMS = "hello,interp,compress,cxx"
QUICK_PROGRAMS = "hello"
HELLO_C = '#include <stdio.h>\n\nint main(void)\n{\n    printf("hello, %s\\n", "world");\n    return 0;\n}\n'
HELLO_OUT = "hello, world"

# What issue 17 asks of xld (medians, xld / GNU ld in the same run), checked on every run.
BUDGET_HELLO_VS_LD = 1.5              # static hello: gcc's link line, and through gcc -B
BUDGET_C_PROGRAMS_VS_LD = 1.2         # real C programs, static, through gcc -B
BUDGET_CXX_VS_LD = 1.2                # the real C++ program, static, through g++ -B
BUDGET_WALL_VS_LD = {"arm64": 1.0, "riscv64": 0.6}   # synthetic corpora at BUDGET_SIZES, any shape
BUDGET_SIZES = ("400x50", "1200x50")
BUDGET_GC_VS_LD = 1.0                 # --gc-sections at 400x50
BUDGET_RSS_VS_LD = 1.5                # peak RSS on the large corpora (BUDGET_SIZES, gc included)
BUDGET_DYNAMIC_VS_LD = 1.2            # dynamic links: PIE hello, PIE C program, -shared
BUDGET_LINEAR = 1.5    # issue 7: marginal CPU cost per MB, upper half of the sizes over lower half


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- running one process and measuring it ------------------------------------------------------

@dataclass
class Run:
    wall: float          # seconds
    cpu: float           # seconds, user + system
    rss_kb: int          # peak resident set size
    rc: int
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    rss_tree_kb: int = 0     # the kernel's number (rusage), before a linker's own report is taken
    rss_reported_kb: int = 0  # the peak the linker itself reported (see reported_peak_kb)
    cpu_server: float = 0.0  # seconds of CPU the linker reported spending in a server (added to cpu)


class Starter:
    """The process that starts measured commands (tools/bench_spawn.py): a command's peak RSS
    as the kernel counts it includes the memory of the process that started it, so they are
    started from this small process, not from the benchmark's (see that file). One per run of
    the benchmark, started on first use; ``floor_kb`` is its own resident peak, below which a
    command's RSS reading says nothing."""

    _proc: "subprocess.Popen | None" = None
    _lock = threading.Lock()

    @classmethod
    def call(cls, req: dict) -> dict:
        with cls._lock:
            if cls._proc is None or cls._proc.poll() is not None:
                script = Path(__file__).with_name("bench_spawn.py")
                cls._proc = subprocess.Popen([sys.executable, "-I", "-S", str(script)],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             text=True, bufsize=1)
            cls._proc.stdin.write(json.dumps(req) + "\n")
            cls._proc.stdin.flush()
            line = cls._proc.stdout.readline()
        if not line:
            return {"error": "the process starter (tools/bench_spawn.py) ended"}
        return json.loads(line)

    @classmethod
    def floor_kb(cls) -> int:
        """The starter's peak resident size (VmHWM), 0 if it is not running."""
        if cls._proc is None:
            return 0
        try:
            status = Path(f"/proc/{cls._proc.pid}/status").read_text()
        except OSError:
            return 0
        m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        return int(m.group(1)) if m else 0


def measure(argv: list[str], cwd: Path | None = None, timeout: float | None = None,
            env: dict | None = None) -> Run:
    """Run argv to completion; wall time, CPU time and peak RSS of that process tree (os.wait4
    in the process starter, which starts it)."""
    with tempfile.TemporaryDirectory(prefix="xld-bench-run-") as tmp:
        out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
        reply = Starter.call({"argv": [str(a) for a in argv], "cwd": str(cwd) if cwd else None,
                              "env": dict(os.environ) if env is None else env, "timeout": timeout,
                              "stdout": str(out), "stderr": str(err)})
        if "rc" not in reply or reply.get("error"):
            return Run(0.0, 0.0, 0, 127, "", reply.get("error") or f"cannot run {argv[0]}")
        return Run(reply["wall"], reply["cpu"], reply["maxrss_kb"], reply["rc"],
                   out.read_bytes().decode(errors="replace"), err.read_bytes().decode(errors="replace"),
                   reply["timed_out"])


PEAK_RE = re.compile(r"(\d+(?:\.\d+)?)\s*MiB peak RSS")
SERVER_CPU_RE = re.compile(r"(\d+(?:\.\d+)?)\s*ms server CPU")


def reported_peak_kb(stderr: str) -> int:
    """The largest 'N MiB peak RSS' a linker printed (xld --stats prints one per pass), in kB.

    The kernel's rusage covers the process tree the benchmark waits for (the compiler driver,
    collect2 and the linker; os.wait4 gives the largest of them); a linker that does its work
    elsewhere (a link server) must say what that work used, in these words, for its peak to be
    counted. The benchmark takes the larger of the two.
    """
    peaks = [float(m.group(1)) for m in PEAK_RE.finditer(stderr)]
    return int(max(peaks) * 1024) if peaks else 0


def reported_server_cpu(stderr: str) -> float:
    """Seconds of CPU a linker says it spent outside the process the benchmark started: a line
    'N ms server CPU' (the largest, if several). The kernel's rusage cannot see a server's work;
    a linker that links in the process it was started in must not print this."""
    cpu = [float(m.group(1)) for m in SERVER_CPU_RE.finditer(stderr)]
    return max(cpu) / 1000 if cpu else 0.0


def with_reported_peak(run: Run) -> Run:
    """The linker's own reports taken into the run: peak RSS (the larger of the kernel's and the
    linker's), CPU (the kernel's plus what the linker spent in a server)."""
    run.rss_tree_kb = run.rss_kb
    run.rss_reported_kb = reported_peak_kb(run.stderr)
    run.rss_kb = max(run.rss_kb, run.rss_reported_kb)
    run.cpu_server = reported_server_cpu(run.stderr)
    run.cpu += run.cpu_server
    return run


def first_error(run: Run) -> str:
    """The line that says what went wrong: the first line of stderr (the last one of a traceback)."""
    if run.timed_out:
        return "timed out"
    lines = [ln.strip() for ln in (run.stderr or run.stdout).splitlines() if ln.strip()]
    if not lines:
        return f"exit status {run.rc}"
    if lines[0].startswith("Traceback"):
        return lines[-1][:200]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return (errors or lines)[0][:200]


# ---- toolchains and link command lines ----------------------------------------------------------

def tool_version(argv: list[str]) -> str:
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    lines = (r.stdout or r.stderr).strip().splitlines()
    return lines[0].strip() if lines else "?"


def xld_command(override: str | None) -> list[str]:
    if override:
        return shlex.split(override)
    # the console script installed with this Python, not one found first on PATH: a version
    # manager's shim (pyenv's is a shell script that adds ~70 ms of its own to every run) or
    # another installation, which would measure other code than this
    exe = os.path.join(os.path.dirname(sys.executable), "xld")
    return [exe] if os.access(exe, os.X_OK) else [sys.executable, "-m", "xld.link"]


def _xld_wrapper(xld: list[str], d: Path) -> bool:
    """xld's -B directory as users make it (``xld install-ld-wrapper DIR``: the lean client of
    the warm server, link/client.py, or link/client.c compiled); False if this xld cannot.
    DIR/ld is what users run: the driver cases ask for ``--stats`` with ``-Wl,--stats``
    (make_driver_wrappers; a sh line adding it in front of the compiled client cost ~1 ms a
    link that users do not pay: 1.6 ms in a cgroup at load 18).  The compiled client is also
    DIR/ld-client, which the direct cases run."""
    try:
        r = subprocess.run([*xld, "install-ld-wrapper", str(d)], capture_output=True, text=True,
                           timeout=120)
        data = (d / "ld").read_bytes()
    except (OSError, subprocess.TimeoutExpired):
        return False
    if r.returncode != 0:
        return False
    if data.startswith(b"\x7fELF"):
        shutil.copy2(d / "ld", d / "ld-client")
        return True
    return '"$@"' in data.decode("utf-8", "surrogateescape")


def _wrapper_line(ld: Path) -> str:
    """What a -B directory's ld runs, for the record: its last line, or the compiled client."""
    data = ld.read_bytes()
    if data.startswith(b"\x7fELF"):
        return "the compiled lean client (xld install-ld-wrapper)"
    return data.decode("utf-8", "replace").splitlines()[-1]


@dataclass
class Toolchain:
    """One target: its compiler, qemu, and the collect2 arguments of `gcc -static`."""
    arch: str
    cc: str
    qemu: str
    template: list[str]      # collect2 arguments with @OUT@ and @OBJ@ placeholders
    linkers: dict[str, list[str] | None]   # name -> argv prefix (None: not installed)
    dyn_template: list[str] = field(default_factory=list)   # the same for gcc's default (PIE) link
    shared_template: list[str] = field(default_factory=list)  # and for gcc -shared
    driver_flags: dict[str, list[str] | None] = field(default_factory=dict)   # gcc -B DIR per linker

    def make_driver_wrappers(self, where: Path, via_client: bool = True) -> None:
        """What a user does to make `gcc` link with another linker: a directory whose `ld` runs
        it, named with -B (xld's documented way, docs/build-systems.md). GNU ld is the driver's
        default. lld and mold get a -B directory too: Debian's cross gcc cannot find ld.lld for
        -fuse-ld=lld, and mold's own ld (and -fuse-ld=mold) forks, so its work would go uncounted
        (see --no-fork in probe)."""
        self.driver_flags = {}
        for name, cmd in self.linkers.items():
            if cmd is None:
                self.driver_flags[name] = None
                continue
            if name == "ld":
                self.driver_flags[name] = []
                continue
            words = [w for w in cmd if w not in ("-static",)]
            d = where / name
            d.mkdir(parents=True, exist_ok=True)
            if name == "xld":
                words = words[:words.index("--arch")]      # the driver says which machine
                if _xld_wrapper(words, d):
                    self.driver_flags[name] = ["-B", str(d), "-Wl,--stats"]
                    if via_client and (d / "ld-client").exists():
                        # the direct cases too run the `ld` users install (the compiled lean
                        # client), not the console script, which pays Python's start-up
                        self.linkers[name] = [str(d / "ld-client"), *cmd[cmd.index("--arch"):]]
                    continue
                words.append("--stats")
            (d / "ld").write_text("#!/bin/sh\nexec " + shlex.join(words) + ' "$@"\n')
            (d / "ld").chmod(0o755)
            self.driver_flags[name] = ["-B", str(d)]

    @staticmethod
    def _template(cc: str, flags: list[str]) -> list[str]:
        r = subprocess.run([cc, *flags, "-###", "-o", "@OUT@", "@OBJ@.o"], capture_output=True, text=True)
        lines = [ln for ln in r.stderr.splitlines() if "collect2" in ln and "@OBJ@.o" in ln]
        if r.returncode != 0 or not lines:
            raise RuntimeError(f"cannot get the link command from {cc} {' '.join(flags)} -###:\n{r.stderr}")
        words = shlex.split(lines[-1])[1:]        # drop collect2 itself
        template, skip = [], False
        for w in words:
            if skip:
                skip = False
            elif w == "-plugin":
                skip = True                      # LTO plugin: GNU ld only, and no LTO here
            elif not w.startswith("-plugin-opt"):
                template.append(w)
        return template

    @classmethod
    def probe(cls, arch: str, xld: list[str]) -> "Toolchain":
        cc = CROSS_CC[arch]
        template = cls._template(cc, ["-static"])
        dyn_template = cls._template(cc, [])
        shared_template = cls._template(cc, ["-shared"])
        gnu_ld = f"{TRIPLE[arch]}-ld"
        linkers = {
            "xld": [*xld, "--arch", arch, "-static"],
            "ld": [gnu_ld] if shutil.which(gnu_ld) else None,
            "lld": ["ld.lld"] if shutil.which("ld.lld") else None,
            # --no-fork: by default mold's parent returns before its child has finished
            # (unmapping the output); its child's CPU and memory would then go uncounted.
            "mold": ["mold", "--no-fork"] if shutil.which("mold") else None,
        }
        return cls(arch, cc, QEMU[arch], template, linkers, dyn_template, shared_template)

    def link_args(self, output: str, objects: list[str], extra: list[str] = (),
                  dynamic: bool = False, shared: bool = False) -> list[str]:
        """The driver's arguments with our output and objects in place (`extra` before -o)."""
        args: list[str] = []
        template = self.shared_template if shared else self.dyn_template if dynamic else self.template
        for w in template:
            if w == "@OBJ@.o":
                args += objects
            elif w == "@OUT@":
                args.append(output)
            elif w == "-o":
                args += [*extra, w]
            else:
                args.append(w)
        return args

    def versions(self) -> dict[str, str]:
        v = {"cc": tool_version([self.cc, "--version"]), "qemu": tool_version([self.qemu, "--version"])}
        for name, cmd in self.linkers.items():
            if cmd:
                prefix = cmd[:cmd.index("--arch")] if name == "xld" else cmd[:1]
                v[name] = tool_version([*prefix, "--version"])
        return v


# ---- cases ---------------------------------------------------------------------------------------

@dataclass
class Case:
    arch: str
    name: str                # "400x50", "hello", "gc 400x50"
    kind: str                # "corpus", "hello", "gc"
    objects: list[Path]
    expected: str
    extra: list[str] = field(default_factory=list)
    functions: int = 0
    dynamic: bool = False    # gcc's default link (a dynamic PIE against libc.so), run with -L sysroot
    shared: bool = False     # gcc -shared of every object but main.o, which GNU ld links to check it
    main_object: Path | None = None
    driver: list[str] | None = None   # a real program: linked by `gcc [-static] -B DIR objects libs -o OUT`
    libs: list[str] = field(default_factory=list)
    lang: str = "c"

    @property
    def slug(self) -> str:
        return self.name.replace(" ", "-")

    @property
    def input_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.objects)


def hello_case(arch: str, cache: Path) -> Case:
    src = cache / "src" / "hello" / "hello.c"
    src.parent.mkdir(parents=True, exist_ok=True)
    if not src.exists() or src.read_text() != HELLO_C:
        src.write_text(HELLO_C)
    [obj] = corpus_mod.compile_sources(CROSS_CC[arch], [src], cache / arch / "hello", CFLAGS)
    return Case(arch, "hello", "hello", [obj], HELLO_OUT)


def dynamic_hello_case(arch: str, cache: Path) -> Case:
    """The same program, linked as gcc links by default: a dynamic PIE (compiled -fPIE)."""
    src = cache / "src" / "hello" / "hello.c"
    src.parent.mkdir(parents=True, exist_ok=True)
    if not src.exists() or src.read_text() != HELLO_C:
        src.write_text(HELLO_C)
    [obj] = corpus_mod.compile_sources(CROSS_CC[arch], [src], cache / arch / "hello-pie", [*CFLAGS, "-fPIE"])
    return Case(arch, "dynamic hello", "dynhello", [obj], HELLO_OUT, dynamic=True)


def shared_case(arch: str, spec: CorpusSpec, cache: Path, jobs: int | None) -> Case:
    """The corpus (compiled -fPIC) but main.o as a shared library: a `-shared` link."""
    built = corpus_mod.build(spec, arch, cache, (*CFLAGS, "-fPIC"), jobs, log=lambda m: log(f"{arch}: {m}"))
    main, *rest = built.objects
    return Case(arch, f"shared {spec.size}", "shared", rest, built.expected, [], built.info.get("functions", 0),
                dynamic=True, shared=True, main_object=main)


def program_case(tc: "Toolchain", prog: programs_mod.Program, cache: Path, outdir: Path, jobs: int | None,
                 timeout: float, dynamic: bool = False) -> Case:
    """A real program (tools/programs.py), compiled for tc.arch and linked through the compiler
    driver; it must print what it prints when the driver links it with GNU ld (its default)."""
    built = programs_mod.build(prog, tc.arch, cache, pie=dynamic, jobs=jobs, log=lambda m: log(f"{tc.arch}: {m}"))
    driver = [built.driver] + ([] if dynamic else ["-static"])
    ref = outdir / f"reference-{tc.arch}-{prog.name}{'-dynamic' if dynamic else ''}"
    r = subprocess.run([*driver, *map(str, built.objects), *prog.libs, "-o", str(ref)],
                       capture_output=True, text=True, env=LINK_ENV)
    if r.returncode != 0:
        raise RuntimeError(f"{built.driver} cannot link {prog.name} with GNU ld:\n{r.stderr}")
    sysroot = ["-L", f"/usr/{TRIPLE[tc.arch]}"] if dynamic else []
    r = subprocess.run([tc.qemu, *sysroot, str(ref)], capture_output=True, text=True, timeout=timeout)
    ref.unlink(missing_ok=True)
    if r.returncode != 0 or not r.stdout.strip():
        raise RuntimeError(f"{prog.name} linked by GNU ld does not run under {tc.qemu}: exit {r.returncode}\n{r.stderr}")
    cmd = "g++" if prog.lang == "c++" else "gcc"
    name = f"{cmd} {'dynamic ' if dynamic else ''}{prog.name}"
    return Case(tc.arch, name, "dynprogram" if dynamic else "program", list(built.objects), r.stdout.strip(),
                dynamic=dynamic, driver=driver, libs=list(prog.libs), lang=prog.lang)


def corpus_case(arch: str, spec: CorpusSpec, cache: Path, jobs: int | None, gc: bool = False) -> Case:
    built = corpus_mod.build(spec, arch, cache, GC_CFLAGS if gc else CFLAGS, jobs, log=lambda m: log(f"{arch}: {m}"))
    if gc:
        return Case(arch, f"gc {spec.size}", "gc", built.objects, built.expected, ["--gc-sections"],
                    built.info.get("functions", 0))
    return Case(arch, spec.size, "corpus", built.objects, built.expected, [], built.info.get("functions", 0))


# ---- benchmarking one case ----------------------------------------------------------------------

@dataclass
class Result:
    linker: str
    status: str = "ok"
    runs: list[Run] = field(default_factory=list)
    output_bytes: int = 0
    passes: dict[str, float] = field(default_factory=dict)   # xld --stats: median per pass of the timed runs
    warmup_passes: dict[str, float] = field(default_factory=dict)   # and of the warm-up run
    pass_runs: list[dict[str, float]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.runs)

    def median(self, attr: str) -> float | None:
        return statistics.median(getattr(r, attr) for r in self.runs) if self.ok else None

    def to_json(self) -> dict:
        d = {"status": self.status, "n": len(self.runs), "output_bytes": self.output_bytes}
        if self.ok:
            d.update(wall=self.median("wall"), cpu=self.median("cpu"), rss_mb=self.median("rss_kb") / 1024,
                     rss_rusage_mb=self.median("rss_tree_kb") / 1024,
                     runs=[{"wall": r.wall, "cpu": r.cpu, "rss_kb": r.rss_kb, "rss_rusage_kb": r.rss_tree_kb,
                            "rss_reported_kb": r.rss_reported_kb, "cpu_server": r.cpu_server} for r in self.runs])
            if any(r.rss_reported_kb for r in self.runs):
                d["rss_reported_mb"] = self.median("rss_reported_kb") / 1024
        if self.passes:
            d["passes_ms"] = self.passes
        if self.warmup_passes:
            d["warmup_passes_ms"] = self.warmup_passes
        return d


def check_output(tc: Toolchain, exe: Path, expected: str, timeout: float, dynamic: bool = False) -> str | None:
    """None if `exe` runs under qemu-user and prints `expected`; else what went wrong.

    A failure is tried once more: on a shared machine qemu has been seen to exit 1 without a
    word on an output that runs fine before and after.
    """
    wrong = _check_once(tc, exe, expected, timeout, dynamic)
    if wrong:
        wrong = _check_once(tc, exe, expected, timeout, dynamic) and wrong
    return wrong


def check_shared(tc: Toolchain, case: Case, lib: Path, outdir: Path, timeout: float) -> str | None:
    """A shared library is checked through a program: main.o linked against it by GNU ld
    (the compiler driver), run under qemu-user with the sysroot."""
    d = outdir / f"check-{case.arch}-{case.slug}"
    d.mkdir(exist_ok=True)
    shutil.copyfile(lib, d / "libcorpus.so")
    exe = d / "main"
    r = subprocess.run([tc.cc, str(case.main_object), "-L", str(d), "-lcorpus", f"-Wl,-rpath,{d}", "-o", str(exe)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return f"wrong output: GNU ld cannot link a program against it ({(r.stderr.strip().splitlines() or ['?'])[-1][:100]})"
    return check_output(tc, exe, case.expected, timeout, dynamic=True)


def _check_once(tc: Toolchain, exe: Path, expected: str, timeout: float, dynamic: bool = False) -> str | None:
    sysroot = ["-L", f"/usr/{TRIPLE[tc.arch]}"] if dynamic else []
    try:
        r = subprocess.run([tc.qemu, *sysroot, str(exe)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "wrong output: timed out under qemu"
    got = r.stdout.strip()
    if r.returncode != 0:
        detail = (r.stderr.strip().splitlines() or [got[:80]])[0][:120]
        return f"wrong output: exit status {r.returncode} under qemu ({detail})"
    if got != expected:
        return f"wrong output: {got[:60]!r}, expected {expected!r}"
    return None


def file_digest(path: Path) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.digest()


def parse_stats(stderr: str) -> dict[str, float]:
    """xld --stats lines '   name:   12.34 ms' -> {name: ms}."""
    out = {}
    for ln in stderr.splitlines():
        name, sep, rest = ln.partition(":")
        words = rest.split()
        if sep and len(words) >= 2 and words[1] == "ms":
            try:
                out[name.strip()] = float(words[0])
            except ValueError:
                pass
    return out


# Users' Python caches bytecode; this environment may say not to (PYTHONDONTWRITEBYTECODE), which
# would add compiling xld's modules to every timed link.  The warm-up run writes the cache.
LINK_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def bench_case(tc: Toolchain, case: Case, linkers: list[str], opts, outdir: Path) -> dict[str, Result]:
    """Warm-up round, then opts.reps timed rounds, linkers alternating (the order rotates)."""
    objdir = case.objects[0].parent
    objects = [p.name if p.parent == objdir else str(p) for p in case.objects]
    results = {name: Result(name) for name in linkers}
    planned: dict[str, int] = {}
    verified: dict[str, set[bytes]] = {}    # digests of outputs that ran correctly, per linker

    def link(name: str) -> tuple[Run, Path]:
        out = outdir / f"{case.arch}-{case.slug}.{name}"
        out.unlink(missing_ok=True)
        if case.driver:
            argv = [*case.driver, *tc.driver_flags[name], *objects, *case.libs, "-o", str(out)]
        else:
            # xld always with --stats: its per-pass times, and its own peak RSS (reported_peak_kb)
            prefix = [w for w in tc.linkers[name] if not (case.dynamic and w == "-static")]
            argv = [*prefix, *(["--stats"] if name == "xld" else []),
                    *tc.link_args(str(out), objects, case.extra, case.dynamic, case.shared)]
        return with_reported_peak(measure(argv, cwd=objdir, timeout=opts.timeout, env=LINK_ENV)), out

    def attempt(name: str, timed: bool) -> None:
        res = results[name]
        run, out = link(name)
        if run.rc != 0 or not out.exists():
            res.status = f"failed: {first_error(run)}"
            res.runs.clear()
        else:
            if not timed:
                res.output_bytes = out.stat().st_size
                if name == "xld":
                    res.passes = res.warmup_passes = parse_stats(run.stderr)
            wrong = None
            if opts.verify == "all" or not timed:
                digest = file_digest(out)
                if digest not in verified.setdefault(name, set()):
                    if case.shared:
                        wrong = check_shared(tc, case, out, outdir, opts.run_timeout)
                    else:
                        wrong = check_output(tc, out, case.expected, opts.run_timeout, case.dynamic)
                    if not wrong:
                        verified[name].add(digest)
            if wrong:
                res.status = wrong
                res.runs.clear()
            elif timed:
                res.runs.append(run)
                if name == "xld" and (p := parse_stats(run.stderr)):
                    res.pass_runs.append(p)
                    res.passes = {k: statistics.median(r.get(k, 0.0) for r in res.pass_runs) for k in p}
        out.unlink(missing_ok=True)
        if not timed:
            if res.status == "ok" and run.wall * 2 > opts.budget:
                res.runs.append(run)             # too slow to repeat: the warm-up is the sample
                planned[name] = 1
            else:
                n = max(1, min(opts.reps, int(opts.budget // max(run.wall, 1e-3)) - 1))
                if run.wall * n < opts.min_time:    # fast links are noisy: repeat them more
                    n = min(4 * opts.reps, math.ceil(opts.min_time / max(run.wall, 1e-3)))
                planned[name] = n

    for name in linkers:
        if tc.linkers.get(name) is None or (case.driver and tc.driver_flags.get(name) is None):
            results[name].status = "not installed"
            continue
        attempt(name, timed=False)
    for rep in range(max(planned.values(), default=0)):
        k = rep % len(linkers)
        for name in linkers[k:] + linkers[:k]:
            res = results[name]
            if res.status == "ok" and len(res.runs) < planned.get(name, 0):
                attempt(name, timed=True)
    return results


def ratios(results: dict[str, Result]) -> dict[str, dict[str, float]]:
    """xld/<reference> of the medians: wall, cpu, rss."""
    out = {}
    x = results.get("xld")
    if not x or not x.ok:
        return out
    for ref in REFERENCE:
        r = results.get(ref)
        if r and r.ok:
            out[f"xld/{ref}"] = {"wall": x.median("wall") / r.median("wall"),
                                 "cpu": x.median("cpu") / max(r.median("cpu"), 1e-6),
                                 "rss": x.median("rss_kb") / r.median("rss_kb")}
    return out


# ---- reporting -----------------------------------------------------------------------------------

def fmt(v: float | None, spec: str) -> str:
    if v is None:
        width = "".join(ch for ch in spec.split(".")[0] if ch.isdigit())
        return "-".rjust(int(width or 0))
    return format(v, spec)


def case_table(case: Case, results: dict[str, Result]) -> str:
    head = f"{case.arch} {case.name}: {len(case.objects)} objects, {case.input_bytes / 2**20:.1f} MB"
    if case.functions:
        head += f", {case.functions} functions"
    first, *more = case.expected.splitlines() or [""]
    head += f"; expects '{first}'" + (f" and {len(more)} more lines" if more else "")
    lines = [head, f"  {'linker':<6} {'wall s':>8} {'cpu s':>8} {'rss MB':>8} {'out MB':>8} {'n':>3}  status"]
    for name, r in results.items():
        lines.append(f"  {name:<6} {fmt(r.median('wall'), '8.3f')} {fmt(r.median('cpu'), '8.3f')} "
                     f"{fmt(r.median('rss_kb') and r.median('rss_kb') / 1024, '8.1f')} "
                     f"{fmt(r.output_bytes / 2**20 if r.output_bytes else None, '8.2f')} {len(r.runs):>3}  {r.status}")
    x = results.get("xld")
    if x and x.ok and x.passes:
        top = sorted(((ms, name) for name, ms in x.passes.items() if name != "total"), reverse=True)[:6]
        lines.append("  xld --stats (medians): " + ", ".join(f"{name} {ms:.0f}" for ms, name in top) + " ms")
    rat = ratios(results)
    if rat:
        lines.append("  " + "; ".join(f"{k}: wall {v['wall']:.2f}x cpu {v['cpu']:.2f}x rss {v['rss']:.2f}x"
                                      for k, v in rat.items()))
    return "\n".join(lines)


def _slope(t: list, mb: list, i: int, j: int) -> float | None:
    """ms per MB of objects from size i to size j."""
    if t[i] is None or t[j] is None or mb[j] == mb[i]:
        return None
    return (t[j] - t[i]) * 1000 / (mb[j] - mb[i])


def scaling(records: list[dict], arch: str, linkers: list[str]) -> tuple[str, dict]:
    """Median wall and CPU per corpus size, and the marginal cost (ms per MB of objects).

    `halves` compares the slope over the lower half of the sizes with the slope over the upper
    half (first..middle, middle..last): 1.0 is linear, more means it grows faster than the input.
    """
    rows = [r for r in records if r["arch"] == arch and r["kind"] == "corpus" and ":" not in r["case"]]
    rows.sort(key=lambda r: r["input_bytes"])
    if len(rows) < 2:
        return "", {}
    mb = [r["input_bytes"] / 2**20 for r in rows]
    mid = len(rows) // 2
    head = f"  {'linker':<10}" + "".join(f"{r['case'] + f' ({m:.0f} MB)':>17}" for r, m in zip(rows, mb))
    head += f"{'ms/MB lower half':>18}{'upper half':>12}{'upper/lower':>13}"
    lines = [f"{arch} scaling: median seconds per size; marginal ms per MB of objects, "
             f"{rows[0]['case']}>{rows[mid]['case']} and {rows[mid]['case']}>{rows[-1]['case']}", head]
    curve = {}
    for name in linkers:
        entry = {"sizes": [r["case"] for r in rows], "input_mb": mb}
        for metric in ("wall", "cpu"):
            t = [r["results"].get(name, {}).get(metric) for r in rows]
            if all(v is None for v in t):
                continue
            lower = _slope(t, mb, 0, mid) if len(rows) >= 3 else None
            upper = _slope(t, mb, mid, len(rows) - 1)
            ratio = upper / lower if lower and upper is not None and lower > 0 else None
            entry[metric] = t
            entry[f"{metric}_marginal_ms_per_mb"] = [_slope(t, mb, i, i + 1) for i in range(len(rows) - 1)]
            entry[f"{metric}_halves"] = {"lower": lower, "upper": upper, "ratio": ratio}
            lines.append(f"  {name + ' ' + metric:<10}" + "".join(f"{fmt(v, '17.3f')}" for v in t)
                         + f"{fmt(lower, '18.1f')}{fmt(upper, '12.1f')}{fmt(ratio, '13.2f')}")
        if "wall" in entry or "cpu" in entry:
            curve[name] = entry
    return "\n".join(lines), curve


def budget_checks(records: list[dict], curves: dict[str, dict]) -> list[dict]:
    """Issue 17's budget, one row per case it judges: xld's median over GNU ld's, same run."""
    checks = []

    def check(rec: dict | None, arch: str, row: str, what: str, value: float | None, limit: float,
              why: str = "") -> None:
        status = "n/a" if value is None else ("PASS" if value <= limit else "FAIL")
        case = rec["case"] if rec else ""
        checks.append({"check": f"{arch} {case} {what}".replace("  ", " ") if rec else f"{arch} {what}",
                       "arch": arch, "row": row, "case": case, "metric": what.split(" xld/ld")[0],
                       "value": value, "limit": limit, "status": status, "note": why})

    def xld_vs_ld(rec: dict, key: str) -> tuple[float | None, str]:
        x, ld = rec["results"].get("xld"), rec["results"].get("ld")
        if not x or x["status"] != "ok":
            return None, "xld " + (x["status"].split(":")[0] if x else "not run")
        if not ld or ld["status"] != "ok":
            return None, "ld " + (ld["status"].split(":")[0] if ld else "not run")
        return x[key] / ld[key], ""

    def size(rec: dict) -> str:
        return rec["case"].split()[-1].split(":")[0]

    for rec in records:
        arch, kind = rec["arch"], rec["kind"]
        row = limit = None
        if kind == "hello":
            row, limit = "static hello (gcc's link line)", BUDGET_HELLO_VS_LD
        elif kind == "program" and rec["case"].endswith(" hello"):
            row, limit = "static hello (gcc -B)", BUDGET_HELLO_VS_LD
        elif kind == "program" and rec.get("lang") == "c++":
            row, limit = "real C++ program", BUDGET_CXX_VS_LD
        elif kind == "program":
            row, limit = "real C programs", BUDGET_C_PROGRAMS_VS_LD
        elif kind == "corpus" and size(rec) in BUDGET_SIZES:
            row, limit = "synthetic " + ("400x50/1200x50" if ":" not in rec["case"] else "other shape"), \
                BUDGET_WALL_VS_LD[arch]
        elif kind == "gc" and size(rec) == "400x50":
            row, limit = "--gc-sections 400x50", BUDGET_GC_VS_LD
        elif kind in ("dynhello", "dynprogram", "shared"):
            row, limit = "dynamic links", BUDGET_DYNAMIC_VS_LD
        if row:
            v, why = xld_vs_ld(rec, "wall")
            check(rec, arch, row, "wall xld/ld", v, limit, why)
    # memory is judged on the large corpora, as the issue states (a small link's peak is mostly
    # the interpreter and NumPy: ~30 MB before any work); the tables show every case's ratio
    for rec in records:
        if rec["kind"] in ("corpus", "gc") and size(rec) in BUDGET_SIZES:
            v, why = xld_vs_ld(rec, "rss_mb")
            check(rec, rec["arch"], "peak RSS, large corpora", "peak RSS xld/ld", v, BUDGET_RSS_VS_LD, why)
    for arch, curve in curves.items():
        halves = curve.get("xld", {}).get("cpu_halves", {})
        why = "" if halves.get("ratio") is not None else "needs xld results at 3 or more corpus sizes"
        ld_ratio = curve.get("ld", {}).get("cpu_halves", {}).get("ratio")
        if not why and ld_ratio is not None:
            # the same ratio of GNU ld's CPU in the same run: on a loaded or memory-bound host
            # both grow faster than the input (issue 17, twelfth round: 1.33 against 1.28)
            why = f"GNU ld {ld_ratio:.2f}"
        check(None, arch, "linear (issue 7)", "linear: xld CPU ms/MB, upper half of sizes / lower half",
              halves.get("ratio"), BUDGET_LINEAR, why)
    return checks


def budget_markdown(checks: list[dict]) -> str:
    """The budget as a Markdown table: one row per judged case."""
    out = ["| budget row | arch | case | measure | xld/ld | limit | result |", "|---|---|---|---|---:|---:|---|"]
    for c in checks:
        val = "-" if c["value"] is None else f"{c['value']:.2f}x"
        status = f"**{c['status']}**" if c["status"] == "FAIL" else c["status"]
        note = f" ({c['note']})" if c["note"] else ""
        out.append(f"| {c.get('row', '')} | {c.get('arch', '')} | {c.get('case', '')} | {c.get('metric', c['check'])} "
                   f"| {val} | {c['limit']:g}x | {status}{note} |")
    return "\n".join(out)


def curve_markdown(records: list[dict], arch: str) -> str:
    """Every case of `arch` from the smallest input to the largest: xld's and GNU ld's median
    wall time and their ratio (issue 17: the curve from hello to the largest case)."""
    rows = sorted((r for r in records if r["arch"] == arch), key=lambda r: (r["input_bytes"], r["case"]))
    if not rows:
        return ""
    out = ["| case | objects MB | xld s | GNU ld s | xld/ld | xld CPU s | GNU ld CPU s |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        x, ld = r["results"].get("xld", {}), r["results"].get("ld", {})
        rat = x.get("wall") / ld["wall"] if x.get("wall") and ld.get("wall") else None
        out.append(f"| {r['case']} | {r['input_bytes'] / 2**20:.2f} | {fmt(x.get('wall'), '.3f')} | "
                   f"{fmt(ld.get('wall'), '.3f')} | {fmt(rat, '.2f')}{'x' if rat else ''} | "
                   f"{fmt(x.get('cpu'), '.3f')} | {fmt(ld.get('cpu'), '.3f')} |")
    return "\n".join(out)


def passes_markdown(records: list[dict]) -> str:
    """xld --stats on hello and each real program (medians): the passes that took longest."""
    rows = [r for r in records if r["kind"] in ("program", "dynprogram", "hello", "dynhello")
            and r["results"].get("xld", {}).get("passes_ms")]
    if not rows:
        return ""
    out = ["| arch | case | xld wall s | passes ms | outside the passes ms | longest passes (ms) |",
           "|---|---|---:|---:|---:|---|"]
    for r in rows:
        x = r["results"]["xld"]
        passes = x["passes_ms"]
        total = passes.get("total", sum(v for k, v in passes.items() if k != "total"))
        top = sorted(((ms, k) for k, ms in passes.items() if k != "total"), reverse=True)[:8]
        wall = x.get("wall")
        outside = f"{wall * 1000 - total:.0f}" if wall is not None else "-"
        out.append(f"| {r['arch']} | {r['case']} | {fmt(wall, '.3f')} | {total:.0f} | {outside} | "
                   + ", ".join(f"{k} {ms:.0f}" for ms, k in top) + " |")
    return "\n".join(out)


def markdown(record: dict) -> str:
    """A saved JSON record as Markdown tables: wall / CPU seconds and peak RSS per linker."""
    linkers = record["options"]["linkers"]
    out = []
    for arch in record["options"]["arches"]:
        rows = [c for c in record["cases"] if c["arch"] == arch]
        if not rows:
            continue
        out += [f"**{arch}** (median wall s / CPU s / peak RSS MB)", "",
                "| case | objects MB | " + " | ".join(linkers) + " | xld/ld wall | xld/ld RSS |",
                "|---|---:|" + "---|" * len(linkers) + "---:|---:|"]
        for c in rows:
            cells = []
            for name in linkers:
                r = c["results"].get(name, {})
                if r.get("status") == "ok":
                    cells.append(f"{r['wall']:.3f} / {r['cpu']:.3f} / {r['rss_mb']:.0f}")
                else:
                    cells.append(r.get("status", "-").split(":")[0])
            rat = c.get("ratios", {}).get("xld/ld")
            cells += [f"{rat['wall']:.2f}x", f"{rat['rss']:.2f}x"] if rat else ["-", "-"]
            out.append(f"| {c['case']} | {c['input_bytes'] / 2**20:.1f} | " + " | ".join(cells) + " |")
        out.append("")
    for arch in record["options"]["arches"]:
        curve = curve_markdown(record["cases"], arch)
        if curve:
            out += [f"**{arch}, from the smallest input to the largest** (median wall and CPU seconds; "
                    "objects MB: the inputs named on the command line, not the libraries)", "", curve, ""]
    checks = record.get("budget") or []
    if checks and "row" in checks[0]:
        out += ["**budget (issue 17)**: xld / GNU ld, medians of the same run", "", budget_markdown(checks), ""]
    if record.get("host_steadiness"):
        out += [steadiness_line(record["host_steadiness"]), ""]
    if record.get("rss_floor_kb"):
        out += [floor_line(record["rss_floor_kb"]), ""]
    passes = passes_markdown(record["cases"])
    if passes:
        out += ["**xld --stats** (medians of the timed runs; 'outside the passes' is the median wall time "
                "minus the passes' total: gcc, collect2, the ld wrapper's lean client and the served "
                "child's fork and exit; a whole process's start-up and exit when not served)", "", passes, ""]
    return "\n".join(out)


# ---- profile, emulator benchmark, environment ------------------------------------------------------

PROFILE_CHILD = r"""
import sys
from pyinstrument import Profiler
html, txt, *args = sys.argv[1:]
sys.argv = ["xld", *args]
from xld.link.cli import main
p = Profiler(interval=0.001)
p.start()
rc = 1
try:
    rc = main(args)
except SystemExit as e:
    rc = e.code if isinstance(e.code, int) else 1
finally:
    p.stop()
    open(html, "w").write(p.output_html())
    open(txt, "w").write(p.output_text(unicode=True, color=False))
sys.exit(rc)
"""


def profile_xld(tc: Toolchain, case: Case, outdir: Path, prefix: Path, timeout: float) -> dict:
    """One xld link under pyinstrument; writes PREFIX.html and PREFIX.txt."""
    objdir = case.objects[0].parent
    objects = [p.name if p.parent == objdir else str(p) for p in case.objects]
    out = outdir / f"{case.arch}-{case.slug}.xld-profile"
    html, txt = prefix.with_suffix(".html"), prefix.with_suffix(".txt")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    if case.driver:
        # through the driver, as the case is timed: a -B directory whose ld runs xld under pyinstrument
        d = outdir / "profile-bin" / case.arch
        d.mkdir(parents=True, exist_ok=True)
        (d / "profile_child.py").write_text(PROFILE_CHILD)
        (d / "ld").write_text("#!/bin/sh\nexec " + shlex.join([sys.executable, str(d / "profile_child.py"),
                                                                 str(html.resolve()), str(txt.resolve())])
                              + ' "$@"\n')
        (d / "ld").chmod(0o755)
        argv = [*case.driver, "-B", str(d), *objects, *case.libs, "-o", str(out)]
    else:
        xld_args = tc.linkers["xld"]
        args = [*xld_args[xld_args.index("--arch"):], *tc.link_args(str(out), objects, case.extra,
                                                                      case.dynamic, case.shared)]
        argv = [sys.executable, "-c", PROFILE_CHILD, str(html.resolve()), str(txt.resolve()), *args]
    run = measure(argv, cwd=objdir, timeout=timeout, env=LINK_ENV)
    out.unlink(missing_ok=True)
    status = "ok" if run.rc == 0 else f"failed: {first_error(run)}"
    return {"case": f"{case.arch} {case.name}", "status": status, "wall": run.wall,
            "html": str(html) if html.exists() else None, "text": str(txt) if txt.exists() else None}


def run_emu_bench(arches: list[str], quick: bool, timeout: float) -> dict | None:
    """tools/bench_emu.py (someone else's), if present: run as its own process, keep its output.

    Its options are read from its --help, so only the ones it has are passed: --json, --arch,
    and for --quick either its own --quick or smaller --fib/--calls/--repeat.
    """
    try:
        if importlib.util.find_spec("xld.tools.bench_emu") is None:
            return None
    except (ImportError, ValueError):
        return None
    base = [sys.executable, "-m", "xld.tools.bench_emu"]
    helptext = measure([*base, "--help"], timeout=120).stdout
    flags = set(re.findall(r"--[a-z][a-z-]*", helptext))
    with tempfile.TemporaryDirectory() as tmp:
        jpath = Path(tmp) / "emu.json"
        argv = list(base)
        if "--json" in flags:
            argv += ["--json", str(jpath)]
        if "--arch" in flags:
            argv += ["--arch", ",".join(arches)]
        if quick:
            if "--quick" in flags:
                argv.append("--quick")
            else:
                for flag, value in (("--fib", "24"), ("--calls", "20000"), ("--repeat", "1")):
                    if flag in flags:
                        argv += [flag, value]
        run = measure(argv, timeout=timeout)
        data = None
        if jpath.exists():
            try:
                data = json.loads(jpath.read_text())
            except ValueError:
                data = None
    return {"argv": argv[1:], "status": "ok" if run.rc == 0 else f"failed: {first_error(run)}",
            "wall": run.wall, "stdout": run.stdout[-20000:], "json": data}


PROBE_LOOP = 4 * 10**6        # ~0.05-0.1 s of pure Python on the project's machine
PROBE_SPREAD_QUIET = 0.10     # the probe's slowest run within 10 % of its fastest: a quiet host


def cpu_probe(runs: int = 5) -> list[float]:
    """Seconds a fixed pure-Python loop takes, `runs` times in a row: how steady the host's CPU is.
    Issue 17's budget is judged on a quiet machine, and a shared VM can be loud with a load average
    under 1 (the same loop has taken 0.39 s and 0.62 s ten minutes apart): the run records the probe
    at its start, between the arches and at its end, so a reader can tell."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sum(range(PROBE_LOOP))
        times.append(time.perf_counter() - t)
    return times


def host_steadiness(probes: list[list[float]]) -> dict:
    """The probes' verdict: the spread of their medians (slowest / fastest - 1); quiet when it is small."""
    medians = [statistics.median(p) for p in probes if p]
    spread = max(medians) / min(medians) - 1 if medians else None
    return {"loop": PROBE_LOOP, "seconds": probes, "medians": medians, "spread": spread,
            "quiet": spread is not None and spread <= PROBE_SPREAD_QUIET}


def floor_line(floor_kb: int) -> str:
    """What a peak RSS reading can mean: commands are started from a process of this size."""
    return (f"peak RSS: each command is started from a process of {floor_kb / 1024:.1f} MB "
            "(tools/bench_spawn.py), which the kernel counts in the command's peak: "
            "a reading at or below it means 'at most that'")


def steadiness_line(h: dict) -> str:
    if h["spread"] is None:
        return "host: no CPU probe"
    verdict = "quiet" if h["quiet"] else f"NOT quiet (over {PROBE_SPREAD_QUIET:.0%}): ratios are not a recorded run's"
    return (f"host: a fixed CPU loop's median took {min(h['medians']) * 1000:.0f}-{max(h['medians']) * 1000:.0f} ms "
            f"over the run (spread {h['spread']:.0%}): {verdict}")


def environment(tcs: list[Toolchain]) -> dict:
    cpu = "?"
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.lower().startswith(("model name", "uarch", "cpu model")):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    here = Path(__file__).resolve().parent
    commit = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True)
    return {"host": platform.node(), "loadavg": os.getloadavg(), "machine": platform.machine(), "cpu": cpu, "cpus": os.cpu_count(),
            "kernel": platform.release(), "python": platform.python_version(),
            "xld_env": {k: v for k, v in os.environ.items() if k.startswith("XLD_")},
            "xld_commit": commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "") if commit.returncode == 0 else None,
            "tools": {tc.arch: tc.versions() for tc in tcs}}


# ---- command line --------------------------------------------------------------------------------

def parse_args(argv: list[str] | None):
    ap = argparse.ArgumentParser(prog="python -m xld.tools.bench",
                                 description="Link-time benchmark: xld against GNU ld, lld and mold (issue 7).")
    ap.add_argument("--arch", default="arm64,riscv64", help="comma-separated: arm64, riscv64 (default both)")
    ap.add_argument("--sizes", help=f"corpus sizes FILESxFUNCS, comma-separated (default {DEFAULT_SIZES})")
    ap.add_argument("--reps", type=int, help="timed runs per linker and case (default 5; --quick 2)")
    ap.add_argument("--linkers", default=",".join(LINKERS), help="comma-separated subset of xld,ld,lld,mold")
    ap.add_argument("--quick", action="store_true", help=f"tiny sizes ({QUICK_SIZES}), 2 reps: a smoke test")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    ap.add_argument("--gc-size", help="corpus size of the --gc-sections case (default 400x50; --quick: 4x5)")
    ap.add_argument("--dead", type=float, default=0.5, help="dead functions per file in the gc case, as a fraction (0.5)")
    ap.add_argument("--no-gc", action="store_true", help="skip the --gc-sections case")
    ap.add_argument("--no-hello", action="store_true", help="skip the hello cases (static and dynamic)")
    ap.add_argument("--no-shared", action="store_true", help="skip the -shared case (the gc corpus as a library)")
    ap.add_argument("--programs", help=f"real programs linked through gcc -B, comma-separated subset of "
                                       f"{','.join(programs_mod.PROGRAMS)} (default all; --quick: {QUICK_PROGRAMS})")
    ap.add_argument("--no-programs", action="store_true", help="skip the real programs")
    ap.add_argument("--programs-only", action="store_true",
                    help="only the real programs (no corpus, gc, shared, direct hello or emulator cases)")
    ap.add_argument("--no-emu", action="store_true", help="skip the emulator benchmark (tools/bench_emu.py)")
    ap.add_argument("--json", type=Path, help="write results here (default bench-results/<UTC time>.json)")
    ap.add_argument("--no-json", action="store_true", help="do not write a JSON record")
    ap.add_argument("--profile", action="store_true",
                    help="also run xld once under pyinstrument (largest corpus, first arch); saves .html and .txt")
    ap.add_argument("--profile-cases", metavar="NAMES",
                    help="also run xld once under pyinstrument on these cases, comma-separated case names "
                         "as in the tables (e.g. 'gcc hello,g++ cxx'), on every arch; through the driver for "
                         "the real programs")
    ap.add_argument("--report", type=Path, metavar="JSON",
                    help="print a saved JSON record as Markdown tables and exit (no benchmark)")
    ap.add_argument("--xld", help="command that runs xld (default: the xld console script installed with "
                                   "this Python, else python -m xld.link; implies --direct-script)")
    ap.add_argument("--direct-script", action="store_true",
                    help="time the direct cases (hello, corpora, shared) through the xld console script "
                         "(with Python's start-up) rather than the compiled lean client of `xld "
                         "install-ld-wrapper` that `gcc -B` runs (the default where a C compiler made it)")
    ap.add_argument("--cache", type=Path, help="object cache (default $XLD_BENCH_CACHE or ~/.cache/xld-bench)")
    ap.add_argument("--jobs", type=int, help="parallel compiles (default: CPU count)")
    ap.add_argument("--verify", choices=("all", "first"), default="all",
                    help="check every output (all: under qemu, unless byte-identical to one that passed), "
                         "or only the warm-up output (first)")
    ap.add_argument("--budget", type=float, default=300.0,
                    help="seconds per linker and case; a slower linker gets fewer timed runs (default 300)")
    ap.add_argument("--min-time", type=float,
                    help="seconds of timed runs per linker and case at least: faster links get up to 4x --reps "
                         "(default 1; --quick 0)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds before a link is killed (default 1800)")
    ap.add_argument("--run-timeout", type=float, default=300.0, help="seconds allowed for a linked program under qemu")
    opts = ap.parse_args(argv)
    opts.arches = []
    for a in opts.arch.split(","):
        if a.strip().lower() not in ARCH_ALIASES:
            ap.error(f"unknown arch {a!r}: use arm64 or riscv64")
        opts.arches.append(ARCH_ALIASES[a.strip().lower()])
    opts.program_list = [] if opts.no_programs else \
        [x.strip() for x in (opts.programs or (QUICK_PROGRAMS if opts.quick else DEFAULT_PROGRAMS)).split(",") if x.strip()]
    for x in opts.program_list:
        if x not in programs_mod.PROGRAMS:
            ap.error(f"unknown program {x!r}: use {','.join(programs_mod.PROGRAMS)}")
    if opts.programs_only:
        if opts.no_programs:
            ap.error("--programs-only and --no-programs may not be used together")
        opts.no_hello = opts.no_gc = opts.no_shared = opts.no_emu = True
    opts.linker_list = [x.strip() for x in opts.linkers.split(",") if x.strip()]
    for x in opts.linker_list:
        if x not in LINKERS:
            ap.error(f"unknown linker {x!r}: use {','.join(LINKERS)}")
    try:
        opts.specs = [CorpusSpec.parse(s, opts.seed) for s in (opts.sizes or (QUICK_SIZES if opts.quick else DEFAULT_SIZES)).split(",") if s]
        if opts.programs_only:
            opts.specs = []
        gc = opts.gc_size or ("4x5" if opts.quick else "400x50")
        opts.gc_spec = CorpusSpec.parse(gc, opts.seed, opts.dead)
    except ValueError as e:
        ap.error(str(e))
    if opts.reps is None:
        opts.reps = 2 if opts.quick else 5
    if opts.min_time is None:
        opts.min_time = 0.0 if opts.quick else 1.0
    if opts.reps < 1:
        ap.error("--reps must be at least 1")
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    if opts.report:
        print(markdown(json.loads(opts.report.read_text())))
        return 0
    cache = opts.cache or corpus_mod.default_cache()
    (cache / "out").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache / "out") as tmp:    # runs at the same time must not share outputs
        return _run(opts, cache, Path(tmp), sys.argv[1:] if argv is None else argv)


def _run(opts, cache: Path, outdir: Path, argv: list[str]) -> int:
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = os.getloadavg()
    probes = [cpu_probe()]
    xld = xld_command(opts.xld)
    tcs = [Toolchain.probe(arch, xld) for arch in opts.arches]
    for tc in tcs:
        tc.make_driver_wrappers(outdir / "bin" / tc.arch, via_client=not (opts.direct_script or opts.xld))
    linkers = opts.linker_list
    records: list[dict] = []
    tables: list[str] = []
    profile = None
    profiles: list[dict] = []
    skipped: list[dict] = []
    profile_cases = {n.strip() for n in (opts.profile_cases or "").split(",") if n.strip()}

    for tc in tcs:
        cases: list[Case] = []
        if not opts.no_hello:
            cases += [hello_case(tc.arch, cache), dynamic_hello_case(tc.arch, cache)]
        progs = [programs_mod.PROGRAMS[p] for p in opts.program_list]
        for dynamic in (False, True):
            for p in progs:
                if dynamic and not p.dynamic:
                    continue
                try:
                    cases.append(program_case(tc, p, cache, outdir, opts.jobs, opts.run_timeout, dynamic))
                except (RuntimeError, subprocess.TimeoutExpired) as e:   # no reference: nothing to compare
                    log(f"{tc.arch} {p.name}: skipped: {str(e).strip().splitlines()[0]}")
                    skipped.append({"arch": tc.arch, "program": p.name, "dynamic": dynamic, "why": str(e)[:2000]})
        cases += [corpus_case(tc.arch, spec, cache, opts.jobs) for spec in opts.specs]
        if not opts.no_gc:
            cases.append(corpus_case(tc.arch, opts.gc_spec, cache, opts.jobs, gc=True))
        if not opts.no_shared:
            cases.append(shared_case(tc.arch, opts.gc_spec, cache, opts.jobs))
        for case in cases:
            log(f"{tc.arch} {case.name}: linking with {', '.join(linkers)}")
            results = bench_case(tc, case, linkers, opts, outdir)
            table = case_table(case, results)
            print(table + "\n", flush=True)
            tables.append(table)
            records.append({"arch": tc.arch, "case": case.name, "kind": case.kind, "objects": len(case.objects),
                            "input_bytes": case.input_bytes, "functions": case.functions, "lang": case.lang,
                            "expected": case.expected, "link_flags": case.extra,
                            "driver": case.driver and [*case.driver, "<objects>", *case.libs],
                            "results": {k: v.to_json() for k, v in results.items()},
                            "ratios": ratios(results)})
        for case in cases:
            if case.name in profile_cases:
                where = (opts.json.parent if opts.json else Path("bench-results"))
                prefix = where / f"profile-{tc.arch}-{case.slug.replace('+', 'x')}-{started:%Y%m%dT%H%M%S}"
                log(f"profiling xld on {tc.arch} {case.name}")
                profiles.append(profile_xld(tc, case, outdir, prefix, opts.timeout))
        if opts.profile and profile is None and "xld" in linkers:
            corpus_cases = [c for c in cases if c.kind == "corpus"]
            if corpus_cases:
                case = max(corpus_cases, key=lambda c: c.input_bytes)
                where = (opts.json.parent if opts.json else Path("bench-results"))
                prefix = where / f"profile-{tc.arch}-{case.slug}-{started:%Y%m%dT%H%M%S}"
                log(f"profiling xld on {tc.arch} {case.name}")
                profile = profile_xld(tc, case, outdir, prefix, opts.timeout)
        probes.append(cpu_probe())

    host = host_steadiness(probes)
    curves = {}
    for tc in tcs:
        text, curve = scaling(records, tc.arch, linkers)
        if text:
            print(text + "\n")
            curves[tc.arch] = curve
    for tc in tcs:
        curve = curve_markdown(records, tc.arch)
        if curve and "xld" in linkers:
            print(f"{tc.arch}, from the smallest input to the largest (median seconds)\n\n{curve}\n")
    checks = budget_checks(records, curves) if "xld" in linkers else []
    if checks:
        print("budget (issue 17): xld / GNU ld, medians of this run\n")
        print(budget_markdown(checks) + "\n")
        print(steadiness_line(host) + "\n")
        print(floor_line(Starter.floor_kb()) + "\n")
    passes = passes_markdown(records)
    if passes:
        print("xld --stats on hello and the real programs (medians of the timed runs)\n")
        print(passes + "\n")
    for p in ([profile] if profile else []) + profiles:
        print(f"profile: {p['case']}: {p['status']}, {p['wall']:.2f} s; {p['html']} {p['text']}\n")

    emu = None
    if not opts.no_emu:
        emu = run_emu_bench(opts.arches, opts.quick, opts.timeout)
        if emu:
            print(f"emulator benchmark (tools/bench_emu.py): {emu['status']}, {emu['wall']:.1f} s")
            if emu["stdout"].strip():
                print(emu["stdout"].rstrip())
            print()

    record = {"schema": 1, "date": started.isoformat(timespec="seconds"),
              "loadavg_start": load_start, "host_steadiness": host,
              "duration_s": (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(),
              "argv": argv,
              "options": {"arches": opts.arches, "sizes": [s.size for s in opts.specs], "reps": opts.reps,
                          "linkers": linkers, "seed": opts.seed, "gc_size": None if opts.no_gc else opts.gc_spec.size,
                          "dead": opts.dead, "cflags": list(CFLAGS), "gc_cflags": list(GC_CFLAGS),
                          "programs": opts.program_list, "program_cflags": list(programs_mod.PROGRAM_CFLAGS),
                          "verify": opts.verify},
              "link_commands": {tc.arch: {name: (cmd and [*cmd, *tc.template]) for name, cmd in tc.linkers.items()}
                                for tc in tcs},
              "driver_commands": {tc.arch: {name: flags and [*flags, f"(DIR/ld: {_wrapper_line(Path(flags[1]) / 'ld')})"]
                                            for name, flags in tc.driver_flags.items()} for tc in tcs},
              "rss_method": "max(kernel rusage of the waited-for process tree via os.wait4 in a small "
                            "process starter (tools/bench_spawn.py), the linker's own 'N MiB peak RSS' "
                            "report on stderr)",
              "rss_floor_kb": Starter.floor_kb(),
              "cpu_method": "kernel rusage (user+system) of the waited-for process tree via os.wait4, "
                            "plus the linker's own 'N ms server CPU' report on stderr",
              "environment": environment(tcs), "cases": records, "scaling": curves, "budget": checks,
              "profile": profile, "profiles": profiles, "skipped_programs": skipped, "emu": emu}
    if not opts.no_json:
        path = opts.json or Path("bench-results") / f"{started:%Y-%m-%dT%H%M%SZ}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1) + "\n")
        log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
