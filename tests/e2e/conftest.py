"""Fixtures of the end-to-end tests."""
from __future__ import annotations

import pytest

from tests.e2e.builds import Build


@pytest.fixture(scope="session")
def build_cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    cache = {}

    def get(prog, arch, cc, mode) -> Build:
        key = (prog, arch, cc, mode)
        if key not in cache:
            cache[key] = Build(prog, arch, cc, mode, root)
        b = cache[key]
        b.prepare()
        return b
    return get
