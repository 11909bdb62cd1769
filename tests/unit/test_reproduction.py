"""The full-scale reproduction's table and figure are rendered from the results files, and only from them."""
import json
import subprocess
from pathlib import Path

import matplotlib
import pytest

from lecturelib.experiments import batch_size as bs
from lecturelib.experiments import reproduction as rep

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[2]


def _fake(folder, label, acc, w):
    payload = {"run": label, "preset": "full", "summary": {"test_acc": acc, "dist_w": w},
               "provenance": {"device": "CPU: test", "wall_seconds": 120, "git_commit": "abcdef1234",
                              "date": "2026-12-05T00:00:00"}}
    (folder / f"{label.replace(' ', '_')}.json").write_text(json.dumps(payload))


def test_rows_come_from_the_files_and_missing_runs_say_so(tmp_path):
    _fake(tmp_path, "BS 64, lr 0.01", 0.5, 1.25)
    results = bs.load_results(tmp_path)
    rows = {r[0]: r for r in rep.summary_rows(results)}
    assert len(rows) == 13
    assert rows["BS 64, lr 0.01"] == ["BS 64, lr 0.01", "98 %", "50.00 %", "6.71", "1.25"]
    assert rows["BS 256, lr 0.01"][2:] == ["missing", "—", "missing"]
    md = rep.table(results).data
    assert ":::{dropdown}" in md and "`abcdef1`" in md and "2 min" in md
    axs = rep.figure(results)
    assert [t.get_text() for t in axs[0].get_yticklabels()][0] == "BS 64, lr 0.01"
    assert sum(t.get_text().strip() == "missing" for t in axs[0].texts) == 12


def test_geometry_rows_come_from_the_files(tmp_path):
    payload = {"run": "BS 64, lr 0.01", "preset": "full",
               "summary": {"test_acc": 0.9, "dist_w": 1.5, "norm_w": 40.0, "cos_layers": [0.5, 0.25, 0.125]},
               "provenance": {}}
    (tmp_path / "a.json").write_text(json.dumps(payload))
    rows = rep.geometry_rows(bs.load_results(tmp_path))
    assert rows == [["BS 64, lr 0.01", "6.71 / 1.50", "44.9 / 40.0", "0.500, 0.250, 0.125"]]


def test_bad_input():
    with pytest.raises(TypeError, match="results must be a dict"):
        rep.summary_rows(["BS 64"])
    with pytest.raises(TypeError, match="results must be a dict"):
        rep.figure(None)


@pytest.mark.parametrize("chapter, calls", [("batch_size", ["reproduction.table(results)", "reproduction.figure(results)"]),
                                           ("batch_dynamics", ["reproduction.geometry_table(results)"])])
def test_the_chapters_render_the_full_scale_runs_from_the_files(chapter, calls):
    nb = json.loads((ROOT / "book" / f"{chapter}.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "results = bs.load_results()" in code
    assert all(call in code for call in calls)
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "not run yet" not in markdown
