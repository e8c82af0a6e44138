"""The link benchmark (tools/bench.py), its corpus generator (tools/corpus.py) and its real
programs (tools/programs.py).

The generator must be deterministic by (files, funcs, seed, shape), and the checksum it predicts
must be what the compiled program prints; the smoke test runs the whole benchmark on tiny corpora
of both shapes with GNU ld only, checks the output under qemu, the table and the JSON record. The
real-program smoke test links hello through `gcc -B` with xld and with GNU ld, and both must print
what GNU ld's output prints.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from tests import toolchain as tc

from xld.tools import bench, corpus, programs
from xld.tools.corpus import CorpusSpec, generate

needs_arm64 = tc.skip_unless(
    bool(shutil.which("aarch64-linux-gnu-gcc") and shutil.which("aarch64-linux-gnu-ld") and shutil.which("qemu-aarch64")),
    "needs aarch64-linux-gnu-gcc, aarch64-linux-gnu-ld and qemu-aarch64")


def test_corpus_is_deterministic_by_seed():
    a = generate(CorpusSpec(6, 7, seed=3))
    b = generate(CorpusSpec(6, 7, seed=3))
    assert a.sources == b.sources
    assert a.expected == b.expected
    c = generate(CorpusSpec(6, 7, seed=4))
    assert c.sources != a.sources
    assert c.expected != a.expected
    assert a.expected.startswith("checksum ") and len(a.expected) == len("checksum ") + 16


def test_corpus_shape():
    c = generate(CorpusSpec(5, 4, dead=0.5))
    assert list(c.sources)[0] == "main.c"
    assert len(c.sources) == 6
    assert c.functions == 5 * 4 + 5 * 2
    text = "\n".join(c.sources.values())
    for construct in ("__thread", "__attribute__((weak))", "__attribute__((constructor))",
                      "__attribute__((constructor(1000)))", "switch", "_table[", "_names[", "_dead_"):
        assert construct in text, construct


def test_corpus_spec_parse():
    assert CorpusSpec.parse("400x50") == CorpusSpec(400, 50)
    assert CorpusSpec.parse("4X5", seed=2).key.startswith("4x5-s2")
    assert CorpusSpec.parse("400x50:b") == CorpusSpec(400, 50, shape="b")
    assert CorpusSpec.parse("400x50:b").size == "400x50:b" and CorpusSpec.parse("400x50").size == "400x50"
    assert CorpusSpec(4, 5).key == "4x5-s1-g1"          # shape a keeps the caches of issue 7
    assert CorpusSpec(4, 5, shape="b").key == "4x5-s1-b-g1"
    for bad in ("400", "0x5", "4x5:z"):
        with pytest.raises(ValueError):
            CorpusSpec.parse(bad)


def test_corpus_shape_b():
    a = generate(CorpusSpec(20, 4))
    b = generate(CorpusSpec(20, 4, shape="b"))
    assert b.sources != a.sources and b.expected != a.expected
    assert generate(CorpusSpec(20, 4, shape="b")).sources == b.sources
    text = "\n".join(b.sources.values())
    for construct in ("_refs[", "_data[", "__thread uint64_t m0_tv3", "extern __thread uint64_t", "__attribute__((constructor))"):
        assert construct in text, construct
    assert not a.archive_members
    # main.c outside the archive; every other file in it, with the unused members among them
    assert "main.c" not in b.archive_members
    assert sorted(b.archive_members) == sorted(n for n in b.sources if n != "main.c")
    assert b.stats["unused_members"] == 2 and b.archive_members.index("u0000.c") < b.archive_members.index("m0010.c")


def test_programs_sources():
    for prog in programs.PROGRAMS.values():
        assert prog.sources(), prog.name          # the package data is there
    interp = programs.PROGRAMS["interp"].sources()
    assert len([n for n in interp if n.endswith(".c")]) == 45
    assert programs.interp_sources() == programs.interp_sources()
    cxx = "\n".join(programs.PROGRAMS["cxx"].sources().values())
    for header in ("<regex>", "<thread>", "<unordered_map>", "<iostream>", "throw "):
        assert header in cxx, header


def test_xld_is_this_pythons_not_the_first_on_path(tmp_path, monkeypatch):
    """The bench and the tests run the xld installed with the Python running them: an ``xld``
    first on PATH may be another checkout's, and would measure or test other code."""
    other = tmp_path / "xld"
    other.write_text("#!/bin/sh\nexit 99\n")
    other.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    for cmd in (bench.xld_command(None), tc.xld_command()):
        assert str(other) not in cmd
        assert cmd[0].startswith(os.path.dirname(sys.executable)) or cmd[:3] == [sys.executable, "-m", "xld.link"]


def test_reported_peak_rss():
    stats = "      scan:    17.63 ms      39 MiB peak RSS\n    shrink:    15.51 ms      43 MiB peak RSS\n  total: 1 ms\n"
    assert bench.reported_peak_kb(stats) == 43 * 1024
    assert bench.reported_peak_kb("no report") == 0
    run = bench.with_reported_peak(bench.Run(0.1, 0.1, 30 * 1024, 0, "", stats))
    assert run.rss_kb == 43 * 1024 and run.rss_tree_kb == 30 * 1024 and run.rss_reported_kb == 43 * 1024
    run = bench.with_reported_peak(bench.Run(0.1, 0.1, 50 * 1024, 0, "", stats))
    assert run.rss_kb == 50 * 1024         # the kernel saw more: that counts
    served = bench.with_reported_peak(bench.Run(0.1, 0.02, 20 * 1024, 0, "", stats + "  120.5 ms server CPU\n"))
    assert served.cpu_server == pytest.approx(0.1205)
    assert served.cpu == pytest.approx(0.1405)     # the client's and the server's
    assert bench.with_reported_peak(bench.Run(0.1, 0.02, 20 * 1024, 0, "", stats)).cpu == 0.02


def test_fnv1a_matches_reference_values():
    assert corpus.fnv1a(b"") == 0xCBF29CE484222325
    assert corpus.fnv1a(b"a") == 0xAF63DC4C8601EC8C


def test_measure_reports_rusage_and_failures():
    run = bench.measure([sys.executable, "-c", "x = bytearray(30 << 20); print('hi')"])
    assert run.rc == 0 and run.stdout.strip() == "hi"
    assert run.wall > 0 and run.cpu > 0
    assert run.rss_kb > 30 * 1024
    bad = bench.measure([sys.executable, "-c", "import sys; print('warning: x', file=sys.stderr);"
                         "print('error: it broke', file=sys.stderr); sys.exit(3)"])
    assert bad.rc == 3
    assert bench.first_error(bad) == "error: it broke"
    slow = bench.measure([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert slow.timed_out and bench.first_error(slow) == "timed out"
    # a timeout kills what the command started too (gcc's collect2 and ld), not only the command
    naptime = f"31.{os.getpid()}"
    tree = bench.measure(["sh", "-c", f"sleep {naptime} & sleep {naptime}; wait"], timeout=0.5)
    assert tree.timed_out
    for _ in range(50):
        left = subprocess.run(["pgrep", "-f", f"sleep {naptime}"], capture_output=True, text=True).stdout.split()
        if not left:
            break
        time.sleep(0.1)
    assert not left, "the command's children outlived its timeout"
    missing = bench.measure(["/nonexistent/linker", "-v"])
    assert missing.rc == 127 and "cannot run /nonexistent/linker" in missing.stderr


def test_measure_does_not_count_the_benchmarks_own_memory():
    """The kernel counts in a command's peak RSS the memory of the process that started it: a
    benchmark that had grown to 300 MB (a corpus made in it) read every linker at >= 300 MB.
    Commands are started from a small process instead."""
    big = bytearray(300 << 20)
    for i in range(0, len(big), 4096):
        big[i] = 1
    small = bench.measure(["/bin/true"])
    assert small.rc == 0
    assert small.rss_kb < 64 * 1024, small.rss_kb
    assert 0 < bench.Starter.floor_kb() < 64 * 1024
    del big


@needs_arm64
def test_bench_smoke_gnu_ld_arm64(tmp_path, capsys):
    out = tmp_path / "r.json"
    rc = bench.main(["--quick", "--arch", "arm64", "--sizes", "4x5,4x5:b", "--reps", "1",
                     "--linkers", "xld,ld", "--xld", "false",     # a linker that fails must not stop the run
                     "--no-emu", "--cache", str(tmp_path / "cache"), "--json", str(out)])
    assert rc == 0
    table = capsys.readouterr().out
    assert "arm64 4x5" in table and "arm64 hello" in table and "arm64 gc 4x5" in table
    assert "arm64 dynamic hello" in table and "arm64 4x5:b" in table and "arm64 gcc hello" in table
    assert "| static hello (gcc's link line) | arm64 | hello |" in table
    record = json.loads(out.read_text())
    cases = {c["case"]: c for c in record["cases"]}
    assert set(cases) == {"hello", "dynamic hello", "gcc hello", "gcc dynamic hello", "4x5", "4x5:b",
                          "gc 4x5", "shared 4x5"}
    assert cases["4x5"]["expected"] == generate(CorpusSpec(4, 5)).expected
    assert cases["4x5:b"]["expected"] == generate(CorpusSpec(4, 5, shape="b")).expected
    assert cases["4x5:b"]["objects"] == 2            # main.o and libcorpus.a
    for case in cases.values():
        ld = case["results"]["ld"]
        assert ld["status"] == "ok", ld["status"]     # it ran under qemu and printed the checksum
        assert ld["n"] == 1 and ld["wall"] > 0 and ld["cpu"] > 0 and ld["rss_mb"] > 1
        assert case["results"]["xld"]["status"].startswith("failed: ")
    assert cases["gc 4x5"]["link_flags"] == ["--gc-sections"]
    assert record["link_commands"]["arm64"]["ld"][0] == "aarch64-linux-gnu-ld"
    assert any(c["status"] == "n/a" for c in record["budget"])
    host = record["host_steadiness"]           # probed at the start and after the one arch
    assert len(host["seconds"]) == 2 and all(len(p) == 5 and min(p) > 0 for p in host["seconds"])
    assert "host: a fixed CPU loop's median took" in table


def test_host_steadiness_verdict():
    quiet = bench.host_steadiness([[0.10, 0.11, 0.10], [0.105, 0.104, 0.2]])
    assert quiet["quiet"] and abs(quiet["spread"] - 0.05) < 1e-9
    loud = bench.host_steadiness([[0.10, 0.10, 0.10], [0.15, 0.16, 0.14]])
    assert not loud["quiet"] and abs(loud["spread"] - 0.5) < 1e-9
    assert "NOT quiet" in bench.steadiness_line(loud) and ": quiet" in bench.steadiness_line(quiet)
    assert "host: a fixed CPU loop" in bench.markdown({"options": {"linkers": [], "arches": []}, "cases": [],
                                                       "host_steadiness": loud})


def test_direct_cases_run_the_client_gcc_runs(tmp_path):
    """The direct cases (hello, corpora, shared) run the compiled lean client that `gcc -B`
    runs, given --arch (the console script would add Python's start-up to every link);
    --direct-script (via_client=False) keeps the console script.  The driver cases run the
    -B directory's ld as users install it (no sh line in front: ~1 ms a link), and ask for
    the statistics with -Wl,--stats."""
    if not shutil.which("cc") and not tc.IN_CI:
        pytest.skip("needs a host C compiler for the compiled client")
    xld = bench.xld_command(None)
    for via_client in (True, False):
        t = bench.Toolchain("arm64", "aarch64-linux-gnu-gcc", "qemu-aarch64", [],
                            {"xld": [*xld, "--arch", "arm64", "-static"], "ld": None})
        t.make_driver_wrappers(tmp_path / str(via_client), via_client=via_client)
        assert t.driver_flags["xld"] == ["-B", str(tmp_path / str(via_client) / "xld"), "-Wl,--stats"]
        assert (tmp_path / str(via_client) / "xld" / "ld").read_bytes()[:4] == b"\x7fELF"
        assert "compiled lean client" in bench._wrapper_line(tmp_path / str(via_client) / "xld" / "ld")
        if via_client:
            assert t.linkers["xld"] == [str(tmp_path / "True" / "xld" / "ld-client"), "--arch", "arm64", "-static"]
            assert (tmp_path / "True" / "xld" / "ld-client").read_bytes()[:4] == b"\x7fELF"
        else:
            assert t.linkers["xld"] == [*xld, "--arch", "arm64", "-static"]


def _record(arch, case, kind, mb, xld, ld, lang="c"):
    res = lambda w, rss: {"status": "ok", "wall": w, "cpu": w, "rss_mb": rss}  # noqa: E731
    return {"arch": arch, "case": case, "kind": kind, "input_bytes": int(mb * 2**20), "lang": lang,
            "results": {"xld": res(*xld), "ld": res(*ld)}}


def test_budget_and_scaling_from_records():
    records = [_record("arm64", "hello", "hello", 0.01, (0.2, 40), (0.03, 24)),
               _record("arm64", "gcc hello", "program", 0.01, (0.05, 40), (0.04, 24)),
               _record("arm64", "gcc interp", "program", 0.5, (0.3, 40), (0.26, 24)),
               _record("arm64", "g++ cxx", "program", 0.5, (1.0, 60), (0.5, 30), lang="c++"),
               _record("arm64", "gcc dynamic interp", "dynprogram", 0.5, (0.3, 40), (0.2, 24)),
               _record("arm64", "50x20", "corpus", 1, (0.3, 50), (0.05, 28)),
               _record("arm64", "400x50", "corpus", 21, (1.0, 150), (0.5, 70)),
               _record("arm64", "1200x50", "corpus", 61, (4.0, 400), (1.5, 150)),
               _record("arm64", "gc 400x50", "gc", 40, (0.9, 100), (1.0, 90)),
               _record("riscv64", "400x50", "corpus", 75, (0.5, 80), (0.6, 60)),
               _record("riscv64", "400x50:b", "corpus", 90, (0.3, 80), (0.6, 60))]
    text, curve = bench.scaling(records, "arm64", ["xld", "ld"])
    assert "400x50" in text
    assert curve["xld"]["wall"] == [0.3, 1.0, 4.0]
    marg = curve["xld"]["wall_marginal_ms_per_mb"]
    assert marg == pytest.approx([700 / 20, 3000 / 40])
    assert bench.scaling(records, "riscv64", ["xld", "ld"]) == ("", {})   # shape b is not on the curve
    checks = {c["check"]: c for c in bench.budget_checks(records, {"arm64": curve})}
    assert checks["arm64 hello wall xld/ld"]["status"] == "FAIL"          # 6.7x > 1.5x
    assert checks["arm64 gcc hello wall xld/ld"]["status"] == "PASS"      # 1.25x
    assert checks["arm64 gcc interp wall xld/ld"]["status"] == "PASS"     # 1.15x <= 1.2x
    assert checks["arm64 g++ cxx wall xld/ld"]["row"] == "real C++ program"
    assert checks["arm64 g++ cxx wall xld/ld"]["status"] == "FAIL"        # 2x
    assert checks["arm64 gcc dynamic interp wall xld/ld"]["row"] == "dynamic links"
    assert checks["arm64 gcc dynamic interp wall xld/ld"]["status"] == "FAIL"   # 1.5x > 1.2x
    assert checks["arm64 400x50 wall xld/ld"]["status"] == "FAIL"         # 2.0x > 1x
    assert checks["arm64 gc 400x50 wall xld/ld"]["status"] == "PASS"      # 0.9x
    assert checks["riscv64 400x50 wall xld/ld"]["status"] == "FAIL"       # 0.83x > 0.6x
    assert checks["riscv64 400x50:b wall xld/ld"]["status"] == "PASS"     # 0.5x
    assert checks["riscv64 400x50:b wall xld/ld"]["row"] == "synthetic other shape"
    assert checks["arm64 1200x50 peak RSS xld/ld"]["status"] == "FAIL"    # 2.7x
    assert checks["arm64 gc 400x50 peak RSS xld/ld"]["status"] == "PASS"  # 1.1x
    linear = checks["arm64 linear: xld CPU ms/MB, upper half of sizes / lower half"]
    assert linear["status"] == "FAIL"                                    # 2.14x
    assert linear["note"] == "GNU ld 1.11"          # (22.5 -> 25 ms/MB: the host's share, beside xld's)
    assert checks["riscv64 400x50 peak RSS xld/ld"]["status"] == "PASS"   # 1.33x
    assert "arm64 hello peak RSS xld/ld" not in checks            # memory: the large corpora only
    assert "arm64 50x20 peak RSS xld/ld" not in checks
    table = bench.budget_markdown(list(checks.values()))
    assert "| real C++ program | arm64 | g++ cxx | wall | 2.00x | 1.2x | **FAIL** |" in table


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_bench_programs_smoke(arch, tmp_path, capsys):
    """The real-program path: hello compiled here, linked through `gcc -B` by xld and by GNU ld
    (static and dynamic PIE); each output must print what GNU ld's output printed."""
    triple = {"arm64": "aarch64-linux-gnu", "riscv64": "riscv64-linux-gnu"}[arch]
    tools = (f"{triple}-gcc", f"{triple}-ld", bench.QEMU[arch])
    if not all(shutil.which(t) for t in tools) and not tc.IN_CI:
        pytest.skip(f"needs {', '.join(tools)}")
    out = tmp_path / "r.json"
    rc = bench.main(["--programs-only", "--programs", "hello", "--arch", arch, "--reps", "1", "--min-time", "0",
                     "--linkers", "xld,ld", "--cache", str(tmp_path / "cache"), "--json", str(out)])
    assert rc == 0
    stdout = capsys.readouterr().out
    assert f"| static hello (gcc -B) | {arch} | gcc hello |" in stdout
    record = json.loads(out.read_text())
    cases = {c["case"]: c for c in record["cases"]}
    assert set(cases) == {"gcc hello", "gcc dynamic hello"}
    for case in cases.values():
        assert case["expected"] == "hello, world"        # what GNU ld's output printed, through the driver
        for name in ("xld", "ld"):
            res = case["results"][name]
            assert res["status"] == "ok", (name, res["status"])    # ran under qemu, printed the same
            assert res["n"] == 1
        xld = case["results"]["xld"]
        assert xld["passes_ms"]["total"] > 0                 # --stats came back through gcc
        assert xld["rss_reported_mb"] > 1 and xld["rss_mb"] >= xld["rss_reported_mb"]
    assert record["driver_commands"][arch]["ld"] == []
    assert record["driver_commands"][arch]["xld"][0] == "-B"
    assert {c["row"] for c in record["budget"]} == {"static hello (gcc -B)", "dynamic links"}


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
@pytest.mark.parametrize("static", [True, False], ids=["static", "dynamic"])
def test_a_link_imports_no_numpy_ma(tmp_path, arch, static):
    """NumPy 2 imports numpy.ma (~10 ms) on the first np.unique: a link must not call it on
    its every-link path (it did for a while: a dynamic hello's read+resolve took 5 -> 15 ms
    served, 21 -> 31 ms unserved). Nothing timed: whether the module got imported."""
    import subprocess
    cc = tc.compiler("gcc", arch)
    (tmp_path / "hello.c").write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    obj = cc.compile(tmp_path / "hello.c", tmp_path / "hello.o")
    gcc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    wrap = tmp_path / "bin"
    wrap.mkdir()
    probe = tmp_path / "probe.py"
    probe.write_text("import sys\nfrom xld.link import cli\ntry:\n    cli.main(sys.argv[1:])\n"
                     "except SystemExit:\n    pass\nprint('numpy.ma' in sys.modules, file=sys.stderr)\n")
    (wrap / "ld").write_text(f'#!/bin/sh\nexec "{sys.executable}" "{probe}" --arch {arch} "$@"\n')
    (wrap / "ld").chmod(0o755)
    p = subprocess.run([gcc, *(["-static"] if static else []), "-B", str(wrap), str(obj),
                        "-o", str(tmp_path / "hello")], capture_output=True, text=True,
                       env={**__import__("os").environ, "XLD_SERVER": "0", "XLD_VERIFY": "0"},
                       timeout=300)              # (--verify, the tests' default, is not every link's)
    assert p.returncode == 0, p.stderr
    assert p.stderr.strip().splitlines()[-1] == "False", p.stderr
