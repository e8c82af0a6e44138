"""pytest plugin: the ``xld_run`` fixture (filled in by the runner work)."""
