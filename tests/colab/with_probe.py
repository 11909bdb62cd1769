"""Copy a chapter notebook and append a probe cell, for `make colab-check`.

    python tests/colab/with_probe.py book/conv_padding.ipynb _build/colab/conv_padding.ipynb \
        --pins constraints-colab.txt --venv .venv-colab --report _build/colab/kernel.json

The probe runs last, in the same kernel as the chapter, so what it finds is what the
chapter ran with. It fails the notebook (an exception under nbval) unless
  * the kernel's sys.prefix is the colab venv,
  * every package pinned in --pins imports at exactly its pinned version,
  * every course widget left in the notebook's namespace displays a live widget view
    (``application/vnd.jupyter.widget-view+json``) through IPython's display machinery,
and it writes what it found to --report (JSON), which the Makefile prints.
"""
import argparse
import json
import os
import re

PROBE = r'''
# colab-check probe: appended by tests/colab/with_probe.py, not part of the chapter.
import importlib, importlib.metadata, json, os, sys
from IPython.display import display
from IPython.utils.capture import capture_output
from lecturelib.widgets import _Panel

pins, venv, report = {pins!r}, {venv!r}, {report!r}
found = {{"python": sys.version.split()[0], "executable": sys.executable, "prefix": sys.prefix}}
for dist, module in (("ipywidgets", "ipywidgets"), ("widgetsnbextension", "widgetsnbextension"),
                     ("jupyterlab_widgets", "jupyterlab_widgets"), ("jupyterlab", "jupyterlab"),
                     ("matplotlib", "matplotlib"),
                     ("numpy", "numpy"), ("torch", "torch"), ("ipykernel", "ipykernel"), ("IPython", "IPython")):
    try:
        found[dist] = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        found[dist] = None
found["ipywidgets.__version__"] = importlib.import_module("ipywidgets").__version__
views = {{}}
for name, value in list(globals().items()):
    if isinstance(value, _Panel):
        with capture_output() as cap:
            display(value)
        views[name] = [sorted(o.data) for o in cap.outputs]
found["widget_views"] = views
with open(report, "w") as f:
    json.dump(found, f, indent=1)
print(json.dumps(found, indent=1))
problems = [f"{{k}} {{found.get(k)}} != pinned {{v}}" for k, v in pins.items() if found.get(k) != v]
if found["ipywidgets.__version__"] != pins.get("ipywidgets", found["ipywidgets.__version__"]):
    problems.append(f"ipywidgets.__version__ {{found['ipywidgets.__version__']}}")
if os.path.realpath(sys.prefix) != os.path.realpath(venv):
    problems.append(f"kernel runs in {{sys.prefix}}, not in {{venv}}")
if not views:
    problems.append("no lecturelib widget in the notebook's namespace")
problems += [f"{{n}} displayed {{v}}, no widget view" for n, v in views.items()
             if not any("application/vnd.jupyter.widget-view+json" in o for o in v)]
assert not problems, problems
'''


def pins_of(path):
    """{name: version} for the ``name==version`` lines of a constraints file."""
    out = {}
    for line in open(path):
        m = re.match(r"\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook")
    ap.add_argument("out")
    ap.add_argument("--pins", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--report", required=True)
    a = ap.parse_args()
    nb = json.load(open(a.notebook, encoding="utf-8"))
    source = PROBE.format(pins=pins_of(a.pins), venv=os.path.abspath(a.venv), report=os.path.abspath(a.report))
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source.strip().splitlines(keepends=True)}
    if any("id" in c for c in nb["cells"]):  # cell ids exist from nbformat 4.5 on
        cell["id"] = "colab-check-probe"
    nb["cells"].append(cell)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
