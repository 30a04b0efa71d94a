# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# pytest workers; each test file runs whole in one worker, so its module fixtures are built once.
# (worksteal was a minute faster but paired tests that raced with their training child.)
# Three were ~8 % faster (a worker often waits on its training child) but two of three clean-clone
# runs then segfaulted in a window test's teardown (QApplication.topLevelWidgets), never seen with two.
TEST_WORKERS ?= 2
STAMP := $(VENV)/.installed

.PHONY: run test venv system-deps test-system-deps bench screenshots install-desktop uninstall-desktop clean \
	bundle bundle-smoke

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip

# Reinstall only when the dependency list changes.
# pip compiles every installed module's bytecode one file at a time (~40 of the install's ~85 s);
# compileall on all cores does the same in ~20. Some packages ship files for other Pythons that
# never compile, which pip passes over silently; so does this.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --no-compile -e ".[test]"
	$(PY) -m compileall -qq -j 0 "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" || true
	touch $(STAMP)

# The project's own bytecode, as pip writes it for every installed package but not for an editable
# one: without it each start compiles ~200 modules (0.4-0.5 s of a 1.4 s start), and where
# PYTHONDONTWRITEBYTECODE is set, every start again (and in the tests, every subprocess and
# training process). Up to date, this takes under 0.1 s.
BYTECODE = $(PY) -m compileall -q core desktop_app main.py

venv: $(STAMP)

# System packages are installed only where that needs no question (root with apt-get, as on CI
# or a fresh container); elsewhere the preflight names what is missing when the window starts,
# and the real-X test is skipped with its reason.
QT_X_LIBS := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1 \
	libxkbcommon-x11-0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libegl1 libgl1 libfontconfig1
X_TEST_TOOLS := xvfb xdotool x11-utils
define apt_install
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
		if [ -n "$$missing" ]; then \
			echo "Installing system packages:" $$missing; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
				|| echo "Could not install" $$missing; \
		fi; \
	fi
endef

system-deps:
	$(call apt_install,$(QT_X_LIBS))

test-system-deps:
	$(call apt_install,$(QT_X_LIBS) $(X_TEST_TOOLS))

run: $(STAMP) system-deps
	$(BYTECODE)
	$(PY) main.py

test: $(STAMP) test-system-deps
	$(PY) -m ruff check .
	$(BYTECODE)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile tests

# Each bench's own time after its final line: `make bench` as a whole should stay under 30 minutes.
bench: $(STAMP)
	for script in bench/bench_*.py; do started=$$(date +%s); $(PY) $$script || exit 1; \
		echo "($$script took $$(( $$(date +%s) - started )) s)"; done

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) scripts/screenshots.py

# A folder that runs without Python (build/dist/rnn-lab), built in its own environment
# (build/bundle-venv: the CPU-only TensorFlow and the `bundle` extra, PyInstaller). Minutes; not
# part of `make test`.
bundle: system-deps
	$(PYTHON) scripts/build_bundle.py

bundle-smoke:
	$(PYTHON) scripts/bundle_smoke.py

install-desktop: $(STAMP)
	$(BYTECODE)
	$(PY) scripts/install_desktop.py

uninstall-desktop:
	$(PYTHON) scripts/install_desktop.py --uninstall

clean:
	rm -rf $(VENV) build *.egg-info
