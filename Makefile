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

.PHONY: book test install data unit claims nbval build-ci browser browser-vendor bench reproduce clean set-repo-url

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

# Copy the offline MNIST files into the git-ignored data cache (never into ../shared).
data:
	@if [ -d "$(SHARED_MNIST)/raw" ] && [ ! -f "$(LECTURELIB_DATA)/MNIST/raw/train-images-idx3-ubyte.gz" ]; then \
	   mkdir -p "$(LECTURELIB_DATA)/MNIST" && cp -r "$(SHARED_MNIST)/raw" "$(LECTURELIB_DATA)/MNIST/" && \
	   chmod -R u+w "$(LECTURELIB_DATA)/MNIST"; \
	   echo "copied MNIST into $(LECTURELIB_DATA)/MNIST"; \
	 fi

bench: install
	$(PY) -m lecturelib.bench

clean:
	rm -rf _build .pytest_cache .hypothesis

# Point the launch buttons and Colab setup cells at the repository: make set-repo-url URL=https://github.com/you/course
set-repo-url:
	@test -n "$(URL)" || { echo "usage: make set-repo-url URL=https://github.com/OWNER/REPO"; exit 2; }
	@old=$$(sed -n 's/^  url: *//p' _config.yml); \
	 sed -i "s#$$old#$(URL)#g" _config.yml book/*.ipynb README.md; \
	 echo "repository URL: $$old -> $(URL)"
