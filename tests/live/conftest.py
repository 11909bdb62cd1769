"""Fixtures of the live-widget test: a JupyterLab server of this venv, and Debian's Chromium."""
from __future__ import annotations

import pytest

from . import lab


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory):
    return tmp_path_factory.mktemp("live-lab")


@pytest.fixture(scope="session")
def server(lab_root):
    with lab.LabServer(lab_root) as srv:
        yield srv


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    exe = lab.chromium_path()
    if not exe:
        pytest.fail("no Chromium: apt-get install -y chromium (or set LECTURELIB_CHROMIUM)", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=lab.CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()
