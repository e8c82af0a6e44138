"""qemu-user's spellings for ``xld run``: its environment variables, ``-cpu``, the qemu options
that are refused by name, and the binfmt_misc registration (``xld run --install-binfmt``).

binfmt_misc lets the kernel run a foreign executable through an interpreter: a line written to
/proc/sys/fs/binfmt_misc/register names a magic (the first bytes of the file) with a mask,
and the program to run as ``INTERPRETER PATH ARGS...``. The magic and mask here are the ones
qemu's scripts/qemu-binfmt-conf.sh uses: an ELF64 little-endian file of machine AArch64 (0xb7)
or RISC-V (0xf3), of type ET_EXEC or ET_DYN (the mask's 0xfe on the type's low byte). The
interpreter is a small shell script that runs ``python -m xld.emu -- "$@"`` with the Python
that runs this command.
"""

from __future__ import annotations

import os
import sys

# name -> (magic, mask), as qemu-binfmt-conf.sh writes them (the kernel decodes the \x escapes)
BINFMT = {
    "aarch64": (r"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00",
                r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"),
    "riscv64": (r"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00",
                r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"),
}
REGISTER = "/proc/sys/fs/binfmt_misc/register"
WRAPPER_NAME = "xld-run-binfmt"

# -cpu: xld run emulates one CPU per architecture, the most it can (qemu's "max" means the same)
CPUS = ("max",)
CPU_NOTE = ("xld run emulates one CPU per architecture, as qemu's -cpu max: arm64 ARMv8 with LSE "
            "atomics (no SVE), riscv64 rv64imafdc")

# qemu-user options xld run does not have: refused by name rather than taken for the program.
# name -> takes an argument
QEMU_ONLY = {"-s": True, "-B": True, "-R": True, "-r": True, "-p": True, "-d": True, "-D": True,
             "-dfilter": True, "-seed": True, "-trace": True, "-plugin": True,
             "-singlestep": False, "-one-insn-per-tb": False, "-version": False}

# qemu-user's environment variables that xld run reads (each as the option it stands for)
ENV_OPTIONS = ("QEMU_LD_PREFIX", "QEMU_SET_ENV", "QEMU_UNSET_ENV", "QEMU_ARGV0", "QEMU_STRACE",
               "QEMU_GDB", "QEMU_CPU")


def add_arguments(p) -> None:
    """xld run's options for qemu's -g and -cpu, --install-binfmt, and the qemu options it
    refuses by name (they would otherwise be taken for the program's name)."""
    import argparse
    p.add_argument("-g", "--gdb", metavar="PORT", help="wait for gdb on 127.0.0.1:PORT before the first "
                   "instruction (qemu's -g; 0: any free port, printed on stderr)")
    p.add_argument("-cpu", "--cpu", metavar="NAME", help=f"CPU model: max only ({CPU_NOTE})")
    p.add_argument("--install-binfmt", action="store_true",
                   help="print the binfmt_misc registration of xld run for arm64 and riscv64 programs "
                        "(and its interpreter wrapper); with --yes, as root, install them")
    p.add_argument("--binfmt-dir", metavar="DIR", default="/usr/local/bin",
                   help="where --install-binfmt puts its wrapper script (default: /usr/local/bin)")
    p.add_argument("--yes", action="store_true", help="--install-binfmt: really write them")
    for opt, takes in QEMU_ONLY.items():
        p.add_argument(opt, dest="qemu_only" + opt, help=argparse.SUPPRESS,
                       **({"metavar": "X"} if takes else {"action": "store_const", "const": True}))


def apply(opts, environ) -> int | None:
    """Check qemu's options and fill in what QEMU_* variables give (the command line wins);
    ``opts.gdb`` becomes a port number or None. Returns an exit status when the command is
    done (--install-binfmt); raises ValueError for a refused option."""
    for opt in QEMU_ONLY:
        if getattr(opts, "qemu_only" + opt) is not None:
            raise ValueError(f"qemu option {opt} is not supported by xld run")
    if opts.install_binfmt:
        return install_binfmt(opts.binfmt_dir, opts.yes)
    if opts.prog is None:
        raise ValueError("no program given (xld run PROG [ARGS...])")
    qenv = env_defaults(environ)
    for name in ("sysroot", "argv0", "gdb", "cpu"):
        if getattr(opts, name) is None and name in qenv:
            setattr(opts, name, qenv[name])
    opts.strace = opts.strace or qenv.get("strace", False)
    opts.setenv = qenv.get("setenv", []) + opts.setenv
    opts.unsetenv = qenv.get("unsetenv", []) + opts.unsetenv
    if opts.cpu is not None and opts.cpu not in CPUS:
        raise ValueError(f"-cpu {opts.cpu}: not supported ({CPU_NOTE}: use -cpu max)")
    if opts.gdb is not None:
        if not opts.gdb.isdigit() or int(opts.gdb) > 65535:
            raise ValueError(f"-g {opts.gdb}: expected a TCP port number")
        opts.gdb = int(opts.gdb)
    return None


def wrapper_script(python: str | None = None) -> str:
    """The interpreter wrapper: the lean client (link/client.py) hands the run to the warm
    server, else it and the last line run the full command."""
    from xld.link import client
    text = client.launcher("run --", "-m xld.emu --", python or os.path.abspath(sys.executable))
    return ("#!/bin/sh\n"
            "# binfmt_misc interpreter for xld run (xld run --install-binfmt): the kernel runs\n"
            "# foreign executables as `xld-run-binfmt PROGRAM ARGS...`\n" + text)


def registrations(wrapper: str) -> list[str]:
    """The lines for /proc/sys/fs/binfmt_misc/register, one per architecture."""
    return [f":xld-{name}:M::{magic}:{mask}:{wrapper}:" for name, (magic, mask) in BINFMT.items()]


def install_binfmt(directory: str, yes: bool, out=None) -> int:
    """``xld run --install-binfmt``: print the wrapper and the registration lines; with ``yes``
    (and root) write the wrapper and register both. Returns the exit status."""
    out = out or sys.stdout
    wrapper = os.path.join(os.path.abspath(directory), WRAPPER_NAME)
    script = wrapper_script()
    lines = registrations(wrapper)
    out.write(f"# interpreter wrapper: {wrapper} (mode 755)\n")
    out.write("".join("    " + ln + "\n" for ln in script.splitlines()))
    out.write(f"# registration lines for {REGISTER}:\n")
    out.write("".join(ln + "\n" for ln in lines))
    if not yes:
        out.write("# nothing written: run as root with --yes to install (after disabling qemu's own\n"
                  "# entries for the same magic, e.g. echo 0 > /proc/sys/fs/binfmt_misc/qemu-aarch64)\n")
        return 0
    if os.geteuid() != 0:
        raise PermissionError("--install-binfmt --yes: registering binfmt_misc entries needs root")
    if not os.path.exists(REGISTER):
        raise FileNotFoundError(f"{REGISTER} does not exist (mount binfmt_misc first: "
                                "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc)")
    tmp = wrapper + ".tmp"
    with open(tmp, "w") as f:
        f.write(script)
    os.chmod(tmp, 0o755)
    os.replace(tmp, wrapper)
    for ln in lines:
        with open(REGISTER, "w") as f:
            f.write(ln)
    out.write(f"# registered: {', '.join('xld-' + n for n in BINFMT)}\n")
    return 0


def env_defaults(environ) -> dict:
    """Options from qemu-user's environment variables (an option on the command line wins)."""
    d = {}
    if environ.get("QEMU_LD_PREFIX"):
        d["sysroot"] = environ["QEMU_LD_PREFIX"]
    if environ.get("QEMU_SET_ENV"):
        d["setenv"] = [kv for kv in environ["QEMU_SET_ENV"].split(",") if kv]
    if environ.get("QEMU_UNSET_ENV"):
        d["unsetenv"] = [k for k in environ["QEMU_UNSET_ENV"].split(",") if k]
    if "QEMU_ARGV0" in environ:
        d["argv0"] = environ["QEMU_ARGV0"]
    if "QEMU_STRACE" in environ:
        d["strace"] = True
    if environ.get("QEMU_GDB"):
        d["gdb"] = environ["QEMU_GDB"]
    if environ.get("QEMU_CPU"):
        d["cpu"] = environ["QEMU_CPU"]
    return d


def _sh_quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


__all__ = ["BINFMT", "CPUS", "QEMU_ONLY", "ENV_OPTIONS", "add_arguments", "apply", "wrapper_script",
           "registrations", "install_binfmt", "env_defaults"]
