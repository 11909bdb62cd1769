"""Progress bars in a real Jupyter kernel: one display per bar, live widget view, empty text fallback.

Runs a notebook with nbclient (as the book's build runs chapters), so it starts a kernel; it lives
here with the other client tests (``make live``) to keep ``make test`` within its 15 minutes. The
book side (no progress-bar line on any built page) is checked by the browser test in ``make test``.
"""
import json

import pytest

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


KERNEL_CELLS = [
    "import json\n"
    "from lecturelib import progress, data, models, train, presets\n"
    "from lecturelib.callbacks import ProgressBar\n"
    "pub, seen = get_ipython().display_pub, []\n"
    "def spy(data, *args, **kw):\n"
    "    transient, update = kw.get('transient') or {}, kw.get('update', False)\n"
    "    seen.append({'data': dict(data), 'update': update, 'id': transient.get('display_id')})\n"
    "    return type(pub).publish(pub, data, *args, **kw)\n"
    "pub.publish = spy\n"
    "bar = progress.progress_bar(5, desc='demo')\n"
    "for _ in range(5):\n    bar.update()\n"
    "bar.close()\n"
    "del pub.publish\n"
    "print(json.dumps([{**m, 'data': {k: v for k, v in m['data'].items() if k.startswith('text/')}} for m in seen]))",
    "presets.set_seed(0)\n"
    "d = data.mnist(train_limit=256, test_limit=128)\n"
    "h = train.fit(models.MLP(784, (8,), 10), d, lr=0.05, batch_size=64, epochs=2, callbacks=[ProgressBar()])",
    "presets.set_seed(0)\n"
    "h2 = train.fit(models.MLP(784, (8,), 10), d, lr=1e9, batch_size=64, epochs=2, callbacks=[ProgressBar()])\n"
    "print(h2.divergence)",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The cells above, run in a Jupyter kernel by nbclient (as the book's build runs chapters)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in KERNEL_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path_factory.mktemp("kernel"))}})
    client.execute()
    return nb


def test_in_a_kernel_each_bar_is_one_display_with_an_empty_fallback_once_closed(executed):
    for cell in executed.cells:
        shown = [o for o in cell.outputs if o.output_type == "display_data"]
        assert len(shown) == 1, (cell.source, cell.outputs)
        bundle = shown[0].data
        assert WIDGET_VIEW in bundle, bundle                         # Jupyter and Colab draw the live bar
        assert bundle["text/plain"] == "" and bundle["text/html"] == "", bundle   # the book draws nothing
        streams = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert "%|" not in streams and "it/s" not in streams, streams   # no text bar anywhere


def test_the_diverged_run_in_a_kernel_reports_its_step(executed):
    printed = "".join(o.get("text", "") for o in executed.cells[2].outputs if o.output_type == "stream")
    assert printed.startswith("diverged at step "), printed


def test_the_bar_is_shown_running_then_updated_in_place_when_it_closes(executed):
    printed = "".join(o.get("text", "") for o in executed.cells[0].outputs if o.output_type == "stream")
    first, last = json.loads(printed)
    assert first["data"] == {"text/plain": "demo: running"} and not first["update"] and first["id"]
    assert last["data"] == {"text/html": "", "text/plain": ""} and last["update"] and last["id"] == first["id"]


