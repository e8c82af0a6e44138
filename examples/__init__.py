"""xld.examples."""
