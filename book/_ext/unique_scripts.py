"""A Sphinx extension that keeps each page's <script> entries unique.

Why: jupyter-book 1.x always loads sphinx-thebe, and sphinx-thebe 0.3.1 adds its
inline configuration (``const THEBE_JS_URL = ...``) with ``app.add_js_file`` at
``env-before-read-docs``; on Sphinx 7.4 that entry reaches every page twice, and
the second ``const`` is a JavaScript error on every page (the browser test,
tests/browser, caught it). Dropping exact repeats changes nothing else.
"""


def _drop_repeats(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        # The repeat comes back with filename '' instead of None (an inline script either
        # way) and at another priority, so compare what reaches the page.
        key = (getattr(script, "filename", script) or "", repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _drop_repeats, priority=999)  # after every other extension added its scripts
    return {"parallel_read_safe": True, "parallel_write_safe": True}
