"""Pure-Python core: no Qt, no HTTP. Everything here takes its dependencies as arguments."""
