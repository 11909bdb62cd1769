"""Shared test settings: every test runs at the `ci` preset on the CPU-sized data."""
import os

import pytest

os.environ.setdefault("LECTURELIB_PRESET", "ci")


@pytest.fixture
def ci_preset(monkeypatch):
    monkeypatch.setenv("LECTURELIB_PRESET", "ci")
    return "ci"
