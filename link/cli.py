"""The ``xld`` command: a drop-in ``ld`` for static links, plus the run/nm/objdump/demo tools."""
from __future__ import annotations

import os
import sys

# Nothing else at the top: a command that the warm server runs pays only for what is imported
# before it is handed over (link/client.py).

SUBCOMMANDS = {
    "run": ("xld.emu.cli", "main"),
    "nm": ("xld.tools.nm", "main"),
    "objdump": ("xld.tools.objdump", "main"),
    "demo": ("xld.tools.demo", "main"),
    "bench": ("xld.tools.bench", "main"),
    "install-ld-wrapper": ("xld.tools.ld_wrapper", "main"),
    "diff": ("xld.tools.diff", "main"),
}


def main(argv: list[str] | None = None, own_process: bool = False) -> int:
    """The command line.  ``own_process``: the process runs this command alone (a served one,
    link/server.py), as it does when ``argv`` is None (the console script, -m)."""
    entry = argv is None              # the process's entry point (the console script, -m)
    own_process = own_process or entry
    argv = sys.argv[1:] if argv is None else argv
    if entry:                         # the environment the command was given (client.py)
        from xld.link import client
        client.undo_locale_coercion()
    if entry and (not argv or argv[0] not in SUBCOMMANDS or argv[0] in server_commands()):
        # a warm server of this installation runs the command without the interpreter's
        # start-up (link/server.py); when there is none, autostart.forward starts one
        from xld.link import client
        if client.enabled() and sys.getprofile() is None and sys.gettrace() is None:
            status = client.forward(argv, client.this_process_key_text())
            if status is None:
                from xld.link import autostart
                status = autostart.forward(argv, os.path.abspath(__file__))
            if status is not None:
                client.exit_as(status)
    if entry:                         # paths print as their bytes are, in any locale (GNU ld's
        try:                          # are bytes; Python's strict stdout failed on one not UTF-8)
            sys.stdout.reconfigure(errors="surrogateescape")
        except (AttributeError, ValueError):
            pass
    if argv and argv[0] in SUBCOMMANDS:
        import importlib
        mod, fn = SUBCOMMANDS[argv[0]]
        try:
            func = getattr(importlib.import_module(mod), fn)
        except (ImportError, AttributeError) as e:
            print(f"xld: error: '{argv[0]}' is not available: {e}", file=sys.stderr)
            return 1
        return int(func(argv[1:]) or 0)
    status = link_main(argv, own_process)
    if entry:
        _exit_now(status)
    return status


# The GNU ld release whose behaviour xld is compared with (Debian bookworm's binutils).
GNU_LD_VERSION = "2.40"


def version_line(version: str) -> str:
    """``-v``/``--version``: GNU ld's shape, ``GNU ld (PACKAGE) X.Y``, with xld in the package's
    place.  Configure scripts read a GNU linker's version from it: GCC's runtime libraries' and
    libffi's (LIBFFI_CHECK_LINKER_FEATURES: the first line, the parenthesised package dropped,
    the number after ``GNU ld``) build a shared library without symbol versions when it is
    below 2.14 or unreadable, unless the line names gold or LLD: libffi 3.4.4 configured with
    ``gcc -B`` to xld ("xld 0.1.0 (compatible with GNU linkers)", read as version 1.0) made a
    libffi.so.8 without LIBFFI_BASE_8.0 and the rest, which programs linked against Debian's
    cannot use.  libtool, meson and CMake read ``GNU ld`` as GNU ld, as they read xld before."""
    return f"GNU ld (xld {version}, compatible with GNU linkers) {GNU_LD_VERSION}"


def server_commands() -> tuple[str, ...]:
    """The subcommands the warm server runs (besides links): those whose start-up matters."""
    return ("run",)


def _output_format(opts) -> str:
    """The OUTPUT_FORMAT name of the target --arch or -m names (GNU ld's default format)."""
    from xld import arch
    from xld.link.errors import LinkError
    a = arch.by_name(opts.arch) if opts.arch else arch.by_emulation(opts.emulation) if opts.emulation else None
    if a is None:
        raise LinkError("--print-output-format: no target (give --arch or -m)")
    return a.output_format


def _supported() -> str:
    """--help's closing lines, in GNU ld's words: libtool's configure reads 'supported targets:
    ... elf' in them to decide that the linker can make shared libraries (without it, every
    libtool C library is built static only)."""
    from xld import arch
    backends = arch.backends()
    return (f"xld: supported targets: {' '.join(a.output_format for a in backends)}\n"
            f"xld: supported emulations: {' '.join(e for a in backends for e in a.emulations)}\n")


def link_main(argv: list[str], own_process: bool = False) -> int:
    import gc
    collecting = gc.isenabled()
    try:
        return _link_main(argv, own_process)
    finally:
        if collecting:
            # The link ran with the collector off (below), so everything it made is still in
            # the youngest generation; its cycles (the context and its resolver, sections and
            # their files) hold the inputs' mappings, and each mapping a file descriptor.  A
            # caller that links in its own process (the tests, a build tool's plugin) gets them
            # back now, for the cost of a look at what this link made: left to the collector's
            # own schedule they were promoted with the caller's long-lived objects and freed
            # by a full collection only, rarely in a large process (a test worker reached
            # descriptor 1024 after some 700 links).  A link in a process of its own exits.
            if not own_process:
                gc.collect(0)
            gc.enable()


def _link_main(argv: list[str], own_process: bool) -> int:
    from xld import __version__
    from xld.link import options
    from xld.link.errors import Diag, LinkAborted, LinkError, report
    diag = Diag()
    try:
        opts = options.parse(argv)
        if opts.help or not argv:
            sys.stdout.write(options.TARGET_HELP if opts.target_help else options.HELP + _supported())
            return 0 if opts.help else 1
        if opts.version_only or opts.verbose:   # (--verbose: GNU ld's first line too)
            print(version_line(__version__))
        if opts.verbose:                    # where GNU ld prints its default script
            print("using no linker script: xld lays out by its own rules (link/layout.py)"
                  if not opts.scripts else f"using linker script: {' '.join(opts.scripts)}")
        if opts.version_only and not opts.inputs:
            return 0
        diag.max_errors = opts.error_limit or 10**9
        diag.quiet = opts.no_warnings
        if opts.print_sysroot:          # GNU ld prints it (nothing when there is none) and stops
            if opts.sysroot:
                print(opts.sysroot)
            return 0
        if opts.print_output_format:    # GNU ld prints it and goes on with the link
            print(_output_format(opts))
            if not opts.inputs:
                return 0
        diag.demangle = opts.demangle
        # a -z keyword's warning is fatal where --fatal-warnings came before it (GNU ld warns
        # as it reads the option); the link's own warnings, where it is the last word
        for msg in opts.z_warnings:
            diag.warn(msg)
        for msg in opts.z_errors:
            diag.error(msg)
        diag.fatal_warnings = opts.fatal_warnings
        # A link is one short-lived process: the cyclic collector would walk its millions of
        # objects again and again (10-30% of the CPU time) to free next to nothing.
        # (A caller that links in its own process gets the collector back at the end: link_main.)
        import gc
        gc.disable()
        # NumPy's OpenBLAS starts a thread per CPU when imported (~60 ms of CPU); a link does
        # no linear algebra
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        from xld.link import driver
        if own_process:
            # a process of its own (the command, or a served one: server._run): freed arrays
            # stay in the C heap for the next ones (pages.reuse_freed_memory); a caller that
            # links in its own process keeps its allocator's settings
            from xld.link import pages
            pages.reuse_freed_memory()
        ctx = driver.link(opts, diag)
        if opts.stats:
            total = sum(t for _, t in ctx.timings)
            for (name, t), rss in zip(ctx.timings, ctx.peak_rss):
                print(f"{name:>16}: {t * 1000:8.2f} ms  {rss:6d} MiB peak RSS", file=sys.stderr)
            print(f"{'total':>16}: {total * 1000:8.2f} ms", file=sys.stderr)
            from xld.link import client
            if client.served:           # what this process used; the command's own rusage cannot see it
                import resource
                ru = resource.getrusage(resource.RUSAGE_SELF)
                print(f"{'served':>16}: {(ru.ru_utime + ru.ru_stime) * 1000:8.2f} ms server CPU",
                      file=sys.stderr)
        return 1 if diag.errors else 0
    except LinkAborted as e:
        report(e.errors, limit=diag.max_errors)
        return 1
    except LinkError as e:
        report([str(e)])
        return 1
    except KeyboardInterrupt:
        print("xld: error: interrupted", file=sys.stderr)
        return 1
    except MemoryError:
        print("xld: error: out of memory", file=sys.stderr)
        return 1
    except Exception as e:    # a bug in xld: say so plainly; the traceback only on request
        print(f"xld: error: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        if os.environ.get("XLD_DEBUG"):
            import traceback
            traceback.print_exc()
        else:
            print("xld: note: set XLD_DEBUG=1 for a traceback, and please report this", file=sys.stderr)
        return 1


def _exit_now(status: int) -> None:
    """End a link's process without tearing the interpreter down, as lld does (``_exit`` once
    the output is committed): freeing every module, array and object one by one takes 20-30 ms,
    a tenth of a small link.  Nothing of a link waits for exit (the output and the map file are
    closed by then); a profiler or tracer does, so under one the exit stays normal."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:           # a closed or broken stdout: let the normal exit report it
        return
    os._exit(status)


if __name__ == "__main__":
    sys.exit(main())
