"""xld.emu."""
