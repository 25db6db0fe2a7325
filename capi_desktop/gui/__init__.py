"""The Qt desktop app: a wizard over the same core as the command line."""

from capi_desktop import bootstrap

bootstrap.tune_for_window()  # before any signal is emitted: see bootstrap
