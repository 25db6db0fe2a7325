"""Starting the desktop app: the Qt application, the runtime, the wizard, and a tidy exit."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Sequence

from PySide6.QtCore import QSettings, Qt, QThreadPool
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication

from capi_desktop import APP_NAME, __version__, paths
from capi_desktop.gui.collector import collect_on_gui_thread
from capi_desktop.gui.errors import install_excepthook, log_file, show_error
from capi_desktop.gui.icons import app_icon
from capi_desktop.gui.pages.sign_in import UrlOpener
from capi_desktop.gui.wizard import UploadWizard
from capi_desktop.runtime import Runtime, open_runtime

logger = logging.getLogger(__name__)

EXIT_STARTUP_FAILED = 1
# A sign-in wait notices its cancel event within a fraction of a second; HTTP calls time out on their own.
WORKER_SHUTDOWN_MS = 5000


def create_wizard(runtime: Runtime, open_url: UrlOpener = QDesktopServices.openUrl) -> UploadWizard:
    """The wizard as the app shows it, with its window's state kept next to the settings."""
    window_state = QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)
    return UploadWizard(runtime, window_state, open_url)


def run(argv: Sequence[str] | None = None) -> int:
    """Open the app and return its exit code once the window is closed."""
    handler = _log_to_file()
    try:
        app = _application(argv)
        try:
            runtime = open_runtime()
        except Exception as exc:  # settings, credential store or sandbox: explain it and stop
            show_error(None, exc, wait=True)
            return EXIT_STARTUP_FAILED
        try:
            return _show_wizard(app, runtime)
        finally:
            runtime.close()
    finally:
        if handler is not None:
            logging.getLogger().removeHandler(handler)
            handler.close()


def _application(argv: Sequence[str] | None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        # Qt 6 scales for high-DPI screens by itself; pass fractional factors (125%, 150%) through unrounded.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(list(sys.argv if argv is None else argv))
    apply_look(app)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    QGuiApplication.setDesktopFileName("capi-desktop")  # lets Linux desktops match the window to its icon
    collect_on_gui_thread(app)
    return app


def apply_look(app: QApplication) -> None:
    """No forced style: the system's own, in its light or dark palette. Only the stock icons some styles put
    on OK, Cancel, Yes and No (a green banknote-like tick on Linux) go: the words say enough."""
    app.setStyleSheet("QDialogButtonBox { dialogbuttonbox-buttons-have-icons: 0; }")


def _show_wizard(app: QApplication, runtime: Runtime) -> int:
    wizard = create_wizard(runtime)
    previous_hook = install_excepthook(wizard)
    try:
        wizard.show()
        return app.exec()
    finally:
        sys.excepthook = previous_hook
        # Closing the wizard cancelled its work; let the threads end before the sandbox stops.
        QThreadPool.globalInstance().waitForDone(WORKER_SHUTDOWN_MS)


def _log_to_file() -> logging.Handler | None:
    """Keep a log the user can send to support (warnings and errors; more with --verbose)."""
    try:
        log_file().parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(log_file(), maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError as exc:
        logger.warning("No log file: %s", exc)
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    return handler
