"""Objects read together (input.parse_objects, what a link does with the objects its command
line names) are read exactly as each is read alone (ObjectFile): the same tables, names and
flags; and an object that fails a check alone is never taken by the shared checks (the link
then reads it alone, and its error is the one it always was).  Real objects of both
architectures, and seeded mutants of them (tools/fuzz.py's mutations), compared in process."""
from __future__ import annotations

import random
import subprocess

import numpy as np
import pytest

from tests import toolchain as tc
from xld.link import input as inp, resolve
from xld.link.errors import LinkError
from xld.tools import fuzz

ARCHES = pytest.mark.parametrize("arch", tc.ARCHES)

C_SRC = r"""
#include <stdio.h>
__thread int counter = 3;
static __thread long scratch[4];
int table[16] = {1, 2, 3};
const char *names[] = {"alpha", "beta", "gamma"};
extern int other(int);
static int helper(int x) { return x * 3 + table[x & 15]; }
int apply(int x) { scratch[x & 3] += x; return helper(x) + other(x) + counter; }
int unused(int x) { return apply(x) + 1; }
__attribute__((weak)) int maybe(int x) { return x; }
int main(void) { printf("%s %d\n", names[1], apply(2)); return 0; }
"""

CXX_SRC = r"""
#include <vector>
#include <string>
#include <stdexcept>
template <class T> T twice(T x) { return x + x; }
struct Shape { virtual ~Shape() {} virtual int area() const = 0; };
struct Square : Shape { int s; explicit Square(int v) : s(v) {} int area() const override { return s * s; } };
int total(const std::vector<std::string> &v) {
    int n = 0;
    for (const auto &s : v) n += twice<int>(static_cast<int>(s.size()));
    if (n < 0) throw std::runtime_error("negative");
    Square q(n);
    return q.area() + twice<long>(n);
}
"""

# more globals than resolve's few (its references are then an array, not a list)
MANY_SRC = "".join(f"extern int ext{i}(int); int fn{i}(int x) {{ return ext{i}(x) + {i}; }}\n" for i in range(40))

SOURCES = {"c": C_SRC, "cxx": CXX_SRC, "many": MANY_SRC}
CASES = [("c.o", "c", []), ("c-sections.o", "c", ["-ffunction-sections", "-fdata-sections"]),
         ("cxx.o", "cxx", []), ("cxx-sections.o", "cxx", ["-ffunction-sections", "-fdata-sections"]),
         ("many.o", "many", []),
         # more sections and relocation tables than input's few (read with arrays)
         ("many-sections.o", "many", ["-ffunction-sections", "-fdata-sections"])]


@pytest.fixture(scope="module", params=tc.ARCHES)
def objects(request, tmp_path_factory):
    arch = request.param
    d = tmp_path_factory.mktemp(f"batch-{arch}")
    out = []
    for name, lang, flags in CASES:
        src = d / (name + (".cc" if lang == "cxx" else ".c"))
        src.write_text(SOURCES[lang])
        cc = tc.require(f"{tc.TRIPLE[arch]}-{'g++' if lang == 'cxx' else 'gcc'}")
        r = subprocess.run([cc, "-O1", "-c", str(src), "-o", str(d / name), *flags], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        out.append((name, (d / name).read_bytes()))
    return out


@pytest.fixture(autouse=True)
def together(monkeypatch):
    """The shared checks for any number of objects (a link reads a few one by one)."""
    monkeypatch.setattr(inp, "_FEW_OBJECTS", 0)


def state(obj) -> dict:
    """What a read leaves on an ObjectFile."""
    return {
        "header": (obj.e_type, obj.machine, obj.e_flags),
        "shdrs": obj.shdrs.tobytes(), "sec_names": list(obj.sec_names),
        "syms": obj.syms.tobytes(), "first_global": obj.first_global, "symstr": obj.symstr,
        "nsyms": obj.nsyms, "sym_shndx": obj.sym_shndx.tolist(), "has_tls": obj.has_tls,
        "symtab_index": obj.symtab_index, "file_syms_at": obj.file_syms_at,
        "shndx_ext": None if obj.shndx_ext is None else obj.shndx_ext.tolist(),
        "relas": [(k, v.tobytes()) for k, v in obj.relas.items()],
        "groups": [(s, m.tolist(), f) for s, m, f in obj.groups],
        "inflated": obj.inflated, "globals": obj.global_names(),
        "rela_block": None if obj.rela_block() is None else
        [x.tobytes() if k == 0 else x.tolist() for k, x in enumerate(obj.rela_block())],
    }


def alone(name, data):
    try:
        return inp.ObjectFile(name, data), None
    except LinkError as e:
        return None, str(e)


def test_objects_read_together_as_alone(objects):
    together = inp.parse_objects(objects)
    for (name, data), obj in zip(objects, together):
        assert obj is not None, f"{name}: a compiler's object is not read with the others"
        ref, err = alone(name, data)
        assert err is None
        assert state(obj) == state(ref), name


def test_a_mutant_is_read_together_only_as_alone(objects):
    """Mutants among good objects: each one the shared checks take is read as alone, none
    that fails alone is taken, and the good ones around it are still read together."""
    rng = random.Random(17)
    taken = refused = 0
    for k in range(600):
        name, data = objects[k % len(objects)]
        bad, what = fuzz.mutate_elf(rng, data)
        batch = [objects[(k + 1) % len(objects)], (name, bad), objects[(k + 2) % len(objects)]]
        got = inp.parse_objects(batch)
        ref, err = alone(name, bad)
        if err is not None:
            assert got[1] is None, f"mutant {k} ({what}) is taken together but alone: {err}"
            refused += 1
        elif got[1] is not None:
            assert state(got[1]) == state(ref), f"mutant {k} ({what})"
            taken += 1
        for j in (0, 2):
            assert got[j] is not None and state(got[j]) == state(alone(*batch[j])[0])
    assert taken and refused            # both kinds were seen


def test_what_the_shared_checks_leave_out_is_read_alone(objects):
    """Not an ELF object, a truncated one, an empty file: None (ObjectFile says why)."""
    name, data = objects[0]
    got = inp.parse_objects([("empty.o", b""), ("text.o", b"hello"), ("cut.o", data[:100]), (name, data)])
    assert got[:3] == [None, None, None] and got[3] is not None
    assert np.array_equal(got[3].shdrs, alone(name, data)[0].shdrs)


def test_a_few_objects_are_read_one_by_one_as_together(objects, monkeypatch):
    """No more objects than input._FEW_OBJECTS (a dynamic hello's six) are each read alone:
    the same objects the shared checks give, and None for what fails alone."""
    name, data = objects[0]
    batch = [*objects[:3], ("empty.o", b""), ("cut.o", data[:100])]
    ref = inp.parse_objects(batch)
    monkeypatch.setattr(inp, "_FEW_OBJECTS", len(batch))
    got = inp.parse_objects(batch)
    assert got[3:] == [None, None] and ref[3:] == [None, None]
    for a, b in zip(got[:3], ref[:3]):
        assert a is not None and b is not None and state(a) == state(b), a.name


def _lists(c):
    return tuple(x.tolist() if isinstance(x, np.ndarray) else list(x) for x in c), type(c[0])


def test_classes_of_many_objects_as_of_each(objects):
    """resolve.classify_many (what a link does for the objects read together) gives each
    object what resolve.classes gives it alone: the same references, definitions and ranks,
    and the same kinds of container (a list for a few globals, an array for more)."""
    objs = [o for o in inp.parse_objects(objects) if o is not None]
    resolve.classify_many(objs)
    for o in objs:
        assert "_classes" in o.__dict__
        # (with no section discarded, classes computes the object's answer afresh)
        fresh = resolve.classes(o, np.zeros(len(o.shdrs), dtype=bool))
        assert _lists(resolve.classes(o)) == _lists(fresh), o.name
    assert {type(resolve.classes(o)[0]) for o in objs} == {list, np.ndarray}   # both kinds were seen



def test_names_interned_as_an_array_get_the_ids_one_by_one_gives():
    """SymbolTable.intern_array (the globals of many objects at once) numbers new names in
    order of first appearance, gives a name twice its first id and a known name its id: what
    intern_all gives, called on the same names in pieces."""
    known = ["main", "printf", "x"]
    names = ["a", "printf", "b", "a", "c", "main", "b", "d", "x", "c", "e"] * 3 + [f"n{i}" for i in range(70)]
    one, many = resolve.SymbolTable(), resolve.SymbolTable()
    for st in (one, many):
        st.intern_all(known)
    ref = [g for k in range(0, len(names), 7) for g in one.intern_all(names[k:k + 7])]
    got = many.intern_array(names)
    assert got.tolist() == ref
    assert many.names == one.names and many.ids == one.ids
    assert len(many.state) == len(many.def_file) == len(many.strong_ref) == len(many.common_size) == len(many.names)
    assert many.intern_array(names).tolist() == ref          # all known now: the same ids again
    with pytest.raises(KeyError):          # (the call's numbering of new names is over)
        many.ids["not interned"]
    assert "not interned" not in many.ids


def test_objects_interned_ahead_get_the_ids_of_object_by_object(objects, monkeypatch):
    """Resolver.intern_ahead (the objects a command line names in a row) leaves every object
    and the symbol table as adding them one by one does."""
    from xld.link import driver, options
    monkeypatch.setattr(resolve, "_MANY_NAMES", 0)          # (these objects have a few hundred)
    from xld.link.errors import Diag

    def resolved(ahead: bool):
        objs = [o for o in inp.parse_objects(objects) if o is not None]
        ctx = driver.Context(options.parse(["-o", "/dev/null", "x.o"]), Diag())
        r = resolve.Resolver(ctx)
        if ahead:
            r.intern_ahead(objs)
            assert all("gids_ahead" in o.__dict__ for o in objs)
        for o in objs:
            r.add_object(o)
        st = ctx.symtab
        return [o.gids.tolist() for o in objs], st.names, st.state, st.def_file, st.def_index, bytes(st.strong_ref)

    assert resolved(True) == resolved(False)


def test_a_relocation_tables_offset_in_its_mapping_is_known_until_a_pass_replaces_it(objects, tmp_path):
    """``rela_offset`` (what pages.release_span takes instead of asking NumPy for addresses):
    for an object read together from a mapping, each relocation table's offset in the file;
    -1 for a table a pass has replaced, and for an object not read from a mapping."""
    named = []
    for name, data in objects:
        (tmp_path / name).write_bytes(data)
        named.append((name, inp.map_regular(str(tmp_path / name))))
    seen = 0
    for (name, mm), obj in zip(named, inp.parse_objects(named)):
        base = np.frombuffer(mm, dtype=np.uint8).ctypes.data
        for target, r in obj.relas.items():
            assert obj.rela_offset(target, r) == r.ctypes.data - base, (name, target)
            assert bytes(mm[obj.rela_offset(target, r):][:r.nbytes]) == r.tobytes()
            seen += 1
        if obj.relas:
            target, r = next(iter(obj.relas.items()))
            obj.relas[target] = r.copy()                # (as a pass that changes a table does)
            assert obj.rela_offset(target, obj.relas[target]) == -1
    assert seen >= len(objects)
    together = inp.parse_objects(objects)               # bytes, not a mapping
    assert all(o.rela_offset(t, r) == -1 for o in together for t, r in o.relas.items())


def test_an_archive_members_relocation_tables_offsets_are_known(objects, tmp_path):
    """A member read alone (the lazy load of a link, the warm server's parse ahead) knows
    its relocation tables' offsets in the archive's mapping as the objects read together
    know theirs (``rela_offset``: each one what NumPy's address says), whether read one
    table at a time or together; -1 once a pass replaced a table."""
    paths = []
    for name, data in objects:
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    arch = {183: "arm64", 243: "riscv64"}[inp.ObjectFile("x.o", objects[0][1]).machine]
    tc.archive(arch, paths, tmp_path / "libm.a")
    ar = inp.open_input(str(tmp_path / "libm.a"))
    base = np.frombuffer(ar.data, dtype=np.uint8).ctypes.data
    seen = 0
    for pos in list(ar.members):
        obj = ar.member(pos)
        for target, r in obj.relas.items():
            assert obj.rela_offset(target, r) == r.ctypes.data - base, (obj.name, target)
            seen += 1
        if obj.relas:
            target, r = next(iter(obj.relas.items()))
            obj.relas[target] = r.copy()
            assert obj.rela_offset(target, obj.relas[target]) == -1
    assert seen >= len(objects)


def test_global_names_out_of_the_tables_order_are_read_as_alone(objects):
    """parse_objects takes an object's global names as a run of its string table when they
    lie there in the symbols' order (as assemblers write them); names in another order (two
    globals' st_name swapped) are read name by name, as alone."""
    import numpy as np
    from xld.link import elf
    name, data = next((n, d) for n, d in objects if n == "many.o")
    ref = inp.ObjectFile(name, data)
    buf = bytearray(data)
    sh = ref.shdrs[ref.symtab_index]
    syms = np.frombuffer(buf, elf.SYM, int(sh["sh_size"]) // elf.SYM_SIZE, int(sh["sh_offset"]))
    a, b = ref.first_global, ref.first_global + 1
    syms["st_name"][[a, b]] = syms["st_name"][[b, a]]
    swapped = bytes(buf)
    got = inp.parse_objects([objects[0], (name, swapped), objects[1]])
    want = inp.ObjectFile(name, swapped).global_names()
    assert want[:2] == ref.global_names()[1::-1]
    assert got[1].global_names() == want
    assert got[0].global_names() == alone(*objects[0])[0].global_names()
