"""The panel registry: every panel is in it, and every test that must see each panel does.

The twin test (test_static), the ipywidgets 7.7 tests (test_widget_compat) and the Colab check
(`make colab-check`, which selects tests by the marker tests/unit/conftest.py sets) iterate over
``lecturelib.widgets.registry``. These tests fail when a panel is defined but not registered,
or when one of those runs leaves out (or adds) a panel: they collect each run with pytest, as
the run itself does, and compare the panels in the test ids with the registry.
"""
import os
import pathlib
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from lecturelib import widgets
from lecturelib.widgets import registry

ROOT = pathlib.Path(__file__).resolve().parents[2]

# The tests parametrized over the registry: each must run every registered panel.
REGISTRY_TESTS = {
    "static twin": "tests/unit/test_static.py::test_every_registered_panel_has_a_twin_and_displays_both",
    "ipywidgets 7.7 API": "tests/unit/test_widget_compat.py::test_widgets_use_only_ipywidgets_7_7_api",
    "live view bundle": "tests/unit/test_widget_compat.py::test_panels_display_the_live_widget",
}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_panel_class_and_builder_is_registered():
    classes = {c.__name__ for c in _subclasses(widgets._Panel)
               if not c.__name__.startswith("_") and c.__module__.startswith("lecturelib.widgets")}
    assert set(registry.names()) == classes, f"panel classes not registered: {sorted(classes - set(registry.names()))}"
    builders = {n for n in widgets.__all__ if n[0].islower() and callable(getattr(widgets, n)) and n != "registry"}
    assert {e.builder.__name__ for e in registry.PANELS.values()} == builders
    for e in registry.PANELS.values():
        assert getattr(widgets, e.name) is e.panel and getattr(widgets, e.builder.__name__) is e.builder


def test_examples_build_their_panel_without_touching_the_global_random_state():
    for e in registry.PANELS.values():
        torch_state, np_state = torch.get_rng_state(), np.random.get_state()
        assert type(e.example()) is e.panel, e.name
        assert torch.equal(torch.get_rng_state(), torch_state), f"{e.name}'s example drew from torch's global RNG"
        assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), np_state)), (
            f"{e.name}'s example drew from numpy's global RNG")
    plt.close("all")


def _collect(*args) -> list[str]:
    """The node ids pytest collects with ``args``, in a fresh process (as `make` would run it)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly",
                          "-p", "no:cacheprovider", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return [line.strip() for line in out.stdout.splitlines() if "::" in line]


def _panels_in(ids: list[str], test: str) -> list[str]:
    """The panel ids of ``test``'s parametrized cases among ``ids``."""
    return [m.group(1) for i in ids if (m := re.fullmatch(re.escape(test) + r"\[(\w+)\]", i))]


def _assert_runs_the_registry(got: list[str], where: str):
    want = registry.names()
    assert sorted(got) == sorted(want), (f"{where} runs {len(got)} panels, the registry has {len(want)}: "
                                         f"missing {sorted(set(want) - set(got))}, "
                                         f"not registered {sorted(set(got) - set(want))}")


def _make_variable(name: str) -> str:
    out = subprocess.run(["make", "-s", "--no-print-directory", f"--eval=print-%: ; @echo $($*)", f"print-{name}"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.fixture(scope="module")
def unit_run():
    return _collect(*sorted({t.split("::")[0] for t in REGISTRY_TESTS.values()}))


@pytest.fixture(scope="module")
def colab_run():
    """What `make colab-check` collects: its pytest command reads COLAB_TESTS and COLAB_MARK."""
    recipe = (ROOT / "Makefile").read_text()
    assert '$(COLAB_TESTS) -m "$(COLAB_MARK)"' in recipe, "colab-check no longer selects by COLAB_TESTS / COLAB_MARK"
    files, mark = _make_variable("COLAB_TESTS").split(), _make_variable("COLAB_MARK")
    return _collect("-m", mark, *files)


@pytest.mark.parametrize("name", REGISTRY_TESTS)
def test_each_registry_test_runs_every_registered_panel(unit_run, name):
    _assert_runs_the_registry(_panels_in(unit_run, REGISTRY_TESTS[name]), REGISTRY_TESTS[name])


@pytest.mark.parametrize("name", REGISTRY_TESTS)
def test_the_colab_check_runs_every_registered_panel(colab_run, name):
    _assert_runs_the_registry(_panels_in(colab_run, REGISTRY_TESTS[name]), f"make colab-check's {name} test")


def test_the_colab_check_runs_the_tests_that_call_a_builder(colab_run):
    """A test outside the registry tests that builds a panel by its builder is selected too."""
    for test in ("tests/unit/test_lr_scaling.py::test_explorer_builds_and_draws_static_frames_without_training",
                 "tests/unit/test_tuning.py::test_sampling_explorer_reports_the_shares_it_draws",
                 "tests/unit/test_static.py::test_slider_html_follows_the_contract"):  # marked by its module
        assert test in colab_run
    assert "tests/unit/test_lr_scaling.py::test_convex_optimum_has_a_vanishing_gradient" not in colab_run


# --- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs, err, msg", [
    ((widgets.BatchSizeExplorer,), {"frames": 2, "example": lambda: None}, ValueError,
     r"panel 'BatchSizeExplorer' is already registered \(by batch_size_explorer\)"),
    (("BatchSizeExplorer",), {"frames": 2, "example": lambda: None}, TypeError, r"panel must be a class, got 'Batch"),
    ((type("NewPanel", (), {}),), {"frames": -1, "example": lambda: None}, ValueError, r"frames must be >= 0, got -1"),
    ((type("NewPanel", (), {}),), {"frames": 1.5, "example": lambda: None}, TypeError, r"frames must be an integer"),
    ((type("NewPanel", (), {}),), {"frames": 1, "example": None}, TypeError, r"example must be a function"),
])
def test_register_rejects_bad_input(args, kwargs, err, msg):
    with pytest.raises(err, match=msg):
        registry.register(*args, **kwargs)


def test_register_records_a_new_panel_once_and_returns_the_builder(monkeypatch):
    monkeypatch.setattr(registry, "PANELS", {})
    panel = type("NewPanel", (), {})

    def new_panel():
        return panel()

    assert registry.register(panel, frames=1, example=new_panel)(new_panel) is new_panel
    assert registry.names() == ["NewPanel"] and registry.entry("NewPanel").builder is new_panel
    with pytest.raises(TypeError, match="decorates the panel's builder function"):
        registry.register(type("Other", (), {}), frames=1, example=new_panel)("not a function")
    assert registry.names() == ["NewPanel"]


def test_entry_names_the_registered_panels():
    assert registry.entry("PaddingVisualizer").frames == 4
    with pytest.raises(ValueError, match=r"name must be one of 'BatchSizeExplorer', .*'LRScalingExplorer'; got 'X'"):
        registry.entry("X")
