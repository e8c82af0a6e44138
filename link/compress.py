"""--compress-debug-sections=zlib (``gcc -gz`` passes it) or zstd: the output's DWARF sections
compressed, as the gABI describes (SHF_COMPRESSED; an Elf64_Chdr, then a zlib stream, or a
zstd frame: ELFCOMPRESS_ZSTD, through the ``zstandard`` package, at zstd's default level as
GNU ld's).

A pass over the finished file (``ctx.out_bytes``), after the relocation and --verify passes
and before the build ID, so everything before it works on plain contents: the non-allocated
``.debug_*`` sections are compressed, and every section after the first of them, and the
section header table, move down to close the gaps.  As GNU ld does it: a section is
compressed only when that makes it smaller (a tiny section keeps its plain contents), with
zlib's default level; a compressed section is aligned to 8 (its header's alignment), and
its header says the uncompressed size and alignment.  In an executable or a shared library
allocated sections never move: they all precede the debug sections in the file (a layout
where one does not is refused); in a -r object any section may.
"""
from __future__ import annotations

import zlib

import numpy as np

from xld.link import elf
from xld.link.errors import LinkError

ELFCOMPRESS_ZLIB, ELFCOMPRESS_ZSTD = 1, 2
CHDR = np.dtype([("ch_type", "<u4"), ("ch_reserved", "<u4"), ("ch_size", "<u8"), ("ch_addralign", "<u8")])


def zstd_module(what: str):
    """The ``zstandard`` package, or an error naming ``what`` needs it."""
    try:
        import zstandard
    except ImportError:
        raise LinkError(f"{what} needs the zstandard package (pip install 'xld[zstd]')") from None
    return zstandard


def run(ctx) -> None:
    """The pass: compress the finished output's debug sections (``--compress-debug-sections``)."""
    if ctx.opts.compress_debug not in ("zlib", "zstd"):
        return
    ctx.out_bytes = compress_debug_sections(ctx.out_bytes, ctx.opts.compress_debug)


def compress_debug_sections(out: np.ndarray, how: str = "zlib") -> np.ndarray:
    """``out`` (a whole ELF64 file) with its ``.debug_*`` sections compressed (``how``: zlib
    or zstd) where that makes them smaller; ``out`` itself when none does."""
    if how == "zstd":
        pack, ch_type = zstd_module("--compress-debug-sections=zstd").ZstdCompressor().compress, ELFCOMPRESS_ZSTD
    else:
        pack, ch_type = zlib.compress, ELFCOMPRESS_ZLIB
    eh = np.frombuffer(out[:elf.EHDR_SIZE].tobytes(), elf.EHDR)[0]
    shoff, shnum, shstrndx = int(eh["e_shoff"]), int(eh["e_shnum"]), int(eh["e_shstrndx"])
    sh = np.frombuffer(out[shoff:shoff + shnum * elf.SHDR_SIZE].tobytes(), elf.SHDR).copy()
    strtab = sh[shstrndx]
    names = out[int(strtab["sh_offset"]):int(strtab["sh_offset"]) + int(strtab["sh_size"])].tobytes()
    packed: dict[int, bytes] = {}
    for i in range(1, shnum):
        s = sh[i]
        if (s["sh_type"] == elf.SHT_NOBITS or s["sh_flags"] & (elf.SHF_ALLOC | elf.SHF_COMPRESSED)
                or not s["sh_size"] or not elf.cstr(names, int(s["sh_name"])).startswith(".debug_")):
            continue
        off, size = int(s["sh_offset"]), int(s["sh_size"])
        head = np.zeros(1, CHDR)
        head["ch_type"], head["ch_size"], head["ch_addralign"] = ch_type, size, s["sh_addralign"]
        body = head.tobytes() + pack(out[off:off + size].tobytes())
        if len(body) < size:
            packed[i] = body
    if not packed:
        return out
    start = min(int(sh[i]["sh_offset"]) for i in packed)
    # what follows the first compressed section moves: it must all be non-allocated
    later = sorted((int(sh[i]["sh_offset"]), i) for i in range(1, shnum) if sh[i]["sh_offset"] >= start)
    loaded = int(eh["e_phnum"]) > 0            # (in a -r object any section may move)
    if loaded and any(sh[i]["sh_flags"] & elf.SHF_ALLOC and _has_bytes(sh[i]) for _, i in later):
        raise LinkError("--compress-debug-sections: an allocated section follows the debug sections "
                        "in the file; not supported with this layout")
    pieces, pos = [out[:start]], start
    for _, i in later:
        data = packed.get(i)
        if not _has_bytes(sh[i]):
            sh[i]["sh_offset"] = pos
            continue
        align = 8 if data is not None else max(1, int(sh[i]["sh_addralign"]))
        pad = -pos % align
        if pad:
            pieces.append(np.zeros(pad, dtype=np.uint8))
            pos += pad
        if data is None:
            off = int(sh[i]["sh_offset"])
            pieces.append(out[off:off + int(sh[i]["sh_size"])])
        else:
            pieces.append(np.frombuffer(data, dtype=np.uint8))
            sh[i]["sh_size"] = len(data)
            sh[i]["sh_flags"] |= elf.SHF_COMPRESSED
            sh[i]["sh_addralign"] = 8
        sh[i]["sh_offset"] = pos
        pos += len(pieces[-1])
    pad = -pos % 8
    pieces.append(np.zeros(pad, dtype=np.uint8))
    new_shoff = pos + pad
    pieces.append(sh.view(np.uint8))
    new = np.concatenate(pieces)
    eh = eh.copy()
    eh["e_shoff"] = new_shoff
    new[:elf.EHDR_SIZE] = np.frombuffer(eh.tobytes(), dtype=np.uint8)
    return new


def _has_bytes(s) -> bool:
    return s["sh_type"] != elf.SHT_NOBITS and s["sh_size"] > 0
