# `make run` and `make test` do all the set-up: a .venv with the pinned dependencies, made once.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# X server and the libraries Qt's xcb platform needs, for the real-window test (Debian; root only).
XVFB_PACKAGES := xvfb libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xfixes0 libegl1 libgl1 \
	libfontconfig1 libdbus-1-3

.PHONY: setup run test bench xvfb

$(STAMP): requirements.txt requirements-nodeps.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) main.py

test: $(STAMP) xvfb
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/fill_large.py
	$(PY) bench/select_object.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/paint.py

xvfb:
	@dpkg -s $(XVFB_PACKAGES) >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get install -y -q $(XVFB_PACKAGES) >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(XVFB_PACKAGES) >/dev/null 2>&1; }; }; } || \
	  echo "note: could not install Xvfb; the real-window test will be skipped"
