"""Pieces of the browser test: the book's pages, a local server, CDN routing, page checks."""
from __future__ import annotations

import functools
import http.server
import mimetypes
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import yaml

from . import vendor

ROOT = Path(__file__).resolve().parents[2]
BOOK_HTML = Path(os.environ.get("LECTURELIB_BOOK_HTML", ROOT / "_build" / "ci" / "_build" / "html"))
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Pages Sphinx adds to every book besides the toc's: the redirect, the index and the search page.
EXTRA_PAGES = ["index.html", "genindex.html", "search.html"]


def chromium_path() -> str | None:
    return os.environ.get("LECTURELIB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def book_missing_message() -> str | None:
    if (BOOK_HTML / "index.html").is_file():
        return None
    return (f"no built book at {BOOK_HTML}: run `make build-ci` first "
            "(or point LECTURELIB_BOOK_HTML at a built html folder)")


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def toc_files() -> list[str]:
    """The toc's documents, as paths relative to the book root without suffix ('book/intro', ...)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def chapter_notebooks() -> list[str]:
    """Every book/*.ipynb, as 'book/NAME'."""
    return sorted(f"book/{p.stem}" for p in (ROOT / "book").glob("*.ipynb"))


def book_pages() -> list[str]:
    """Every page of the book: the toc's pages, then index, genindex and search."""
    return [f"{f}.html" for f in toc_files()] + EXTRA_PAGES


def stray_pages() -> list[str]:
    """HTML files in the build that book_pages() does not name (Sphinx's own folders aside)."""
    known = set(book_pages())
    found = []
    for path in BOOK_HTML.rglob("*.html"):
        rel = path.relative_to(BOOK_HTML).as_posix()
        if rel.split("/", 1)[0] in {"_static", "_sources", "_images", "_downloads"}:
            continue
        if rel not in known:
            found.append(rel)
    return sorted(found)


def colab_url(notebook: str) -> str:
    """Colab's address of a notebook ('book/NAME') in the repository _config.yml names."""
    repo = config()["repository"]
    owner_repo = urlparse(repo["url"]).path.strip("/").removesuffix(".git")
    branch = repo.get("branch", "main")
    book_path = (repo.get("path_to_book") or "").strip("/")
    path = f"{book_path}/{notebook}" if book_path else notebook
    return f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{path}.ipynb"


# ---------------------------------------------------------------- local server

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class BookServer:
    """http.server on 127.0.0.1 at a free port, serving one folder, in a thread."""

    def __init__(self, folder: Path):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


# ---------------------------------------------------------------- routing and problems

# Resource types whose failure to load breaks what a reader sees.
NEEDED_TYPES = {"document", "script", "stylesheet", "image", "font", "media"}


@dataclass
class PageRecord:
    """Everything that went wrong (or was routed) while one page was open."""
    base: str
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)      # needed resources that did not load
    aborted: list[str] = field(default_factory=list)     # external requests we refused
    served_locally: list[str] = field(default_factory=list)
    sri_stripped: list[str] = field(default_factory=list)

    def is_local(self, url: str) -> bool:
        return url.startswith(self.base)


_SCRIPT_TAG = re.compile(r"<script\b[^>]*>")
_SRC = re.compile(r'\bsrc="([^"]+)"')
_INTEGRITY = re.compile(r'\s+integrity="[^"]*"')


def _strip_sri(html: str, record: PageRecord) -> str:
    """Drop integrity= from script tags whose src we serve from a local copy.

    The local copy is the same release but not byte-identical (cdnjs minifies
    require.js itself; npm ships it unminified), so the CDN's hash cannot match.
    Nothing else in the page changes.
    """
    def repl(match):
        tag = match.group(0)
        src = _SRC.search(tag)
        if not src or "integrity=" not in tag or vendor.local_file(src.group(1)) is None:
            return tag
        record.sri_stripped.append(src.group(1))
        return _INTEGRITY.sub("", tag)
    return _SCRIPT_TAG.sub(repl, html)


def install_routes(page, record: PageRecord) -> None:
    """Serve the book from the local server, CDN files from tests/browser/vendor, abort the rest."""

    def handle(route, request):
        url = request.url
        if url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
            return
        if record.is_local(url):
            if request.resource_type == "document":
                response = route.fetch()
                body = response.text()
                route.fulfill(response=response, body=_strip_sri(body, record))
            else:
                route.continue_()
            return
        local = vendor.local_file(url)
        if local is not None:
            if local.is_file():
                record.served_locally.append(url)
                ctype = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
                if local.suffix == ".js":
                    ctype = "application/javascript"
                route.fulfill(status=200, path=str(local), content_type=ctype,
                              headers={"Access-Control-Allow-Origin": "*"})
            else:
                record.failed.append(f"{request.resource_type} {url} (no local copy at {local})")
                route.abort()
            return
        record.aborted.append(f"{request.resource_type} {url}")
        route.abort("blockedbyclient")

    page.route("**/*", handle)

    failed_urls = set()  # a 404 is reported twice (the response, then the failed load): once is enough

    def on_failed(request):
        url = request.url
        if (request.resource_type in NEEDED_TYPES and url not in failed_urls
                and (record.is_local(url) or vendor.local_file(url))):
            failed_urls.add(url)
            record.failed.append(f"{request.resource_type} {url} ({request.failure})")

    def on_response(response):
        request = response.request
        if response.status >= 400 and request.resource_type in NEEDED_TYPES and response.url not in failed_urls:
            failed_urls.add(response.url)
            record.failed.append(f"{request.resource_type} {response.url} (HTTP {response.status})")

    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: record.page_errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and record.console_errors.append(msg.text))


def needed_external(record: PageRecord) -> list[str]:
    """Aborted external requests for things a page needs to show itself."""
    return [a for a in record.aborted if a.split(" ", 1)[0] in NEEDED_TYPES]


# ---------------------------------------------------------------- in-page checks

SETTLE_JS = """
async () => {
  // Lazy images: load them all now, then scroll through the page as a reader would.
  for (const img of document.querySelectorAll('img[loading="lazy"]')) img.loading = 'eager';
  const step = Math.max(200, window.innerHeight - 100);
  for (let y = 0; y < document.documentElement.scrollHeight; y += step) {
    window.scrollTo(0, y);
    await new Promise(r => requestAnimationFrame(() => r()));
  }
  window.scrollTo(0, 0);
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(r => {
    img.addEventListener('load', r, {once: true});
    img.addEventListener('error', r, {once: true});
  })));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  return true;
}
"""

IMAGES_JS = """
() => Array.from(document.images).map(img => ({
  src: img.currentSrc || img.src, complete: img.complete, w: img.naturalWidth, h: img.naturalHeight,
  alt: (img.getAttribute('alt') || '').trim(), inOutput: img.closest('.cell_output') !== null,
}))
"""

MATH_JS = """
() => ({
  math: document.querySelectorAll('.math').length,
  rendered: document.querySelectorAll('.math mjx-container').length,
  unrendered: Array.from(document.querySelectorAll('.math'))
      .filter(el => !el.querySelector('mjx-container')).map(el => el.textContent.trim().slice(0, 80)),
  errors: Array.from(document.querySelectorAll('mjx-merror'))
      .map(el => el.getAttribute('data-mjx-error') || el.textContent.slice(0, 80)),
  containers: document.querySelectorAll('mjx-container').length,
})
"""

OUTPUTS_JS = """
() => Array.from(document.querySelectorAll('.cell_output .output')).map(el => ({
  cls: el.className, text: el.innerText.slice(0, 4000),
}))
"""

# An error shown in a cell output: a traceback or an exception line. A warning
# (`UserWarning: ...`, a deprecation notice) or a progress bar on stderr is not one.
ERROR_LINE = re.compile(r"^\s*(Traceback \(most recent call last\)|Exception ignored in\b|"
                        r"(\w+\.)*\w*(Error|Exception|Interrupt):)", re.M)


def error_outputs(outputs: list[dict]) -> list[str]:
    """Outputs that show an error: myst-nb's traceback/error outputs, or stderr that reads as one."""
    bad = []
    for out in outputs:
        classes = set(out["cls"].split())
        first = out["text"].strip().splitlines()[:1]
        head = first[0][:200] if first else ""
        if classes & {"traceback", "error"}:
            bad.append(f"[{' '.join(sorted(classes))}] {head}")
        elif "Traceback (most recent call last)" in out["text"]:
            bad.append(f"[{' '.join(sorted(classes))}] traceback: {head}")
        elif "stderr" in classes and ERROR_LINE.search(out["text"]):
            bad.append(f"[stderr] {ERROR_LINE.search(out['text']).group(0).strip()} ... {head}")
    return bad


def stderr_warnings(outputs: list[dict]) -> list[str]:
    return [o["text"].strip().splitlines()[0][:200] for o in outputs
            if "stderr" in o["cls"].split() and o["text"].strip() and not ERROR_LINE.search(o["text"])]


# ---------------------------------------------------------------- static sliders

SLIDERS_JS = """
() => Array.from(document.querySelectorAll('.ll-static-slider')).map((s, i) => {
  const input = s.querySelector('input.ll-static-input');
  const frames = Array.from(s.querySelectorAll('img.ll-frame'));
  return {
    index: i,
    hasInput: !!input && input.type === 'range',
    min: input ? Number(input.min) : null, max: input ? Number(input.max) : null,
    step: input ? input.step : null, value: input ? Number(input.value) : null,
    hasOutput: !!s.querySelector('output.ll-static-value'),
    frames: frames.length,
    alts: frames.map(f => (f.getAttribute('alt') || '').trim()),
  };
})
"""

# Which frames of slider i show (not `hidden`, rendered), with their src, and the label.
SLIDER_STATE_JS = """
(i) => {
  const s = document.querySelectorAll('.ll-static-slider')[i];
  const frames = Array.from(s.querySelectorAll('img.ll-frame'));
  const shown = frames.map((f, k) => [f, k])
      .filter(([f, k]) => !f.hidden && f.checkVisibility() && f.getBoundingClientRect().width > 0);
  const label = s.querySelector('output.ll-static-value');
  return {
    value: Number(s.querySelector('input.ll-static-input').value),
    shown: shown.map(([f, k]) => k),
    src: shown.length ? (shown[0][0].currentSrc || shown[0][0].src) : null,
    loaded: shown.length ? shown[0][0].naturalWidth > 0 : false,
    label: label ? label.textContent.trim() : null,
  };
}
"""

SLIDER_SET_JS = """
([i, v]) => {
  const input = document.querySelectorAll('.ll-static-slider')[i].querySelector('input.ll-static-input');
  input.value = String(v);
  input.dispatchEvent(new Event('input', {bubbles: true}));
  input.dispatchEvent(new Event('change', {bubbles: true}));
}
"""


def check_sliders(page) -> list[str]:
    """Every static slider follows the contract and shows frame `value` when moved.

    Returns problems (empty when all is well); each names the slider by its index.
    """
    problems = []
    for s in page.evaluate(SLIDERS_JS):
        name = f"slider {s['index']}"
        if not s["hasInput"]:
            problems.append(f"{name}: no input.ll-static-input of type range")
            continue
        if s["frames"] < 2:
            problems.append(f"{name}: {s['frames']} frame(s); a slider needs at least 2")
            continue
        if any(not a for a in s["alts"]):
            problems.append(f"{name}: frames {[k for k, a in enumerate(s['alts']) if not a]} have no alt text")
        if (s["min"], s["max"]) != (0, s["frames"] - 1) or s["step"] not in ("1", ""):
            problems.append(f"{name}: range min={s['min']} max={s['max']} step={s['step']!r} "
                            f"for {s['frames']} frames (expected 0..{s['frames'] - 1} step 1)")
        state = page.evaluate(SLIDER_STATE_JS, s["index"])
        if state["shown"] != [state["value"]]:
            problems.append(f"{name}: at value {state['value']} frames {state['shown']} show (expected exactly that one)")
            continue
        # A reader's move first: focus the range and press an arrow key (the browser fires input/change).
        slider_input = page.locator(".ll-static-slider").nth(s["index"]).locator("input.ll-static-input")
        key = "ArrowRight" if state["value"] < s["max"] else "ArrowLeft"
        slider_input.focus()
        slider_input.press(key)
        moved = page.evaluate(SLIDER_STATE_JS, s["index"])
        if moved["value"] == state["value"]:
            problems.append(f"{name}: {key} did not change the range's value")
            continue
        if moved["shown"] != [moved["value"]] or moved["src"] == state["src"]:
            problems.append(f"{name}: after {key} to {moved['value']} frames {moved['shown']} show "
                            f"(src {'unchanged' if moved['src'] == state['src'] else 'changed'})")
            continue
        # Then every index (or a spread of them for long sliders), set by script with input + change events.
        n = s["frames"]
        targets = list(range(n)) if n <= 40 else sorted({round(k * (n - 1) / 39) for k in range(40)})
        before = page.evaluate(SLIDER_STATE_JS, s["index"])
        for v in targets:
            if v == before["value"]:
                continue
            page.evaluate(SLIDER_SET_JS, [s["index"], v])
            after = page.evaluate(SLIDER_STATE_JS, s["index"])
            if after["shown"] != [v]:
                problems.append(f"{name}: set to {v}, frames {after['shown']} show")
                break
            if after["src"] == before["src"]:
                problems.append(f"{name}: set to {v} from {before['value']}, the shown image's src did not change")
                break
            if not after["loaded"]:
                problems.append(f"{name}: frame {v} shows but its image did not load")
                break
            before = after
    return problems


# ---------------------------------------------------------------- a clean page (issue 14)

# The main content column of a Jupyter Book (sphinx-book-theme) page; Sphinx's search page has
# its results container instead of an article.
MAIN_COLUMN = "article.bd-article, div.bd-search-container"

# What counts as wider than the column, decided once for every page:
#   * "scrolls": an element of the column that scrolls sideways (overflow-x auto or scroll
#     and more content than width). Code cells count: a code line must fit the column too
#     (the course keeps code lines at most 88 characters, which fit at CODE_WIDTH), so a code
#     box that scrolls is a finding, not an exception; so are a wide table's scroll container
#     and a long output line.
#   * "cut off": an element that hides what does not fit (overflow-x hidden or clip).
#   * "sticks out": an element whose box reaches past the column's right edge with no
#     scrolling or clipping ancestor inside the column (only the outermost one is named).
# Collapsed content (<details>, sphinx-togglebutton dropdowns such as exercise solutions)
# is opened first, so it is checked as a reader who opens it sees it. Visually hidden
# helpers (MathJax's assistive MathML, screen-reader-only text) and static-slider frames
# that are not shown are not looked at.
OVERFLOW_JS = """
([root, which]) => {
  const col = document.querySelector(root);
  if (!col) return {column: null, found: []};
  for (const d of col.querySelectorAll('details')) d.open = true;
  for (const t of col.querySelectorAll('.toggle-hidden')) t.classList.remove('toggle-hidden');
  // MathJax's assistive MathML is invisible but wide: it would count in its math's scrollWidth.
  const assistive = Array.from(col.querySelectorAll('mjx-assistive-mml'));
  for (const m of assistive) m.style.setProperty('display', 'none', 'important');
  const colBox = col.getBoundingClientRect();
  // which: 'code' looks only inside code cells (.cell_input), 'rest' everywhere else, 'all' at both.
  const inCode = el => el.closest('.cell_input') !== null;
  // A stretchy brace (\\overbrace, \\underbrace) is drawn by clipping a long repeated glyph (mjx-ext):
  // clipped on purpose, never wider than its formula on screen.
  const skip = el => el.closest('mjx-assistive-mml, mjx-stretchy-h, mjx-stretchy-v, .visually-hidden, .sr-only, '
      + '.screen-reader-text') !== null
      || (which === 'code' && !inCode(el)) || (which === 'rest' && inCode(el));
  const shown = el => el.checkVisibility() && el.getBoundingClientRect().width > 0;
  const where = el => {
    const sec = el.closest('section[id]');
    return sec ? '#' + sec.id : '';
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      Array.from(el.classList).slice(0, 3).map(c => '.' + c).join('');
  const part = el => el.closest('.cell_input') ? 'code cell' : el.closest('.cell_output') ? 'cell output'
      : 'page text';
  const describe = (el, kind, extra) => ({
    kind, part: part(el), element: name(el), parent: el.parentElement ? name(el.parentElement) : '', section: where(el),
    text: (el.innerText || el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 70), ...extra,
  });
  const found = [];
  const flagged = [];
  for (const el of col.querySelectorAll('*')) {
    if (skip(el) || !shown(el)) continue;
    const ox = getComputedStyle(el).overflowX;
    const over = el.scrollWidth - el.clientWidth;
    if ((ox === 'auto' || ox === 'scroll') && over > 1) {
      found.push(describe(el, 'scrolls', {content: el.scrollWidth, width: el.clientWidth}));
      flagged.push(el);
    } else if ((ox === 'hidden' || ox === 'clip') && over > 1 && el.clientWidth > 1) {
      found.push(describe(el, 'cut off', {content: el.scrollWidth, width: el.clientWidth}));
      flagged.push(el);
    }
  }
  const contained = el => {
    for (let a = el.parentElement; a && a !== col; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox !== 'visible') return true;
    }
    return false;
  };
  for (const el of col.querySelectorAll('*')) {
    if (skip(el) || !shown(el) || contained(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.right > colBox.right + 1 && !flagged.some(f => f.contains(el) || el.contains(f))) {
      found.push(describe(el, 'sticks out', {right: Math.round(box.right), column: Math.round(colBox.right)}));
      flagged.push(el);
    }
  }
  for (const m of assistive) m.style.removeProperty('display');
  return {column: Math.round(colBox.width), found};
}
"""


# The window widths the column is checked at. Code cells are checked at CODE_WIDTH: at 1440 px
# (a common laptop screen) and wider the book's code boxes hold 89 characters, so the course's
# limit of 88 characters a line fits (at 1280 px they hold 77). Everything else (tables, outputs,
# math, figures, text) is checked at PAGE_WIDTH, the width the rest of the browser test uses.
# Measured on the built book (Chromium, sphinx-book-theme 1.3).
PAGE_WIDTH = 1280
CODE_WIDTH = 1440


def _at_width(page, width: int) -> None:
    if page.viewport_size and page.viewport_size["width"] != width:
        page.set_viewport_size({"width": width, "height": page.viewport_size["height"]})
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def overflow_problems(page, root: str = MAIN_COLUMN, *, widths: bool = True) -> list[str]:
    """Everything in the main column that is wider than the column (see OVERFLOW_JS), one line each:
    code cells with the window CODE_WIDTH wide, the rest PAGE_WIDTH wide (``widths=False``: all of
    it at the page's current width)."""
    if not widths:
        return _overflow_lines(page, root, "all", None)
    _at_width(page, PAGE_WIDTH)
    lines = _overflow_lines(page, root, "rest", PAGE_WIDTH)
    if lines[:1] == [f"no main column ({root}) on the page"]:
        return lines
    _at_width(page, CODE_WIDTH)
    return lines + _overflow_lines(page, root, "code", CODE_WIDTH)


def _overflow_lines(page, root, which, width) -> list[str]:
    result = page.evaluate(OVERFLOW_JS, [root, which])
    if result["column"] is None:
        return [f"no main column ({root}) on the page"]
    lines = []
    for f in result["found"]:
        size = (f"{f['content']} px of content in {f['width']} px" if "content" in f
                else f"right edge at {f['right']} px, column ends at {f['column']} px")
        at = f" at {width} px" if width else ""
        lines.append(f"{f['kind']}{at}: {f['part']} {f['element']} in {f['parent']} {f['section']} ({size}): "
                     f"{f['text']!r}")
    return lines


# A tqdm bar's text: "desc:  40%|####      | 400/1000 [00:03<00:04, 99.1it/s]", and the text
# fallback of a widget bar that was never updated ("HBox(children=(...", "FloatProgress(...").
PROGRESS_LINE = re.compile(r"(^|\s)\d{1,3}%\|[^|\n]*\|\s*\d+(\.\d+)?[kMGT]?/\d+(\.\d+)?[kMGT]?(\s|$)"
                           r"|^\s*(HBox|FloatProgress|IntProgress)\(", re.M)


def progress_lines(outputs: list[dict]) -> list[str]:
    """Cell outputs that show a bare progress-bar line (the book must show none: see lecturelib.progress)."""
    bad = []
    for out in outputs:
        for line in out["text"].splitlines():
            if PROGRESS_LINE.search(line):
                bad.append(f"[{' '.join(c for c in out['cls'].split() if c != 'output')}] {line.strip()[:120]}")
    return bad
