"""ARCHITECTURE.md and CONTRIBUTING.md stay true to the code, and no module outgrows 500 lines."""
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lecturelib"
DOCS = ("ARCHITECTURE.md", "CONTRIBUTING.md")
MAX_LINES = 500

# `lecturelib.x.y` in a doc: a module, or a name in a module. Placeholders such as
# `lecturelib.experiments.<chapter>` stop at the "<" and name the package before it.
DOTTED = re.compile(r"\blecturelib(?:\.[A-Za-z_]\w*)+")
# A repository path in backticks (with a slash or a known top-level file), without placeholders.
PATH = re.compile(r"`((?:book|lecturelib|tests|results)/[\w./-]+|_toc\.yml|_config\.yml)`")


def _text(name: str) -> str:
    return (ROOT / name).read_text()


def resolves(dotted: str) -> bool:
    """True when ``dotted`` is a module of the package, or an attribute of one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def _named(doc: str) -> list[str]:
    return sorted(set(DOTTED.findall(_text(doc))))


@pytest.mark.parametrize("doc", DOCS)
def test_every_module_a_doc_names_exists(doc):
    named = _named(doc)
    assert named, f"{doc} names no lecturelib module"
    missing = [n for n in named if not resolves(n)]
    assert not missing, f"{doc} names modules or objects that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_a_doc_names_exists(doc):
    paths = sorted(set(PATH.findall(_text(doc))))
    missing = [p for p in paths if "*" not in p and not (ROOT / p).exists()]
    assert not missing, f"{doc} names paths that do not exist: {missing}"


def top_level_modules() -> list[str]:
    """lecturelib's own modules and subpackages, as ``lecturelib.name``."""
    names = [p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"]
    names += [p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()]
    return sorted(f"lecturelib.{n}" for n in names)


def test_architecture_names_every_top_level_module():
    text = _text("ARCHITECTURE.md")
    unnamed = [m for m in top_level_modules() if not re.search(rf"`{re.escape(m)}\b", text)]
    assert not unnamed, f"ARCHITECTURE.md does not say what these modules own: {unnamed}"


def module_lengths() -> dict[str, int]:
    return {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in sorted(PACKAGE.rglob("*.py"))}


def test_no_module_is_over_500_lines():
    lengths = module_lengths()
    assert len(lengths) > 20
    too_long = {path: n for path, n in lengths.items() if n > MAX_LINES}
    assert not too_long, f"split these modules by concern (at most {MAX_LINES} lines each): {too_long}"


def test_resolves_tells_a_missing_name():
    assert resolves("lecturelib.train.fit")
    assert resolves("lecturelib.widgets.registry")
    assert not resolves("lecturelib.train.no_such_function")
    assert not resolves("lecturelib.no_such_module")
