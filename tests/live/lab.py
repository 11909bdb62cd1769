"""A real Jupyter client for the live-widget test: JupyterLab from this venv, driven in Chromium.

``LabServer`` starts ``python -m jupyter lab`` (the interpreter running the tests, so the
course venv's JupyterLab, widget front-end and kernel) on 127.0.0.1 at a free port with a
random token, in a temporary root folder, with Jupyter's user folders pointed into that
folder (no user settings, kernels or workspaces leak in) and ``LECTURELIB_PRESET=ci`` in
its environment (which its kernels inherit). Its output, and so every kernel's log, goes
to a file that the test reads for tracebacks: an exception raised in a widget callback
during a comm message lands there, not in a cell.

``LabPage`` drives one notebook: open it, run every cell, wait for the kernel, read the
widget outputs' images, move a slider with the keyboard, click a button. It works with
JupyterLab 4 (ipywidgets 8, jupyterlab_widgets 3) and JupyterLab 3 (ipywidgets 7.7.1,
jupyterlab_widgets 1.x), the two front-ends ``make live`` and ``make colab-check`` use.
"""
from __future__ import annotations

import base64
import io
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
# What an error looks like in a cell's output or in the server's log (the kernels' log included).
ERROR_LINE = re.compile(r"^\s*(Traceback \(most recent call last\)|Exception ignored in\b|"
                        r"(\w+\.)*\w*(Error|Exception|Interrupt):)", re.M)
# Server-log lines that are no fault of the course: the server's own notices about itself.
BENIGN_LOG = [re.compile(p) for p in (
    r"Kernel is running over TCP without encryption",   # a local kernel on 127.0.0.1
)]


def chromium_path() -> str | None:
    return os.environ.get("LECTURELIB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_notebook(path: Path, cells: list[str]) -> Path:
    """A notebook of code cells for the venv's ``python3`` kernel, stored without outputs."""
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"cell-{i}", "metadata": {},
                     "outputs": [], "source": src} for i, src in enumerate(cells)],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb, indent=1))
    return path


class LabServer:
    """JupyterLab on 127.0.0.1 at a free port with a token, serving ``root``; its log in ``root/server.log``."""

    def __init__(self, root: Path, *, python: str | None = None, env: dict | None = None, timeout: float = 90):
        self.root = Path(root)
        self.python = python or sys.executable
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = self.root / "server.log"
        self.timeout = timeout
        home = self.root / ".jupyter-home"
        self.env = {**os.environ, **(env or {}),
                    "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
                    "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
                    "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "IPYTHONDIR": str(home / "ipython"),
                    "LECTURELIB_PRESET": "ci", "PYTHONUNBUFFERED": "1"}
        self.proc = None
        v = self.versions()
        self.lab_major = int(v["jupyterlab"].split(".")[0])
        self.server_major = int(v["jupyter_server"].split(".")[0])

    def command(self) -> list[str]:
        cmd = [self.python, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                f"--ServerApp.root_dir={self.root}",
                # jupyter_server 2 (JupyterLab 4) reads the token from IdentityProvider, 1.x (JupyterLab 3) from ServerApp
                f"--IdentityProvider.token={self.token}" if self.server_major >= 2 else f"--ServerApp.token={self.token}",
                "--LabApp.expose_app_in_browser=True",
                f"--LabApp.workspaces_dir={self.root / '.jupyter-home' / 'workspaces'}"]
        if self.lab_major >= 4:   # nothing that would reach out to the internet (none here)
            cmd += ["--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                    "--LabApp.extension_manager=readonly"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:   # CI and the course machines run as root
            cmd.append("--allow-root")
        return cmd

    def __enter__(self):
        # No "official Jupyter news?" prompt (JupyterLab 3.6 and 4): it would only cover the page.
        labconfig = Path(self.env["JUPYTER_CONFIG_DIR"]) / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.command(), cwd=self.root, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__(None, None, None)
        raise TimeoutError(f"jupyter lab did not answer within {self.timeout} s:\n{self.log_text()[-3000:]}")

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()   # the server shuts its kernels down on SIGTERM
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=10)
        self.log.close()

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def url(self, notebook: str) -> str:
        """The notebook alone in a workspace of its own (no notebook of an earlier page restored)."""
        workspace = "live-" + re.sub(r"[^A-Za-z0-9]+", "-", notebook)
        return f"{self.base}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"

    def versions(self) -> dict:
        """What the server runs: JupyterLab and the widget front-end packages of its Python."""
        code = ("import importlib.metadata as m, json; print(json.dumps({d: m.version(d) for d in "
                "('jupyterlab', 'jupyterlab_widgets', 'ipywidgets', 'jupyter_server')}))")
        return json.loads(subprocess.run([self.python, "-c", code], capture_output=True, text=True,
                                         check=True).stdout)


def log_errors(text: str) -> list[str]:
    """Tracebacks and exception lines in a server log, less the benign notices."""
    bad = []
    for line in text.splitlines():
        if any(p.search(line) for p in BENIGN_LOG):
            continue
        if ERROR_LINE.search(line) or "Exception in comm" in line or "[E " in line[:4]:
            bad.append(line.strip()[:300])
    return bad


def png_pixels(src: str):
    """The RGBA pixels of an <img> whose src is a data: URL (what an Output widget shows), as an array."""
    import numpy as np
    from PIL import Image

    head, _, payload = src.partition(",")
    if not head.startswith("data:image/png;base64"):
        raise ValueError(f"not an inline PNG: {src[:60]!r}")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(payload))).convert("RGBA"))


# ------------------------------------------------------------------ driving one notebook

KERNEL_IDLE_JS = """
() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && !w.sessionContext.isRestarting && !w.sessionContext.pendingInput;
}
"""

# Every rendered output of the notebook: its MIME type and text, and whether it sits inside a widget.
OUTPUTS_JS = """
() => Array.from(window.jupyterapp.shell.currentWidget.node.querySelectorAll('.jp-OutputArea-output')).map(el => ({
  mime: el.getAttribute('data-mime-type') || '', text: (el.innerText || '').slice(0, 4000),
  inWidget: el.closest('.jupyter-widgets, .widget-output, .jupyter-widgets-output-area') !== null,
}))
"""


class LabPage:
    """One notebook open in JupyterLab in one browser page, and what went wrong while it was."""

    def __init__(self, context, server: LabServer, notebook: str, *, benign_console=()):
        self.server = server
        self.log_from = len(server.log_text())
        self.benign_console = list(benign_console)
        self.page = context.new_page()
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.goto(server.url(notebook), wait_until="domcontentloaded")
        self.page.wait_for_function(
            f"() => !!window.jupyterapp && !!window.jupyterapp.shell.currentWidget"
            f" && window.jupyterapp.shell.currentWidget.title.label === {json.dumps(notebook)}"
            f" && window.jupyterapp.shell.currentWidget.node.querySelector('.jp-Cell') !== null", timeout=90_000)
        self.panel = self.page.locator(".jp-NotebookPanel:visible")
        self.wait_idle(90_000)

    def wait_idle(self, timeout: float = 120_000) -> None:
        # A kernel reports idle between messages too: it must stay idle for a moment.
        deadline = time.monotonic() + timeout / 1000
        quiet = 0
        while time.monotonic() < deadline:
            quiet = quiet + 1 if self.page.evaluate(KERNEL_IDLE_JS) else 0
            if quiet >= 4:
                return
            self.page.wait_for_timeout(250)
        raise TimeoutError("the kernel did not become idle")

    def run_all(self, timeout: float = 180_000) -> None:
        """Run every cell, as Run > Run All Cells does, and wait until the kernel is done."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(
            "() => Array.from(window.jupyterapp.shell.currentWidget.node.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))"
            ".every(p => /\\[\\d+\\]/.test(p.textContent))", timeout=timeout)
        self.wait_idle(timeout)

    def widget(self, index: int = 0):
        """The ``index``-th top-level widget view in the notebook's outputs."""
        return self.panel.locator(".jp-OutputArea-output .jupyter-widgets.widget-vbox").nth(index)

    def image_src(self, widget) -> str | None:
        imgs = widget.locator("img")
        return imgs.first.get_attribute("src") if imgs.count() else None

    def wait_image_change(self, widget, before: str | None, timeout: float = 20_000) -> str:
        """Wait until the widget shows an image whose src differs from ``before``; return it.
        Fails at once when an error shows up meanwhile (see ``problems``)."""
        deadline = time.monotonic() + timeout / 1000
        while time.monotonic() < deadline:
            problems = self.problems()
            if problems:
                raise AssertionError("while waiting for the widget to redraw:\n  " + "\n  ".join(problems))
            src = self.image_src(widget)
            if src and src != before:
                self.page.wait_for_timeout(200)   # a redraw clears, then shows: read the settled one
                settled = self.image_src(widget)
                if settled == src:
                    return src
            self.page.wait_for_timeout(200)
        raise TimeoutError("the widget's image did not change")

    def slider(self, widget, label: str):
        """The slider of ``widget`` whose description is ``label`` (ipywidgets 7 and 8)."""
        return widget.locator(".widget-slider, .widget-hslider").filter(
            has=self.page.locator(".widget-label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))

    def press_on_slider(self, slider, key: str = "ArrowRight") -> None:
        """Focus the slider's handle and press ``key``, as a keyboard user does."""
        handle = slider.locator(".noUi-handle, .ui-slider-handle").first
        handle.focus()
        handle.press(key)

    def readout(self, slider) -> str:
        r = slider.locator(".widget-readout").first
        tag = r.evaluate("e => e.tagName")
        return r.input_value() if tag in ("INPUT", "TEXTAREA") else r.inner_text()

    def click(self, widget, text: str) -> None:
        widget.locator("button", has_text=text).first.click()

    def outputs(self) -> list[dict]:
        return self.page.evaluate(OUTPUTS_JS)

    def output_errors(self) -> list[str]:
        """Cell or widget outputs that show an error (a traceback, an exception line, an error output)."""
        bad = []
        for o in self.outputs():
            if "error" in o["mime"] or ERROR_LINE.search(o["text"]):
                where = "widget output" if o["inWidget"] else "cell output"
                bad.append(f"{where} [{o['mime']}]: {o['text'].strip().splitlines()[0][:200] if o['text'].strip() else ''}")
        return bad

    def problems(self) -> list[str]:
        """Everything that went wrong since this page opened: uncaught JavaScript errors, console
        errors (less ``benign_console``), error outputs, and errors in the server's log."""
        console = [c for c in self.console_errors if not any(p.search(c) for p in self.benign_console)]
        return ([f"JavaScript error: {e}" for e in self.page_errors]
                + [f"console error: {c}" for c in console]
                + self.output_errors()
                + [f"server/kernel log: {line}" for line in log_errors(self.server.log_text()[self.log_from:])])

    def screenshot(self, name: str) -> Path:
        """The page as it is, in tests/live/screenshots/<name>-lab<major>.png (git-ignored)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-lab{self.server.lab_major}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.page.close()
