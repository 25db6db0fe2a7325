"""CAPI Desktop: send offline conversions from a spreadsheet to the LinkedIn Conversions API."""

from typing import Any

APP_NAME = "CAPI Desktop"


def __getattr__(name: str) -> Any:
    """``__version__`` from the installed package's metadata, read when first asked for (importlib.metadata
    takes a noticeable part of a command's start)."""
    if name != "__version__":
        raise AttributeError(name)
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("capi-desktop")
    except PackageNotFoundError:  # running from a source tree without an install
        found = "0.0.0"
    globals()["__version__"] = found
    return found
