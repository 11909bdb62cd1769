"""Local copies of the JavaScript the built book loads from CDNs.

The built pages ask for MathJax (Sphinx's default), RequireJS and the Jupyter
widgets HTML manager (myst-nb's defaults, on pages with widgets) from public
CDNs. The browser test has no internet, so it routes those URLs to the same
versions fetched once from the npm registry with ``npm pack`` into the
git-ignored ``tests/browser/vendor/``. No installed Python package ships them.

    python tests/browser/vendor.py     # fetch what is missing (``make browser-vendor``)

CDN holds every URL prefix the test serves from disk, and where from.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor"

# npm package, exact version, folder under VENDOR. Versions are those the pages
# reference: Sphinx 7 asks for mathjax@3 (jsdelivr serves the newest 3.x, 3.2.2,
# the last 3.x release); myst-nb 1.4 pins require.js 2.3.4 and html-manager 1.0.6.
PACKAGES = {
    "mathjax": ("mathjax", "3.2.2"),
    "requirejs": ("requirejs", "2.3.4"),
    "html-manager": ("@jupyter-widgets/html-manager", "1.0.6"),
}


def folder(key: str) -> Path:
    name, version = PACKAGES[key]
    return VENDOR / f"{key}@{version}"


# URL prefix on the CDN -> local folder it maps onto (the rest of the URL is the
# path inside that folder). Lookup is by longest prefix.
CDN = {
    "https://cdn.jsdelivr.net/npm/mathjax@3/": folder("mathjax"),
    f"https://cdn.jsdelivr.net/npm/mathjax@{PACKAGES['mathjax'][1]}/": folder("mathjax"),
    # cdnjs serves a minified require.min.js; npm's package has the same release unminified
    f"https://cdnjs.cloudflare.com/ajax/libs/require.js/{PACKAGES['requirejs'][1]}/require.min.js": folder("requirejs") / "require.js",
    f"https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@{PACKAGES['html-manager'][1]}/": folder("html-manager"),
}


def local_file(url: str) -> Path | None:
    """The local file for a CDN URL, or None when no prefix matches."""
    url = url.split("#", 1)[0].split("?", 1)[0]
    for prefix in sorted(CDN, key=len, reverse=True):
        if url == prefix or (prefix.endswith("/") and url.startswith(prefix)):
            target = CDN[prefix]
            return target if not prefix.endswith("/") else target / url[len(prefix):]
    return None


def missing() -> list[str]:
    return [key for key in PACKAGES if not (folder(key) / "package.json").is_file()]


def fetch() -> None:
    todo = missing()
    if not todo:
        print(f"browser vendor files present in {VENDOR}")
        return
    if shutil.which("npm") is None:
        sys.exit("npm is needed to fetch the browser test's CDN copies (apt-get install -y npm)")
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vendor-", dir=VENDOR) as tmp:
        for key in todo:
            name, version = PACKAGES[key]
            out = subprocess.run(["npm", "pack", "--silent", f"{name}@{version}"], cwd=tmp,
                                 check=True, capture_output=True, text=True).stdout.split()
            tgz = Path(tmp) / out[-1]
            unpacked = Path(tmp) / key
            with tarfile.open(tgz) as tar:
                tar.extractall(unpacked, filter="data")
            dest = folder(key)
            shutil.rmtree(dest, ignore_errors=True)
            (unpacked / "package").rename(dest)  # npm tarballs hold one folder, package/
            print(f"fetched {name}@{version} -> {dest.relative_to(VENDOR.parent.parent.parent)}")


if __name__ == "__main__":
    fetch()
