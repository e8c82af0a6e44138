"""qemu-user's spellings for `xld run` (emu/qemu_compat.py, emu/cli.py): -0, -strace, -cpu,
qemu-only options refused by name, QEMU_* environment variables, and the binfmt_misc helper
(its printed text only: tests never register anything)."""

import os
import subprocess
import sys

from xld.emu import qemu_compat as Q
from xld.emu.cli import main


def _cli(args, env=None):
    return subprocess.run([sys.executable, "-m", "xld.emu", *args], capture_output=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_qemu_spellings_argv0_strace_cpu(build):
    exe = build("env", "arm64")
    p = _cli(["-0", "renamed", "-strace", "-cpu", "max", "-E", "XLD_GREETING=hi", exe])
    assert p.returncode == 0, p.stderr
    assert b"argv[0] = renamed\n" in p.stdout and b"greeting: hi" in p.stdout
    assert b"exit_group(0)" in p.stderr


def test_qemu_environment_variables(build, tmp_path):
    exe = build("env", "riscv64")
    p = _cli([exe], env={"QEMU_STRACE": "1", "QEMU_ARGV0": "fromenv", "QEMU_SET_ENV": "XLD_A=1,XLD_B=2",
                         "QEMU_UNSET_ENV": "XLD_B", "QEMU_LD_PREFIX": str(tmp_path)})
    assert p.returncode == 0, p.stderr
    assert b"argv[0] = fromenv\n" in p.stdout and b"XLD_A=1" in p.stdout and b"XLD_B" not in p.stdout
    assert b"exit_group(0)" in p.stderr
    # the command line wins over the environment
    p = _cli(["-0", "fromcli", exe], env={"QEMU_ARGV0": "fromenv"})
    assert b"argv[0] = fromcli\n" in p.stdout
    p = _cli([exe], env={"QEMU_LD_PREFIX": str(tmp_path / "nope")})
    assert p.returncode == 1 and p.stderr.startswith(b"xld: error: --sysroot ") and b"not a directory" in p.stderr


def test_unsupported_qemu_options_and_cpus_are_errors(build, capsys):
    exe = build("hello", "arm64")
    for args, msg in ((["-cpu", "cortex-a57", exe], "xld: error: -cpu cortex-a57: not supported"),
                      (["-d", "in_asm", exe], "xld: error: qemu option -d is not supported by xld run"),
                      (["-singlestep", exe], "xld: error: qemu option -singlestep is not supported"),
                      (["-s", "1M", exe], "xld: error: qemu option -s is not supported"),
                      ([], "xld: error: no program given")):
        assert main(args) == 1, args
        err = capsys.readouterr().err
        assert err.startswith(msg) and err.count("\n") == 1, (args, err)
    # after PROG, everything is the program's
    p = _cli([exe, "-d", "-cpu"])
    assert p.returncode == 0 and p.stdout.startswith(b"hello from 3 args\nargv[1] = '-d'\nargv[2] = '-cpu'\n")


def test_install_binfmt_prints_the_registration(capsys, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["--install-binfmt", "--binfmt-dir", "/opt/xld/bin"]) == 0
    out = capsys.readouterr().out
    assert ":xld-aarch64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:" \
           "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:" \
           "/opt/xld/bin/xld-run-binfmt:\n" in out
    assert ":xld-riscv64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xf3\\x00:" in out
    assert f"exec '{sys.executable}' -P -m xld.emu -- \"$@\"" in out
    assert "nothing written" in out
    # --yes without root is refused, and nothing is written
    assert main(["--install-binfmt", "--binfmt-dir", "/nonexistent", "--yes"]) == 1
    assert "xld: error: --install-binfmt --yes: registering binfmt_misc entries needs root" in capsys.readouterr().err


def test_binfmt_magic_matches_real_executables(build):
    """The mask/magic pairs select the programs they are for, as the kernel compares them."""
    def decode(s):
        return s.encode().decode("unicode_escape").encode("latin-1")

    for name in ("aarch64", "riscv64"):
        magic, mask = (decode(x) for x in Q.BINFMT[name])
        assert len(magic) == len(mask) == 20
        for other_arch, other in (("arm64", "aarch64"), ("riscv64", "riscv64")):
            head = open(build("hello", other_arch), "rb").read(20)
            matches = all(h & m == g & m for h, m, g in zip(head, mask, magic))
            assert matches == (name == other), (name, other_arch)


def test_the_wrapper_runs_a_program_as_the_kernel_would(build, tmp_path):
    """The kernel runs `WRAPPER PROGRAM ARGS...`: the wrapper script, written out, does that."""
    wrapper = tmp_path / Q.WRAPPER_NAME
    wrapper.write_text(Q.wrapper_script())
    wrapper.chmod(0o755)
    p = subprocess.run([str(wrapper), build("hello", "riscv64"), "-x", "--"], capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(b"hello from 3 args\nargv[1] = '-x'\nargv[2] = '--'\n")
