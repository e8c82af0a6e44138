"""Merging .riscv.attributes (the riscv64 backend's hook "attributes"), as the RISC-V
psABI's "Attributes" section describes.

The section is an ELF build-attributes blob: 'A', then one subsection per vendor
(length, "riscv\\0"), holding file-scope attributes (tag 1, length) encoded as ULEB128 tags
followed by a ULEB128 or a NUL-terminated string.  RISC-V's tags:

    4 Tag_RISCV_stack_align        ULEB   must agree (an error otherwise)
    5 Tag_RISCV_arch               string union of the extensions, highest version of each
    6 Tag_RISCV_unaligned_access   ULEB   1 if any input allows it
    8/10/12 priv_spec major/minor/revision  ULEB   the highest
Even tags above 32 are ULEBs, odd ones strings (the generic rule); those are kept from the
first input that has them.
"""
from __future__ import annotations

import re
import struct

from xld.link.elf import read_uleb

_STRING_TAGS = {5}
_CANON = "imafdqlcbkjtpvnh"




def _enc_uleb(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def parse(data: bytes) -> dict[int, int | str]:
    """File-scope attributes of the 'riscv' vendor subsection."""
    attrs: dict[int, int | str] = {}
    if not data or data[0] != ord("A"):
        raise ValueError("not an attributes section (no 'A' version byte)")
    p = 1
    while p + 4 <= len(data):
        length = struct.unpack_from("<I", data, p)[0]
        end = p + length
        if end > len(data):
            raise ValueError(f"subsection at offset {p} ends past the section")
        q = data.index(b"\0", p + 4)
        vendor = data[p + 4:q].decode("ascii", "replace")
        q += 1
        if vendor == "riscv":
            while q < end:
                start = q
                tag, q = read_uleb(data, q)
                size = struct.unpack_from("<I", data, q)[0]
                sub_end = start + size                # the size counts the tag and itself
                if sub_end <= start + 4 or sub_end > end:
                    raise ValueError(f"attribute subsection at offset {start} has a bad size {size}")
                q += 4
                if tag != 1:                      # only file scope is defined
                    q = sub_end
                    continue
                while q < sub_end:
                    t, q = read_uleb(data, q)
                    if t in _STRING_TAGS or (t > 32 and t % 2 == 1):
                        z = data.index(b"\0", q)
                        attrs[t] = data[q:z].decode("ascii", "replace")
                        q = z + 1
                    else:
                        attrs[t], q = read_uleb(data, q)
        p = end if length else len(data)
    return attrs


# compiled at import: the warm server's links would each compile them again (~0.3 ms a link)
_BASE = re.compile(r"(rv\d+)(.*)")
_SINGLE = re.compile(r"([a-z])(\d+)?(?:p(\d+))?")
# a multi-letter name may hold digits (zvl128b, zve32x, zve64d) but ends in a letter; the
# version, if any, follows it at the end of the part
_MULTI = re.compile(r"([a-z]|[a-z][a-z0-9]*?[a-z])(\d+)?(?:p(\d+))?$")


def _split_arch(arch: str) -> tuple[str, dict[str, tuple[int, int]]]:
    parts = arch.lower().split("_")
    head = parts[0]
    m = _BASE.match(head)
    if not m:
        raise ValueError(f"malformed Tag_RISCV_arch '{arch}'")
    base, rest = m.groups()
    exts: dict[str, tuple[int, int]] = {}
    for name, maj, minor in _SINGLE.findall(rest):
        exts[name] = (int(maj), int(minor or 0)) if maj else (-1, -1)
    for part in parts[1:]:
        mm = _MULTI.fullmatch(part)
        if not mm:
            raise ValueError(f"malformed extension '{part}' in Tag_RISCV_arch '{arch}'")
        exts[mm.group(1)] = (int(mm.group(2)), int(mm.group(3) or 0)) if mm.group(2) else (-1, -1)
    return base, exts


def _order(ext: str) -> tuple:
    if len(ext) == 1:
        return (0, _CANON.index(ext) if ext in _CANON else 99, ext)
    cls = {"z": 1, "s": 2, "x": 3}.get(ext[0], 4)
    second = _CANON.index(ext[1]) if cls == 1 and ext[1] in _CANON else 99
    return (cls, second, ext)


def merge_arch(strings: list[str]) -> str:
    base = None
    exts: dict[str, tuple[int, int]] = {}
    for s in strings:
        b, e = _split_arch(s)
        if base is None:
            base = b
        elif b != base:
            raise ValueError(f"cannot link {b} objects with {base} objects")
        for k, v in e.items():
            if k not in exts or v > exts[k]:
                exts[k] = v
    names = sorted(exts, key=_order)
    text = [k if exts[k] == (-1, -1) else f"{k}{exts[k][0]}p{exts[k][1]}" for k in names]
    return base + "_".join(text)


def merge(blobs: list[bytes]) -> bytes:
    """One .riscv.attributes for the output."""
    parsed = [parse(b) for b in blobs]
    out: dict[int, int | str] = {}
    arches = [a[5] for a in parsed if 5 in a]
    if arches:
        out[5] = merge_arch(arches)
    aligns = {a[4] for a in parsed if 4 in a}
    if len(aligns) > 1:
        raise ValueError(f"objects disagree on Tag_RISCV_stack_align: {sorted(aligns)}")
    if aligns:
        out[4] = aligns.pop()
    if any(a.get(6) for a in parsed):
        out[6] = 1
    for t in (8, 10, 12):
        vals = [a[t] for a in parsed if t in a]
        if vals:
            out[t] = max(vals)
    for a in parsed:
        for t, v in a.items():
            out.setdefault(t, v)
    body = bytearray()
    for t in sorted(out):
        body += _enc_uleb(t)
        v = out[t]
        body += (v.encode() + b"\0") if isinstance(v, str) else _enc_uleb(v)
    file_sub = b"\x01" + struct.pack("<I", 5 + len(body)) + bytes(body)
    vendor = b"riscv\0"
    sub = struct.pack("<I", 4 + len(vendor) + len(file_sub)) + vendor + file_sub
    return b"A" + sub
