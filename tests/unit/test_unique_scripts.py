"""book/_ext/unique_scripts: a page gets each script once."""
import importlib.util
from pathlib import Path

from sphinx.builders.html._assets import _JavaScript

PATH = Path(__file__).resolve().parents[2] / "book" / "_ext" / "unique_scripts.py"
spec = importlib.util.spec_from_file_location("unique_scripts", PATH)
unique_scripts = importlib.util.module_from_spec(spec)
spec.loader.exec_module(unique_scripts)


def test_a_repeated_inline_script_is_dropped_and_the_rest_kept_in_order():
    body = 'const THEBE_JS_URL = "x"'
    scripts = [_JavaScript("a.js"), _JavaScript(None, body=body), _JavaScript("b.js", priority=200),
               _JavaScript("", body=body, priority=900), _JavaScript("", body="let other = 1")]
    context = {"script_files": scripts}
    unique_scripts._drop_repeats(None, "page", "page.html", context, None)
    assert context["script_files"] == [scripts[0], scripts[1], scripts[2], scripts[4]]


def test_a_page_without_scripts_is_left_alone():
    context = {}
    unique_scripts._drop_repeats(None, "page", "page.html", context, None)
    assert context == {"script_files": []}
