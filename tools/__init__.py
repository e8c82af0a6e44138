"""xld.tools."""
