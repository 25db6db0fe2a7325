# Two commands are the contract (see README): `make run` and `make test`.
# Both work from a fresh clone on Debian as root; they install what they need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: Qt's runtime libraries for a real window; xvfb, dbus, gnome-keyring and chromium
# for the tests (virtual screen, the real OS keyring, a real browser for the sign-in flow).
RUN_DEBS := libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libxcb-cursor0 \
	libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 \
	libxcb-image0 fonts-dejavu-core xvfb xauth
TEST_DEBS := $(RUN_DEBS) dbus gnome-keyring libsecret-tools chromium chromium-driver

.PHONY: run test lint typecheck pytest fuzz bench screenshots clean debs-run debs-test installer installer-check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

debs-run:
	@./.ci/ensure-debs $(RUN_DEBS)

debs-test:
	@./.ci/ensure-debs $(TEST_DEBS)

# Without a screen (a server, a container) the app still starts, on a virtual one.
run: $(STAMP) debs-run
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ "$$(uname)" = Linux ]; then \
		echo "No screen found: starting CAPI Desktop on a virtual screen (Xvfb)."; \
		xvfb-run -a $(BIN)/capi-desktop; \
	else \
		$(BIN)/capi-desktop; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check capi_desktop tests bench
	$(BIN)/ruff format --check capi_desktop tests bench

typecheck: $(STAMP)
	$(BIN)/mypy capi_desktop

# The suite runs inside a private D-Bus session with an unlocked gnome-keyring, so keyring tests use the
# real Secret Service; Qt renders offscreen.
pytest: $(STAMP) debs-test
	QT_QPA_PLATFORM=offscreen CAPI_DESKTOP_REAL_KEYRING=1 dbus-run-session -- sh -c \
		'echo -n ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
		exec $(BIN)/pytest -q $(PYTEST_ARGS)'

test: lint typecheck pytest

# The Linux installer: a frozen one-folder bundle as dist/*.tar.gz and dist/*.deb (see installer/).
installer: $(STAMP)
	PYTHON=$(BIN)/python ./installer/build-linux.sh

# Build, install the .deb on this machine, run the installed app's self-test (offscreen), uninstall.
installer-check: installer debs-run
	$(SUDO) dpkg -i dist/capi-desktop_$$($(BIN)/python -c 'import capi_desktop; print(capi_desktop.__version__)')_$$(dpkg --print-architecture).deb
	@status=0; cd / && QT_QPA_PLATFORM=offscreen /usr/bin/capi-desktop --self-test || status=$$?; \
		$(SUDO) dpkg --purge capi-desktop; exit $$status

# Fuzzing at scale: 2,400 generated broken files, each through a real preview in a watched worker;
# prints the counts (read fine / clean message / crash / hang / over memory) as it goes. `make test`
# runs the first 200 of the same corpus.
fuzz: $(STAMP)
	CAPI_FUZZ_FILES=2400 $(BIN)/pytest -q -s -p no:randomly tests/core/test_fuzz_corpus.py

# Benchmarks print figures (not timed tests). The first run generates 1M-row files in bench/out.
bench: $(STAMP)
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_preview.py
	$(BIN)/python bench/bench_upload.py
	$(BIN)/python bench/bench_startup.py

# Renders every wizard page offscreen to docs/screenshots (look at them after a UI change).
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m capi_desktop.gui.screenshots docs/screenshots

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info
