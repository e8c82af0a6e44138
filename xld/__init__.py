"""xld: a cross linker for AArch64 and RISC-V 64, with a Unicorn runner."""
__version__ = "0.1.0"
