"""The kernel's ELF loader (fs/binfmt_elf.c), for the runner: place and map an executable and
its program interpreter.

- ET_EXEC images go where their program headers say (bias 0).
- ET_DYN executables (PIE, static-pie) are loaded at PIE_BASE, as the kernel loads them at
  ELF_ET_DYN_BASE (without randomization: runs are deterministic).
- The program interpreter (PT_INTERP, an ET_DYN ld.so) goes where the kernel's mmap would put
  it: the highest free gap below the mmap area's top. Its address is AT_BASE, and the program
  starts at its entry; ld.so then maps the libraries itself, with ordinary system calls.

Segments are mapped with the union of the permissions of the segments sharing a page, the file
bytes copied in and the rest (bss) left zero. Every size comes from a file the guest chose, so
each image is checked before anything is mapped: it must fit below the stack, above the first
pages, and within the memory limit.
"""

from __future__ import annotations

from .elf import ET_DYN, PT_PHDR, Elf
from .memory import PIE_BASE, STACK_SIZE, STACK_TOP, USER_BOTTOM, Memory, OutOfMemory, page_down, page_up

LOAD_TOP = STACK_TOP - STACK_SIZE   # images end below the stack
LOAD_BOTTOM = USER_BOTTOM           # and start above the first pages (Linux's mmap_min_addr)


class LoadError(Exception):
    pass


def _perm(flags: int) -> int:
    """PF_R/PF_W/PF_X -> PROT_READ/PROT_WRITE/PROT_EXEC."""
    return (1 if flags & 4 else 0) | (2 if flags & 2 else 0) | (4 if flags & 1 else 0)


def span(elf: Elf) -> tuple[int, int]:
    """Page-aligned [lo, hi) covering every PT_LOAD segment, before any bias."""
    loads = [s for s in elf.loads if s.memsz]
    if not loads:
        raise LoadError(f"{elf.path}: no loadable segments")
    return page_down(min(s.vaddr for s in loads)), page_up(max(s.vaddr + s.memsz for s in loads))


def place(elf: Elf, mem: Memory, *, interpreter: bool, what: str) -> int:
    """The load bias of an image: 0 for ET_EXEC, PIE_BASE for an ET_DYN executable, the top
    of the free mmap area for an ET_DYN interpreter. Checks that the image fits."""
    lo, hi = span(elf)
    if hi - lo > mem.limit:
        raise LoadError(f"{what}: its segments span {hi - lo:#x} bytes, more than the memory "
                        f"limit ({mem.limit:#x})")
    if elf.type != ET_DYN:
        bias = 0
    elif interpreter:
        try:
            bias = mem.find_free(hi - lo) - lo
        except OutOfMemory:
            raise LoadError(f"{what}: no room for {hi - lo:#x} bytes") from None
    else:
        bias = PIE_BASE - lo
    if lo + bias < LOAD_BOTTOM or hi + bias > LOAD_TOP:
        raise LoadError(f"{what}: segments at {lo + bias:#x}-{hi + bias:#x} lie outside the "
                        f"program's address space ({LOAD_BOTTOM:#x}-{LOAD_TOP:#x})")
    if mem.mapped_bytes(lo + bias, hi + bias):
        raise LoadError(f"{what}: segments at {lo + bias:#x}-{hi + bias:#x} overlap another image")
    return bias


def map_image(mem: Memory, elf: Elf, bias: int, name: str) -> tuple[int, int]:
    """Map the PT_LOAD segments at ``bias``; return the [start, end) the image covers."""
    pieces = []
    for s in elf.loads:
        if s.memsz:
            pieces.append((page_down(s.vaddr + bias), page_up(s.vaddr + s.memsz + bias), _perm(s.flags)))
    # cut at every segment boundary; each piece gets the union of the segments covering it
    cuts = sorted({a for lo, hi, _p in pieces for a in (lo, hi)})
    ranges: list[list[int]] = []
    for lo, hi in zip(cuts, cuts[1:]):
        perm, covered = 0, False
        for s, e, p in pieces:
            if s < hi and e > lo:
                perm |= p
                covered = True
        if not covered:
            continue
        if ranges and ranges[-1][1] == lo and ranges[-1][2] == perm:
            ranges[-1][1] = hi
        else:
            ranges.append([lo, hi, perm])
    for lo, hi, perm in ranges:   # whole ranges, counted against the memory limit
        try:
            mem.map(lo, hi - lo, perm, name)
        except OutOfMemory:
            raise LoadError(f"{name}: its segments need more than the memory limit "
                            f"({mem.limit:#x} bytes)") from None
    for s in elf.loads:
        if s.filesz and s.memsz:
            mem.write(s.vaddr + bias, elf.data[s.offset:s.offset + s.filesz])
    return (ranges[0][0], ranges[-1][1]) if ranges else (0, 0)


def phdr_addr(elf: Elf, bias: int) -> int:
    """Where the program headers are in memory (AT_PHDR)."""
    for s in elf.segments:
        if s.type == PT_PHDR:
            return s.vaddr + bias
    for s in elf.loads:
        if s.offset <= elf.phoff < s.offset + s.filesz:
            return s.vaddr + (elf.phoff - s.offset) + bias
    return 0


__all__ = ["LoadError", "span", "place", "map_image", "phdr_addr"]
