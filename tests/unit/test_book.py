"""The book's notebooks follow the course's rules."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def repo_url():
    match = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", (ROOT / "_config.yml").read_text(), re.M)
    assert match, "_config.yml must set repository.url"
    return match.group(1)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_is_the_hidden_colab_setup(path):
    nb = json.loads(path.read_text())
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    source = "".join(first["source"])
    assert "remove-cell" in first["metadata"].get("tags", [])
    assert '"google.colab" in sys.modules' in source and "find_spec(\"lecturelib\")" in source
    assert f"git+{repo_url()}" in source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_in_the_toc(path):
    assert f"book/{path.stem}" in (ROOT / "_toc.yml").read_text()


# --- alt text for figures ---------------------------------------------------------------
# myst-nb gives every image output of a code cell the alt text in the cell's metadata
# ("mystnb": {"image": {"alt": ...}}). A cell draws a matplotlib figure when its source
# calls one of the figure functions below; nothing else in lecturelib draws (the plots package,
# autoencoders.show_images/show_codes and conv.draw are its only figure code outside the
# widgets, and the experiments modules draw nothing):
#   - lecturelib.plots: every public function but label() (axes, curves, final_bars, lr_grid, ...);
#     the chapters' own figures (lr_grid, ..., code_size_errors, principal_angles,
#     rate_distortion), each a new figure without ax=;
#   - lecturelib.autoencoders (imported as ae): show_images, show_codes;
#   - lecturelib.conv: draw;
#   - pyplot: plt.subplots / plt.subplot / plt.figure and its drawing functions;
#   - a drawing method on any axes object (ax.plot, left.semilogx, a1.semilogy, ...).
# Widget cells (widgets.xxx(...)) are exempt: the book shows their static twin, whose
# frames carry the alt text given in lecturelib.widgets.
_DRAWING = ("plot|scatter|bar|barh|hist|imshow|matshow|errorbar|semilogx|semilogy|loglog"
            "|pcolormesh|contourf?|fill_between")
FIGURE_CALL = re.compile(
    # every public function of lecturelib.plots draws, except label()
    rf"\b(?:plots\.(?!label\b)[a-z]\w*|reproduction\.figure|ae\.show_(?:images|codes)|conv\.draw"
    rf"|plt\.(?:subplots?|figure|{_DRAWING}))\s*\("
    rf"|\.(?:{_DRAWING})\s*\(")
WIDGET_CALL = re.compile(r"\bwidgets\.\w+\s*\(")


def _code_cells(path):
    nb = json.loads(path.read_text())
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            yield index, "".join(cell["source"]), cell["metadata"]


def _alt(metadata):
    return metadata.get("mystnb", {}).get("image", {}).get("alt")


def test_figure_regex_finds_the_book_figures():
    """The regex is not vacuous: it finds figure cells, and never a widget cell."""
    found = 0
    for path in NOTEBOOKS:
        for index, source, _ in _code_cells(path):
            if FIGURE_CALL.search(source):
                found += 1
                assert not WIDGET_CALL.search(source), f"{path.name} cell {index} mixes a figure and a widget"
    assert found >= 30
    assert FIGURE_CALL.search("fig, (left, right) = plots.axes(2)")
    assert FIGURE_CALL.search("ax = ae.show_images(x, nrow=10)")
    assert FIGURE_CALL.search("a1.semilogy(range(3), s, 'o-')")
    assert not FIGURE_CALL.search("import matplotlib.pyplot as plt\ntable(['a'], [[1]])")
    assert not FIGURE_CALL.search("explorer = widgets.batch_size_explorer(runs=runs)\nexplorer")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_cell_has_alt_text(path):
    missing = [index for index, source, metadata in _code_cells(path)
               if FIGURE_CALL.search(source) and not WIDGET_CALL.search(source)
               and not (isinstance(_alt(metadata), str) and _alt(metadata).strip())]
    assert not missing, f"{path.name}: code cells {missing} draw a figure but have no mystnb.image.alt"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_alt_text_only_on_figure_cells(path):
    """An alt text on a cell that draws nothing is stale (its figure moved or went away)."""
    stray = [index for index, source, metadata in _code_cells(path)
             if _alt(metadata) is not None and not FIGURE_CALL.search(source)]
    assert not stray, f"{path.name}: code cells {stray} have mystnb.image.alt but draw no figure"


def test_the_book_title_names_the_whole_course():
    """The site title is the course's (the intro's heading), not one chapter's."""
    import yaml

    title = yaml.safe_load((ROOT / "_config.yml").read_text())["title"].strip()
    intro = (ROOT / "book" / "intro.md").read_text()
    assert re.search(r"^# (.+)$", intro, re.M).group(1).strip() == title
    chapters = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            heading = re.search(r"^# (.+)$", "".join(cell["source"]), re.M) if cell["cell_type"] == "markdown" else None
            if heading:
                chapters.append(heading.group(1).strip())
                break
    assert chapters and all(c.lower() not in title.lower() for c in chapters), (title, chapters)
    assert (ROOT / "README.md").read_text().splitlines()[0] == f"# {title}"


def test_bibliography_parses_and_every_cited_key_exists():
    """A torn entry in references.bib stops the whole build: catch it in a second, not after the notebooks run."""
    from pybtex.database import parse_file

    keys = set(parse_file(str(ROOT / "book" / "references.bib")).entries)
    cited = set()
    for path in [*NOTEBOOKS, *sorted((ROOT / "book").glob("*.md"))]:
        text = path.read_text()
        for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", text):
            cited.update(k.strip() for k in group.split(","))
    assert not cited - keys, f"cited but not in references.bib: {sorted(cited - keys)}"
