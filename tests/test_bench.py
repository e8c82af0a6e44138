"""The link benchmark (tools/bench.py) and its corpus generator (tools/corpus.py).

The generator must be deterministic by (files, funcs, seed), and the checksum it predicts must
be what the compiled program prints; the smoke test runs the whole benchmark on a tiny corpus
with GNU ld only, checks the output under qemu, the table and the JSON record.
"""

import json
import shutil
import sys

import pytest

from tests import toolchain as tc

from xld.tools import bench, corpus
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
    with pytest.raises(ValueError):
        CorpusSpec.parse("400")
    with pytest.raises(ValueError):
        CorpusSpec.parse("0x5")


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


@needs_arm64
def test_bench_smoke_gnu_ld_arm64(tmp_path, capsys):
    out = tmp_path / "r.json"
    rc = bench.main(["--quick", "--arch", "arm64", "--sizes", "4x5", "--reps", "1",
                     "--linkers", "xld,ld", "--xld", "false",     # a linker that fails must not stop the run
                     "--no-emu", "--cache", str(tmp_path / "cache"), "--json", str(out)])
    assert rc == 0
    table = capsys.readouterr().out
    assert "arm64 4x5" in table and "arm64 hello" in table and "arm64 gc 4x5" in table
    assert "arm64 dynamic hello" in table
    record = json.loads(out.read_text())
    cases = {c["case"]: c for c in record["cases"]}
    assert set(cases) == {"hello", "dynamic hello", "4x5", "gc 4x5", "shared 4x5"}
    expected = generate(CorpusSpec(4, 5)).expected
    assert cases["4x5"]["expected"] == expected
    for case in cases.values():
        ld = case["results"]["ld"]
        assert ld["status"] == "ok", ld["status"]     # it ran under qemu and printed the checksum
        assert ld["n"] == 1 and ld["wall"] > 0 and ld["cpu"] > 0 and ld["rss_mb"] > 1
        assert case["results"]["xld"]["status"].startswith("failed: ")
    assert cases["gc 4x5"]["link_flags"] == ["--gc-sections"]
    assert record["link_commands"]["arm64"]["ld"][0] == "aarch64-linux-gnu-ld"
    assert any(c["status"] == "n/a" for c in record["budget"])


def _record(arch, case, kind, mb, xld, ld):
    res = lambda w, rss: {"status": "ok", "wall": w, "cpu": w, "rss_mb": rss}  # noqa: E731
    return {"arch": arch, "case": case, "kind": kind, "input_bytes": int(mb * 2**20),
            "results": {"xld": res(*xld), "ld": res(*ld)}}


def test_budget_and_scaling_from_records():
    records = [_record("arm64", "hello", "hello", 0.01, (0.2, 40), (0.03, 24)),
               _record("arm64", "50x20", "corpus", 1, (0.3, 50), (0.05, 28)),
               _record("arm64", "400x50", "corpus", 21, (1.0, 150), (0.5, 70)),
               _record("arm64", "1200x50", "corpus", 61, (4.0, 400), (1.5, 150)),
               _record("riscv64", "400x50", "corpus", 75, (0.5, 100), (0.6, 60))]
    text, curve = bench.scaling(records, "arm64", ["xld", "ld"])
    assert "400x50" in text
    assert curve["xld"]["wall"] == [0.3, 1.0, 4.0]
    marg = curve["xld"]["wall_marginal_ms_per_mb"]
    assert marg == pytest.approx([700 / 20, 3000 / 40])
    checks = {c["check"]: c for c in bench.budget_checks(records, {"arm64": curve})}
    assert checks["arm64 hello wall xld/ld"]["status"] == "FAIL"          # 6.7x > 5x
    assert checks["arm64 400x50 wall xld/ld"]["status"] == "PASS"         # 2.0x <= 2x
    assert checks["arm64 1200x50 wall xld/ld"]["status"] == "FAIL"        # 2.7x
    assert checks["riscv64 400x50 wall xld/ld"]["status"] == "PASS"       # 0.83x <= 1x
    assert checks["arm64 1200x50 peak RSS xld/ld"]["status"] == "FAIL"    # 2.7x
    assert checks["arm64 linear: xld CPU ms/MB, upper half of sizes / lower half"]["status"] == "FAIL"  # 2.14x
    assert checks["riscv64 400x50 peak RSS xld/ld"]["status"] == "PASS"
    assert "arm64 hello peak RSS xld/ld" not in checks            # memory: the large corpora only
    assert "arm64 50x20 peak RSS xld/ld" not in checks
