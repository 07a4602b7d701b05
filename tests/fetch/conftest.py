"""Fixtures of the fetch tests: an HTTP session that talks to loopback only."""

from __future__ import annotations

import pytest
import requests


@pytest.fixture
def session():
    """A session that ignores proxy settings of the environment (loopback only)."""
    with requests.Session() as s:
        s.trust_env = False
        yield s
