"""Diagnostics in lld's words.

Errors are collected while a pass runs and reported together at the pass boundary
(``Diag.check``), so a user sees every undefined symbol at once, not the first one.
A ``LinkError`` raised anywhere aborts the link with its message.
"""
from __future__ import annotations

import re
import sys


class LinkError(Exception):
    """A fatal, user-facing error; the message is printed after 'xld: error: '."""


_after_multiline = [False]      # lld: a blank line after a message of several lines


class Diag:
    def __init__(self, stream=None, max_errors: int = 20):
        self.stream = stream or sys.stderr
        self.errors: list[str] = []
        self._said_errors: set[str] = set()   # the errors' texts, each reported once
        self.warnings: list[str] = []
        self.max_errors = max_errors
        self.fatal_warnings = False         # --fatal-warnings: a warning is an error
        self.quiet = False                  # -w, --no-warnings: warnings are not shown (nor fatal)
        self.demangle = True                # --demangle (default) / --no-demangle
        self.said: set[str] = set()         # warnings an earlier round of the link printed (GCC LTO)
        _after_multiline[0] = False         # a new link: no separator before its first message

    def sym(self, name: str) -> str:
        """A symbol as messages name it: C++ and Rust names demangled (as lld does), unless
        --no-demangle."""
        if not self.demangle or not name.startswith(("_Z", "_R")):
            return name
        return demangle(name)

    def error(self, msg: str) -> None:
        if msg in self._said_errors:
            return                          # (two checks that refuse the same place say it once)
        self._said_errors.add(msg)
        self.errors.append(msg)

    def warn(self, msg: str) -> None:
        if msg in self.said or self.quiet:
            return
        if self.fatal_warnings:
            self.errors.append(msg)
            return
        self.warnings.append(msg)
        _print(f"xld: warning: {msg}", self.stream)

    def check(self) -> None:
        """End of a pass: if anything went wrong, stop the link."""
        if self.errors:
            raise LinkAborted(self.errors)


def run_error_hook(script: str | None, kind: str, name: str) -> None:
    """--error-handling-script=SCRIPT: GNU ld runs ``SCRIPT undefined-symbol NAME`` for each
    undefined reference it reports and ``SCRIPT missing-lib -lNAME`` for a library it cannot
    find, before the error, for hints (its output goes where the linker's does); the link
    fails all the same.  A script that cannot run is said so, as GNU ld says it."""
    if not script:
        return
    import subprocess
    for f in (sys.stdout, sys.stderr):
        f.flush()
    try:
        subprocess.run([script, kind, name], stdin=subprocess.DEVNULL, check=False)
    except OSError as e:
        _print(f"xld: failed to run error handling script '{script}', reason: {e.strerror}", sys.stderr)


def demangle(name: str) -> str:
    """The source spelling of a mangled name, or the name itself: C++ (Itanium ABI, and Rust's
    legacy mangling, which is Itanium-shaped: ``r::add_one::h669b02623acb565e`` as lld prints
    it) by the ``cpp_demangle`` package; Rust's v0 names (``_R...``) by ``pyderust`` (the
    rustc-demangle crate; the optional extra ``xld[rust]``), as lld prints them."""
    try:
        if name.startswith("_R"):
            import pyderust
            return pyderust.demangle(name)
        import cpp_demangle
        return _gnu_spelling(cpp_demangle.demangle(name))
    except Exception:                       # not a mangled name, or no demangler installed
        return name


_THUNK = re.compile(r"\{virtual override thunk\((\{[^{}]*\}, )(\{[^{}]*\}, )?(.*)\)\}$")


def _gnu_spelling(text: str) -> str:
    """The special names as c++filt (and so GNU ld's version scripts, and lld) spell them:
    cpp_demangle writes ``{vtable(X)}``, ``{vtt(X)}``, thunks as ``{virtual override
    thunk(...)}`` and a construction vtable's classes the other way round."""
    if text.startswith("{vtable(") and text.endswith(")}"):
        return f"vtable for {text[8:-2]}"
    if text.startswith("{vtt(") and text.endswith(")}"):
        return f"VTT for {text[5:-2]}"
    m = _THUNK.match(text)
    if m:
        kind = ("covariant return thunk to" if m.group(2) else
                "virtual thunk to" if m.group(1).startswith("{virtual offset") else "non-virtual thunk to")
        return f"{kind} {m.group(3)}"
    if text.startswith("construction vtable for ") and text.count("-in-") == 1:
        inner, outer = text[len("construction vtable for "):].split("-in-")
        return f"construction vtable for {outer}-in-{inner}"
    return text


class Relink(Exception):
    """A pass asks for the link to be made again from the start, with ``opts`` and the
    pass's ``state`` carried over (GCC LTO objects compiled: link/lto.py)."""

    def __init__(self, opts, state):
        super().__init__("relink")
        self.opts = opts
        self.state = state


class LinkAborted(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def _print(text: str, stream) -> None:
    """One diagnostic, with lld's separator: a message of several lines (an undefined symbol
    and its references) is followed by a blank line before the next message."""
    if _after_multiline[0]:
        print(file=stream)
    print(text, file=stream)
    _after_multiline[0] = "\n" in text


def report(errors: list[str], stream=None, limit: int = 20) -> None:
    stream = stream or sys.stderr
    for msg in errors[:limit]:
        _print(f"xld: error: {msg}", stream)
    if len(errors) > limit:
        _print("xld: error: too many errors emitted, stopping now "
               "(use --error-limit=0 to see all errors)", stream)
