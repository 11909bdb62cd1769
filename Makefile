# Two commands: `make book` builds the course, `make test` checks it.
# Both create .venv and install into it when the requirement files change.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
SHARED_MNIST := ../shared/data/MNIST
export LECTURELIB_DATA ?= $(CURDIR)/data
# The course's own machines have 2 cores; a PyTorch default of more threads only adds contention.
export PYTHONHASHSEED := 0

.PHONY: book test install data unit claims nbval build-ci browser browser-vendor live bench reproduce clean clean-cache set-repo-url colab-check colab-install

book: install
	@preset=$$($(PY) -c 'from lecturelib.presets import preset; print(preset())'); \
	 mkdir -p _build; \
	 if [ "$$(cat _build/.preset 2>/dev/null)" != "$$preset" ]; then rm -rf _build/.jupyter_cache; fi; \
	 echo "$$preset" > _build/.preset; \
	 echo "Building the book at preset '$$preset'"; \
	 $(BIN)/jupyter-book build . ; \
	 echo "Book: $(CURDIR)/_build/html/index.html"

test: install
	$(PY) -m pytest tests/unit -q
	$(PY) -m pytest tests/claims -q
	LECTURELIB_PRESET=ci $(PY) -m pytest --nbval-lax --nbval-current-env -q -p no:randomly book
	$(MAKE) build-ci
	$(MAKE) browser

# The strict build: zero warnings, and a cell error fails it. Executed at `ci`
# into its own folder so it never reuses outputs of a `make book` at another preset.
build-ci: install
	rm -rf _build/ci
	LECTURELIB_PRESET=ci $(BIN)/jupyter-book build . -W -n --keep-going --path-output _build/ci

# The built book in a real browser (Debian's Chromium, driven by Playwright): every
# page opens without errors, images load, math renders, sliders move. Needs the
# book `build-ci` made; builds it only when it is missing.
BOOK_HTML := _build/ci/_build/html
browser: install browser-vendor $(BOOK_HTML)/index.html
	LECTURELIB_BOOK_HTML=$(CURDIR)/$(BOOK_HTML) $(PY) -m pytest tests/browser -q -p no:randomly

$(BOOK_HTML)/index.html:
	$(MAKE) build-ci

# The live widgets in a real client: JupyterLab from .venv on 127.0.0.1 (token, free port), each
# chapter's widget in a small notebook at `ci`, driven in Debian's Chromium: a slider moved with the
# keyboard and a Train button clicked must change the figure's pixels, with no error in the outputs,
# the browser console or the server's (and kernel's) log. 27-85 s measured on the shared 2 cores; not in `make test`, whose
# 15 minutes it would overrun. `.ci/run` runs it after `make test`; `make colab-check` runs the same
# test under ipywidgets 7.7.1. JupyterLab comes from requirements-live.txt, installed here only.
LIVE_STAMP := $(VENV)/.installed-live
live: install $(LIVE_STAMP)
	LECTURELIB_PRESET=ci $(PY) -m pytest tests/live -q -p no:randomly -p no:cacheprovider

$(LIVE_STAMP): requirements-live.txt $(STAMP)
	$(PY) -m pip install -q -r requirements-live.txt -c constraints.txt
	touch $(LIVE_STAMP)

# Local copies of the CDN scripts the pages load (MathJax, RequireJS, the widget
# manager), from the npm registry into the git-ignored tests/browser/vendor/; once.
browser-vendor: install
	$(PY) tests/browser/vendor.py

install: $(STAMP) data

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	$(PY) -m pip install -q -e . -c constraints.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course .venv)" >/dev/null
	touch $(STAMP)

# Copy the offline MNIST files into the git-ignored data cache (never into ../shared): each file
# that is missing there, so deleting a corrupt one (as load_mnist's message says) and running
# make brings a good copy back.
data:
	@if [ -d "$(SHARED_MNIST)/raw" ]; then \
	   mkdir -p "$(LECTURELIB_DATA)/MNIST/raw"; \
	   for f in "$(SHARED_MNIST)"/raw/*.gz; do \
	     t="$(LECTURELIB_DATA)/MNIST/raw/$$(basename "$$f")"; \
	     if [ ! -f "$$t" ]; then cp "$$f" "$$t" && chmod u+w "$$t" && echo "copied $$(basename "$$f") into $(LECTURELIB_DATA)/MNIST/raw"; fi; \
	   done; \
	 fi

# ---------------------------------------------------------------------------------------------
# Colab compatibility: `make colab-check` tests the widgets with what a Colab user has, in a
# second, git-ignored venv (.venv-colab) so the main one is untouched.
# Pins (constraints-colab.txt): ipywidgets 7.7.1 (Colab's for years; it pulls widgetsnbextension
# 3.6.x; its jupyterlab_widgets>=1.0 is pinned to 1.1.1, the JupyterLab 3 front-end released with
# it, and JupyterLab to 3.6.8, for the live-widget test), matplotlib 3.10.0 and numpy 2.0.2, Colab's pins as of 2025
# (the newest Colab pins we could confirm; PyPI has matplotlib up to 3.11.x, which Colab does not
# ship). Update the file when Colab moves. torch/torchvision come from constraints.txt (the
# course machines' pair; Colab brings its own CUDA build). Python is this machine's python3
# (3.11), not Colab's 3.12. Installed: the course package as a Colab user's setup cell installs
# it (`pip install -e .`, no requirements.txt, so no jupyter-book), with the Colab pins as
# constraints so pip cannot upgrade them, plus the test tools.
# Checks, at the `ci` preset: every unit test that builds a course widget (COLAB_TESTS,
# COLAB_MARK), then one chapter with widgets (COLAB_NB) under nbval in the venv's own kernel, with
# a probe cell appended (tests/colab/with_probe.py) that fails unless the kernel is the venv's
# and imports exactly the pinned versions, and every widget in the notebook displays a live view.
# Then the live-widget test (tests/live, as `make live`) in this venv's JupyterLab 3 with
# jupyterlab_widgets 1.1.1, the widget front-end of the ipywidgets 7 series (pinned in
# constraints-colab.txt; Colab's own front-end is not installable).
COLAB_VENV  := .venv-colab
COLAB_PY    := $(COLAB_VENV)/bin/python
COLAB_STAMP := $(COLAB_VENV)/.installed
COLAB_TOOLS := pytest nbval ipykernel hypothesis jupyterlab playwright
# The unit tests marked `colab`, in the test files that import lecturelib's widgets (the
# others may need packages the Colab venv lacks, such as sphinx). tests/unit/conftest.py marks,
# from the panel registry (lecturelib/widgets/registry.py), every test parametrized over the
# registered panels (test_static's twins, test_widget_compat) and every test that calls a
# registered panel's builder; test_presentation, test_static and test_widget_compat mark all
# their tests (plots and twins under Colab's matplotlib). A new panel, and each test that
# builds one, is in the check without editing this list; tests/unit/test_widget_registry.py
# checks that this selection runs every registered panel.
COLAB_TESTS := $(shell grep -lE 'lecturelib(\.widgets\b| import .*\bwidgets\b)' tests/unit/test_*.py)
COLAB_MARK  := colab
COLAB_NB    := book/conv_padding.ipynb
COLAB_OUT   := _build/colab
# The old pins warn about their own dependencies (matplotlib 3.10.0 about pyparsing's renames,
# ipywidgets 7.7.1 about ipykernel.comm); Colab users see none of it, so it is not shown here.
COLAB_PYTEST_W := -W "ignore:The \`ipykernel.comm.Comm\` class has been deprecated:DeprecationWarning" \
                  -W "ignore::DeprecationWarning:matplotlib._fontconfig_pattern" \
                  -W "ignore::DeprecationWarning:matplotlib._mathtext"

colab-check: colab-install data
	LECTURELIB_PRESET=ci $(COLAB_PY) -m pytest -q -p no:randomly -p no:cacheprovider $(COLAB_PYTEST_W) \
	    $(COLAB_TESTS) -m "$(COLAB_MARK)"
	rm -rf $(COLAB_OUT) && mkdir -p $(COLAB_OUT)
	$(COLAB_PY) tests/colab/with_probe.py $(COLAB_NB) $(COLAB_OUT)/$(notdir $(COLAB_NB)) \
	    --pins constraints-colab.txt --venv $(COLAB_VENV) --report $(COLAB_OUT)/kernel.json
	LECTURELIB_PRESET=ci $(COLAB_PY) -m pytest -q -p no:randomly -p no:cacheprovider $(COLAB_PYTEST_W) \
	    --nbval-lax --nbval-current-env $(COLAB_OUT)/$(notdir $(COLAB_NB))
	@echo "colab-check: the notebook kernel ran with:"; cat $(COLAB_OUT)/kernel.json
	LECTURELIB_PRESET=ci $(COLAB_PY) -m pytest tests/live -q -p no:randomly -p no:cacheprovider -rA $(COLAB_PYTEST_W)
	@echo "colab-check: the live-widget test's client:"; $(COLAB_PY) -c 'import importlib.metadata as m; \
	    print({d: m.version(d) for d in ("jupyterlab", "jupyterlab_widgets", "ipywidgets", "jupyter_server")})'

colab-install: $(COLAB_STAMP)

$(COLAB_STAMP): constraints-colab.txt constraints.txt pyproject.toml
	test -x $(COLAB_PY) || python3 -m venv $(COLAB_VENV)
	$(COLAB_PY) -m pip install -q --upgrade pip
	$(COLAB_PY) -m pip install -q -e . $(COLAB_TOOLS) -c constraints-colab.txt -c constraints.txt
	$(COLAB_PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (Colab pins, .venv-colab)" >/dev/null
	$(COLAB_PY) -m pip check
	touch $(COLAB_STAMP)

bench: install
	$(PY) -m lecturelib.bench

clean:
	rm -rf _build .pytest_cache .hypothesis

# The trained-model cache of the autoencoder chapters (git-ignored). Entries are keyed by
# configuration and code fingerprint, so this is never needed for correctness, only to free
# disk. The reproduction's checkpoints in cache/reproduce/ are left alone: they resume runs of
# hours (remove them with `rm -rf cache` when no reproduction is under way).
clean-cache:
	rm -rf cache/models

# Point the launch buttons and Colab setup cells at the repository: make set-repo-url URL=https://github.com/you/course
set-repo-url:
	@test -n "$(URL)" || { echo "usage: make set-repo-url URL=https://github.com/OWNER/REPO"; exit 2; }
	@old=$$(sed -n 's/^  url: *//p' _config.yml); \
	 sed -i "s#$$old#$(URL)#g" _config.yml book/*.ipynb README.md; \
	 echo "repository URL: $$old -> $(URL)"
