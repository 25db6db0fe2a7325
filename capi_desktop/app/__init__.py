"""The application layer: every use case once, for the wizard and the command line alike.

Front ends call these functions and render what they return; neither assembles core steps itself.
Reading a file and planning its import (``imports``), a job's life (``jobs``, its record in ``record``),
sending it with the same checks on every path (``uploads``, one at a time per rule: ``runlock``), how it
ended (``outcome``) and how long it has left (``timeleft``). Front ends import the module they need, so
opening the window does not load the import planning and staging code.
"""
