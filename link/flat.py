"""--oformat binary: the flat image ``objcopy -O binary`` makes from the ELF xld would write.

The bytes of every allocated section that has contents, placed by load address (LMA: where a
loader or a flash programmer puts them, which a linker script's ``AT(...)``/``AT> REGION`` may
set apart from the run address), from the lowest load address to the end of the highest
section; gaps between sections are zeros.  Headers, symbols and non-allocated sections
(debug, .comment, attributes) are not part of the image.  An output with no such section is
an empty file, as objcopy writes it.
"""
from __future__ import annotations

import numpy as np

from xld.link.errors import LinkError

# --oformat values: the flat image, or ELF under the names GNU ld's BFD gives it
ELF_NAMES = {"elf", "elf64-littleaarch64", "elf64-aarch64", "elf64-littleriscv", "elf64-riscv"}


def check(value: str) -> str:
    v = value.strip()
    if v == "binary":
        return "binary"
    if v in ELF_NAMES:
        return "elf"
    raise LinkError(f"unknown --oformat: {value} (xld writes ELF, or binary)")


def load_address(o) -> int:
    """An output section's load address: its own (lma) when a script set one, else its address."""
    lma = getattr(o, "lma", None)
    return o.addr if lma is None else lma


def to_binary(ctx) -> None:
    """Replace the ELF in ``ctx.out_bytes`` with the flat image of its loadable contents."""
    elf_bytes = ctx.out_bytes
    secs = [o for o in ctx.ordered if o.alloc and not o.nobits and o.size > 0]
    if not secs:
        ctx.out_bytes = np.zeros(0, dtype=np.uint8)
        return
    start = min(load_address(o) for o in secs)
    end = max(load_address(o) + o.size for o in secs)
    if end - start > 1 << 32:
        raise LinkError(f"--oformat binary: the image would be {end - start:#x} bytes "
                        f"(load addresses {start:#x} to {end:#x}); place the sections closer together")
    img = np.zeros(end - start, dtype=np.uint8)
    for o in sorted(secs, key=load_address):
        a = load_address(o) - start
        img[a:a + o.size] = elf_bytes[o.offset:o.offset + o.size]
    ctx.out_bytes = img
