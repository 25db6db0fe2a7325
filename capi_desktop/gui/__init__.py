"""The Qt desktop app: a wizard over the same core as the command line."""
