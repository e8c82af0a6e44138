"""The import graph of xld's packages has no cycle (STYLE.md, DESIGN.md): a module imports only
modules below it.  Imports inside functions (made there for start-up time) count as much as
those at the top: a cycle held apart by a function-level import is still a cycle (two modules
that each need the other to be understood).  Where a lower module needs something of a higher
one, the higher one hands it down (a hook on the context, an object it made, a callback)."""
import ast
import os

import xld.link

PACKAGES = ("link", "arch", "emu", "tools")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(xld.link.__file__)))     # (link/'s parent)


def module_files(root: str) -> dict[str, str]:
    """Dotted module name -> path, for every module of PACKAGES under ``root`` (a package's
    ``__init__.py`` is the package)."""
    out = {}
    for pkg in PACKAGES:
        base = os.path.join(root, pkg)
        for dirpath, _, files in os.walk(base):
            rel = os.path.relpath(dirpath, root).replace(os.sep, ".")
            for f in files:
                if f.endswith(".py"):
                    name = f"xld.{rel}" if f == "__init__.py" else f"xld.{rel}.{f[:-3]}"
                    out[name] = os.path.join(dirpath, f)
    return out


def import_edges(root: str) -> dict[str, dict[str, int]]:
    """Module -> {module of xld it imports: the line of the first such import}, every import
    statement anywhere in the module counted (``from xld.link import a, b`` names modules a
    and b; ``from xld.link.a import f`` names a)."""
    mods = module_files(root)
    edges = {}
    for name, path in mods.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
        out: dict[str, int] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            for t in targets:
                if t in mods and t != name:
                    out.setdefault(t, node.lineno)
        edges[name] = out
    return edges


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, without
    recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def describe(edges, comp: list[str]) -> str:
    inside = set(comp)
    lines = [f"{len(comp)} modules: {', '.join(comp)}"]
    for a in comp:
        for b, line in sorted(edges[a].items()):
            if b in inside:
                lines.append(f"    {a} -> {b}  (line {line})")
    return "\n".join(lines)


def test_the_scan_finds_a_cycle_and_its_edges(tmp_path):
    """(The guard below can fail: two modules importing each other, one of them inside a
    function, are found, with the lines of both imports.)"""
    pkg = tmp_path / "link"
    pkg.mkdir()
    for d in PACKAGES[1:]:
        (tmp_path / d).mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text("def f():\n    from xld.link import high\n    return high\n")
    (pkg / "high.py").write_text("from xld.link.low import f\n")
    (pkg / "alone.py").write_text("from . import low\n")
    edges = import_edges(str(tmp_path))
    assert edges["xld.link.alone"] == {"xld.link.low": 1}
    found = cycles(edges)
    assert found == [["xld.link.high", "xld.link.low"]]
    text = describe(edges, found[0])
    assert "xld.link.low -> xld.link.high  (line 2)" in text
    assert "xld.link.high -> xld.link.low  (line 1)" in text


def test_no_import_cycles():
    edges = import_edges(ROOT)
    assert len(edges) > 80 and edges["xld.link.driver"]     # (the scan saw the packages)
    found = cycles(edges)
    assert not found, "import cycles:\n" + "\n".join(describe(edges, c) for c in found)
