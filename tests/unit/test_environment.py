"""environment: the record of what a build ran on."""
import platform

import pytest

from lecturelib import environment, presets


def test_summary_names_the_preset_the_device_and_the_versions(monkeypatch):
    monkeypatch.setenv("LECTURELIB_PRESET", "quick")
    rows = dict(environment.summary())
    assert rows["preset"] == "quick"
    assert rows["python"] == platform.python_version()
    assert rows["device"] == environment.device_name()
    assert rows["torch"].startswith(__import__("torch").__version__.split("+")[0])
    assert set(environment.PACKAGES) <= set(rows)


def test_versions_of_a_missing_package():
    assert environment.versions(["no-such-package-xyz"]) == {"no-such-package-xyz": "not installed"}


def test_versions_bad_input():
    with pytest.raises(TypeError, match="packages must be a list of package names"):
        environment.versions("torch")
    with pytest.raises(TypeError, match="package name must be a string"):
        environment.versions([3])


def test_memory_is_positive_where_known():
    gib = environment.memory_gib()
    assert gib is None or gib > 0
