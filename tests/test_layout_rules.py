"""The output-section rules by name (link/layout.py): a small link's few names are looked up
one by one (``_rule_output``), many together as words (``_rule_of``); both give every name the
same output section, or none."""
from __future__ import annotations

import random

import numpy as np

from xld.link import layout


def test_rule_output_as_rule_of():
    rules = [p for p, _ in layout._RULES]
    names = set()
    for p in rules:                 # each rule, its near misses, and longer names under it
        names |= {p, p + "x", p + "foo.bar", p[:-1], p + ".", p.upper(), p + "a" * 30}
    rng = random.Random(7)
    names |= {"." + "".join(rng.choice("abcdest._") for _ in range(rng.randint(1, 30))) for _ in range(2000)}
    names |= {"", ".", "..", "foo", "x.y", "a" * 40, ".text", ".text.", ".data.rel.ro.local"}
    names = sorted(names)
    rule = layout._rule_of(names, np.arange(len(names))).tolist()
    want = [layout._RULE_OUTS[r] if r >= 0 else layout._UNSEEN for r in rule]
    got = [layout._rule_output(n) for n in names]
    assert got == want
    assert sum(w is not layout._UNSEEN for w in want) > len(rules)     # (many had a rule)


def test_names_warmed_ahead_are_what_a_link_finds(monkeypatch):
    """What the warm server puts in the cache for a library member's sections (warm_names)
    is what assign_sections would find for them: the rules' output, else the name's own."""
    class Obj:
        sec_names = ["", ".text.foo", ".rodata.str1.1", ".data.rel.ro.x", ".debug_info", ".mysec",
                     ".gnu.lto_main", ".note.GNU-stack"]
        shdrs = np.zeros(len(sec_names), dtype=[("sh_flags", "<u8")])
    Obj.shdrs["sh_flags"][1:4] = 2                      # SHF_ALLOC
    Obj.shdrs["sh_flags"][5:7] = 2
    monkeypatch.setattr(layout, "_ALLOC_NAME", {})
    layout.warm_names(Obj)
    warmed = dict(layout._ALLOC_NAME)
    want = {}
    for name in (".text.foo", ".rodata.str1.1", ".data.rel.ro.x", ".mysec", ".gnu.lto_main"):
        r = layout._rule_of([name], np.arange(1))[0]
        want[name] = layout._RULE_OUTS[r] if r >= 0 else layout._alloc_output(name)
    assert warmed == want
    assert want[".text.foo"] == ".text" and want[".mysec"] == ".mysec" and want[".gnu.lto_main"] is None
