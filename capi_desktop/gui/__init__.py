"""The Qt desktop app: a wizard over the same core as the command line."""

import ctypes
import sys


def _protect_true_and_false() -> None:
    """Work around a PySide6 bug that would otherwise crash the app on Python 3.11.

    The same happens to ``None`` (a call returning nothing, such as ``QPushButton.click()``, drops one
    reference): 20,000 clicks aborted Python with "none_dealloc"; with the guard 300,000 did not.

    ``Signal.emit()`` (seen in PySide6 6.12) returns ``True`` without taking a reference to it, so
    every emit drops one reference that was never taken. From Python 3.12 on, ``True`` and ``False``
    are immortal and this does no harm; on 3.11 a few hundred emits bring ``True``'s count to zero and
    the interpreter aborts ("bool_dealloc: deallocating True or False"). Adding spare references makes
    them effectively immortal, as 3.12 does. Extra references to the two bool singletons are harmless,
    so this stays safe once PySide6 is fixed; remove it when the app requires Python 3.12.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for value in (True, False, None):
        # ob_refcnt is the first field of every CPython object (release builds).
        ctypes.c_ssize_t.from_address(id(value)).value += 1 << 28


_protect_true_and_false()


# The window shares the interpreter lock with the staging and upload workers: asking running threads
# to hand it over every 1 ms (default 5 ms) keeps the event loop's waits short while they work.
sys.setswitchinterval(0.001)
