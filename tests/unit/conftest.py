"""The ``colab`` marker: the unit tests `make colab-check` runs under Colab's pins (``-m colab``).

A test is marked here, from the panel registry (``lecturelib.widgets.registry``), when it
  * is parametrized over the registry (an argument named ``panel``), or
  * calls a registered panel's class or builder by name (``widgets.latent_explorer(...)``),
so a new panel, and every test that builds one, joins the Colab check without editing a list.
A module can also mark all its tests (``pytestmark = pytest.mark.colab``), as the presentation
layer's do: their figures are drawn by Colab's matplotlib.
"""
import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "colab: run by `make colab-check` under Colab's pins (tests/unit/conftest.py)")


def _builds_a_panel(item, panel_names: set) -> bool:
    if "panel" in getattr(getattr(item, "callspec", None), "params", {}):
        return True
    code = getattr(getattr(item, "function", None), "__code__", None)
    return code is not None and not panel_names.isdisjoint(code.co_names)


def pytest_collection_modifyitems(config, items):
    from lecturelib.widgets import registry

    names = {n for e in registry.PANELS.values() for n in (e.name, e.builder.__name__)}
    for item in items:
        if _builds_a_panel(item, names):
            item.add_marker(pytest.mark.colab)
