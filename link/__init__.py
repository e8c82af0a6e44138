"""xld.link."""
