""".ctors and .dtors sections placed in .init_array and .fini_array run backwards: their words
are reversed, as GNU ld reverses them.

The old constructor tables (``.ctors``, ``.ctors.N``; ``.dtors``, ``.dtors.N``: what GCC built
with ``--disable-initfini-array`` and ``clang -fno-use-init-array`` emit) are run by crtbegin
from their end to their start; ``.init_array`` runs from its start to its end.  GNU ld's
default script puts them in ``.init_array``/``.fini_array`` (their priorities sorted with the
arrays', ``.ctors.N`` as ``.init_array.(65535-N)``: link/layout.py) and copies each such input
section word by word in reverse (BFD's ``SEC_ELF_REVERSE_COPY``), so a table of two or more
entries keeps its order.  This pass does the same to the input: its words and its relocations'
offsets mirrored, once the sections are assigned (a -T script may put them elsewhere, and
``-r`` keeps them as they are).  A section whose size or relocation offsets are not whole
words is GNU ld's error too.
"""
from __future__ import annotations

import numpy as np

from xld.link.errors import LinkError

_TABLES = {".ctors": ".init_array", ".dtors": ".fini_array"}
WORD = 8


def _table(name: str) -> str | None:
    """The output section a constructor table named ``name`` is reversed into, or None."""
    for head, out in _TABLES.items():
        if name == head or (name.startswith(head + ".") and name[len(head) + 1:].isdigit()):
            return out
    return None


def run(ctx) -> None:
    if ctx.opts.relocatable:
        return
    for out in _TABLES.values():
        o = ctx.outputs.get(out)
        for obj, i in (o.inputs if o is not None else ()):
            name = obj.sec_names[i]
            if _table(name) == out:
                _reverse(obj, i, name)


def _reverse(obj, i: int, name: str) -> None:
    size = int(obj.shdrs[i]["sh_size"])
    if size % WORD:
        raise LinkError(f"{obj.name}:({name}): size 0x{size:x} is not a multiple of {WORD}: "
                        f"cannot reverse it into an init/fini array")
    if size <= WORD:
        return
    data = np.frombuffer(bytes(obj.section_content(i)), dtype=np.uint8).reshape(-1, WORD)
    obj.content_override[i] = data[::-1].tobytes()
    rel = obj.relas.get(i)
    if rel is not None and len(rel):
        off = rel["r_offset"].astype(np.int64)
        if (off % WORD).any():
            k = int(np.flatnonzero(off % WORD)[0])
            raise LinkError(f"{obj.name}:({name}+0x{int(off[k]):x}): a relocation not on a word: "
                            f"cannot reverse the section into an init/fini array")
        new = rel[::-1].copy()              # (rows stay in ascending offset order)
        new["r_offset"] = (size - WORD - off[::-1]).astype(new["r_offset"].dtype)
        obj.relas[i] = new
