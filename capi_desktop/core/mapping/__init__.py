"""Mapping: which spreadsheet column feeds which LinkedIn field, which conversion rule each event name
goes to, and the options an import is run with."""

from capi_desktop.core.mapping.detect import guess_mapping
from capi_desktop.core.mapping.fields import ColumnMapping, Field, RuleChoice, parse_constant_value, parse_rule_map
from capi_desktop.core.mapping.options import ImportOptions

__all__ = [
    "ColumnMapping",
    "Field",
    "ImportOptions",
    "RuleChoice",
    "guess_mapping",
    "parse_constant_value",
    "parse_rule_map",
]
