"""Staging: a spreadsheet's rows read as columns (``cells``), each field normalised (``fields``,
``times``, ``amounts``), each row's result assembled (``rows``) and written to the job's journal
(``engine``), with every reason in ``messages``."""

from capi_desktop.core.staging.engine import ImportCancelled, StageSummary, stage

__all__ = ["ImportCancelled", "StageSummary", "stage"]
