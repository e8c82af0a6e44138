"""Random partial links (``xld.tools.randrel``) against GNU ld's: a random C or C++ program,
compiled by gcc or clang with random flags, in random groups of objects each partially linked
(-r, at times with -d, -S or --force-group-allocation; sometimes a -r of -r outputs, its inner
links by the other linker) by GNU ld and by xld.
xld's -r objects must have GNU ld's shape (sections, groups, global symbols, relocations per
section and type, R_RISCV_RELAX/ALIGN included), and the final links of every cross combination
— xld's objects by GNU ld, GNU ld's by xld, xld's by xld, the mixed ones by both — must run
under qemu-user (static or PIE, at times with --gc-sections) as GNU ld's objects linked by GNU
ld do.  What xld does differently on purpose is listed in ``randrel.shape_diff`` and in
docs/robustness.md.  More seeds: ``XLD_RANDREL_SEEDS=N`` (or a range ``A-B``)."""
from __future__ import annotations


import pytest

from tests import toolchain as tc
from xld.tools import randrel

SEEDS = tc.seeds("XLD_RANDREL_SEEDS", 2)
pytestmark = tc.cross_and_qemu()


@pytest.fixture(scope="module")
def wrapper(tmp_path_factory):
    return tc.ld_wrapper_dir(tmp_path_factory.mktemp("randrel"))


# (the CI run: gcc for odd seeds, clang for even ones; more seeds: both for every seed)
CASES = [(seed, arch, cc) for seed in SEEDS for arch in tc.ARCHES for cc in ("gcc", "clang")
         if len(SEEDS) > 2 or (cc == "gcc") == (seed % 2 == 1)]


@pytest.mark.parametrize("seed,arch,cc", CASES)
def test_partial_links_run_and_look_as_gnu_lds(seed, arch, cc, wrapper, tmp_path):
    if cc == "clang":
        tc.require("clang-14")
    case = randrel.plan(seed, arch, cc)
    objs = randrel.build(case, arch, cc, tmp_path)
    xld = tc.xld_command()
    parts = {who: randrel.partial(case, who, arch, objs, tmp_path, xld) for who in ("gnu", "xld")}
    if case.nested:                             # inner -r by one linker, outer by the other
        parts["gnu>xld"] = randrel.partial(case, "xld", arch, objs, tmp_path, xld, inner="gnu")
        parts["xld>gnu"] = randrel.partial(case, "gnu", arch, objs, tmp_path, xld, inner="xld")
    diffs = [f"r{g}: {line}" for g in range(len(case.groups))
             for line in randrel.shape_diff(randrel.shape(tmp_path / parts["gnu"][g]),
                                            randrel.shape(tmp_path / parts["xld"][g]), "-d" not in case.rflags)]
    assert not diffs, f"{case}\n" + "\n".join(diffs)
    runs = {}
    for made, ins in parts.items():
        for who in ("gnu", "xld"):
            out = f"p_{made.replace('>', '_')}_{who}"
            randrel.final(case, who, arch, ins, out, tmp_path, wrapper)
            p = tc.run_group([tc.QEMU[arch], "-L", f"/usr/{tc.TRIPLE[arch]}", f"./{out}"], timeout=60, cwd=tmp_path)
            runs[made, who] = (p.returncode, p.stdout.decode())
    want = runs["gnu", "gnu"]
    assert "u0 " in want[1] and "x1 " in want[1], want
    bad = {k: v for k, v in runs.items() if v != want}
    assert not bad, f"{case}\nGNU ld's -r by GNU ld: {want}\n" + "\n".join(f"{k}: {v}" for k, v in bad.items())
