"""``xld install-ld-wrapper DIR``: a directory whose ``ld`` runs this xld, for ``gcc -B DIR``
and ``clang -fuse-ld=DIR/ld``.

The wrapper names this Python interpreter by its absolute path, so it works outside the
virtual environment xld was installed into (a wrapper that runs ``xld`` from ``PATH`` fails
there).  It runs the lean client (link/client.py, ``python -I -S``: no ``site``, no xld imports),
which hands the link to the warm server and otherwise ``exec``s ``python -m xld.link``, the full
command; if the client's file is gone (xld moved), the wrapper runs the full command itself.
``DIR/xld-run`` is ``xld run`` the same way, for a test runner's emulator setting.

Where the host has a C compiler (``cc``), DIR/ld and DIR/xld-run are instead link/client.c
compiled with this installation's constants: the same client without the interpreter's start
(~9 ms of CPU of every served link or run).  It is installed only after it gave the Python client's installation key
for two environments; if anything fails (no compiler, an error, a different key) the sh wrapper
stays, silently.  ``--sh`` keeps the sh wrapper.
"""
from __future__ import annotations

import os
import sys

USAGE = ("usage: xld install-ld-wrapper [--sh] DIR   (then: gcc -B DIR ..., clang -fuse-ld=DIR/ld ...;\n"
         "       DIR/xld-run PROG ARGS is xld run, for a test runner's emulator setting;\n"
         "       --sh: DIR/ld and DIR/xld-run are sh scripts, not the compiled lean client)\n")
# what the compiled client's constants are, from the lean client's own interpreter
_QUERY = ("import sys; sys.path.append({pkg!r}); import client; "
          "e = client.environment(); "
          "print(repr((sys.executable, sys.version, client.PACKAGE_DIR, "
          "client.key_text(sys.executable, sys.version, client.PACKAGE_DIR, e))))")


def wrapper_text() -> str:
    from xld.link import client
    return ("#!/bin/sh\n# ld for gcc -B / clang -fuse-ld= (xld install-ld-wrapper)\n" +
            client.launcher("ld", "-m xld.link", os.path.abspath(sys.executable)))


def run_wrapper_text() -> str:
    """DIR/xld-run: ``xld run`` for a test runner's emulator setting (CMake's
    CMAKE_CROSSCOMPILING_EMULATOR, meson's exe_wrapper), through the lean client."""
    from xld.link import client
    return ("#!/bin/sh\n# xld run PROG ARGS... (xld install-ld-wrapper)\n" +
            client.launcher("run", "-m xld.link run", os.path.abspath(sys.executable)))


def _c_string(text: str) -> str:
    """A C string literal of ``text``'s UTF-8 bytes (every byte but letters and digits escaped)."""
    return '"' + "".join(chr(b) if chr(b).isalnum() and b < 128 else f"\\{b:03o}"
                         for b in text.encode("utf-8", "surrogateescape")) + '"'


def native_clients(d: str, timeout: float = 60.0) -> list[str]:
    """Build link/client.c for this installation as ``d``/ld and ``d``/xld-run; the names
    written.  None when there is no host compiler, and none that failed to build or whose
    installation key differs from the Python client's (in this environment, and in one with
    other PYTHON* variables and HOME)."""
    import ast
    import shutil
    import signal
    import subprocess
    import tempfile
    from xld.link import client
    src = os.path.join(client.PACKAGE_DIR, "client.c")
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    python = os.path.abspath(sys.executable)
    if cc is None or not os.path.isfile(src) or not os.path.isfile(os.path.join(client.PACKAGE_DIR, "client.py")):
        return []
    envs = [dict(os.environ),
            {**{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
             "HOME": "/nonexistent/xld-key-check", "PYTHONNOUSERSITE": "1", "PYTHONXLDCHECK": "b=a"}]
    written: list[str] = []
    builds: list = []                       # (name, program, the compiler's process)
    try:
        with tempfile.TemporaryDirectory(prefix="xld-client-") as tmp:
            want = []
            for env in envs:
                q = subprocess.run([python, "-I", "-S", "-c", _QUERY.format(pkg=client.PACKAGE_DIR)],
                                   capture_output=True, text=True, env=env, timeout=timeout,
                                   cwd=tmp, errors="surrogateescape")
                if q.returncode != 0:
                    return []
                want.append(ast.literal_eval(q.stdout.strip()))
            executable, version, package_dir, _ = want[0]
            with open(src) as f:
                body = f.read()
            for kind, name in (("ld", "ld"), ("run", "xld-run")):
                consts = {"XLD_PYTHON": python, "XLD_EXECUTABLE": executable, "XLD_VERSION": version,
                          "XLD_PACKAGE_DIR": package_dir,
                          "XLD_CLIENT_PY": os.path.join(package_dir, "client.py"),
                          "XLD_LEAN_CODE": client.lean_argv(python)[4], "XLD_KIND": kind}
                c_file, exe = os.path.join(tmp, name + ".c"), os.path.join(tmp, name)
                with open(c_file, "w") as f:
                    f.write("".join(f"#define {k} {_c_string(v)}\n" for k, v in consts.items()) + body)
                builds.append((name, exe, subprocess.Popen([cc, "-O2", "-o", exe, c_file], cwd=tmp,
                                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                                           start_new_session=True)))
            try:
                for name, exe, proc in builds:
                    if proc.wait(timeout=timeout) != 0 or not _same_key(exe, envs, want, tmp, timeout):
                        continue
                    _write(os.path.join(d, name), copy_of=exe)
                    written.append(name)
            finally:
                for _, _, proc in builds:       # (a compiler that timed out: with what it
                    if proc.poll() is None:     # started, cc1 and as, in its own session)
                        try:
                            os.killpg(proc.pid, signal.SIGKILL)
                        except OSError:
                            proc.kill()
                        proc.wait()
    except (OSError, subprocess.SubprocessError, ValueError, SyntaxError):
        pass
    return written


def _same_key(exe: str, envs, want, cwd: str, timeout: float) -> bool:
    """Whether the compiled client gives the Python client's installation key in ``envs``."""
    import subprocess
    from xld.link import client
    for env, (*_, key) in zip(envs, want):
        r = subprocess.run(["--xld-native-client-key"], executable=exe, capture_output=True, env=env,
                           timeout=timeout, cwd=cwd)
        if r.returncode != 0 or r.stdout != (client.key_name(key) + "\n" + key).encode("utf-8", "surrogateescape"):
            return False
    return True


def _write(path: str, text: str | None = None, copy_of: str | None = None) -> None:
    """``path`` made executable with ``text`` (or a copy of the file ``copy_of``), at once: by a
    file of a name no other install uses (two installs into one DIR at a time: a shared
    ``ld.tmp`` had one's sh text and the other's program written over each other, and one
    renamed into place while the other still wrote it)."""
    import tempfile
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                               dir=os.path.dirname(path))
    try:
        with open(fd, "wb") as f:
            if copy_of is None:
                f.write(text.encode(sys.getfilesystemencoding(), "surrogateescape"))
            else:
                with open(copy_of, "rb") as src:
                    f.write(src.read())
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main(argv: list[str]) -> int:
    sh = argv[:1] == ["--sh"]
    argv = argv[1:] if sh else argv
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        (sys.stdout if argv[:1] in (["-h"], ["--help"]) else sys.stderr).write(USAGE)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 1
    d = os.path.abspath(argv[0])
    path = os.path.join(d, "ld")
    for name, text in (("ld", wrapper_text()), ("xld-run", run_wrapper_text())):
        try:
            os.makedirs(d, exist_ok=True)
            _write(os.path.join(d, name), text)
        except OSError as e:
            print(f"xld: error: cannot write {os.path.join(d, name)}: {e.strerror}", file=sys.stderr)
            return 1
    if not sh:
        native_clients(d)             # over the sh wrappers, or nothing (they stay)
    print(path)
    return 0
