"""Fixtures of the browser test: the built book on a local server, and Debian's Chromium."""
from __future__ import annotations

import pytest

from . import helpers, vendor


@pytest.fixture(scope="session")
def book_html():
    message = helpers.book_missing_message()
    if message:
        pytest.fail(message, pytrace=False)
    return helpers.BOOK_HTML


@pytest.fixture(scope="session")
def server(book_html):
    with helpers.BookServer(book_html) as srv:
        yield srv


@pytest.fixture(scope="session")
def vendored():
    missing = vendor.missing()
    if missing:
        pytest.fail(f"no local copies of {missing} in {vendor.VENDOR}: run `make browser-vendor`", pytrace=False)
    return vendor.VENDOR


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    exe = helpers.chromium_path()
    if not exe:
        pytest.fail("no Chromium: apt-get install -y chromium (or set LECTURELIB_CHROMIUM)", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=helpers.CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    ctx.set_default_timeout(30_000)
    yield ctx
    ctx.close()
