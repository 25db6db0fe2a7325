"""CAPI Desktop: send offline conversions from a spreadsheet to the LinkedIn Conversions API."""

from importlib.metadata import PackageNotFoundError, version

APP_NAME = "CAPI Desktop"

try:
    __version__ = version("capi-desktop")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
