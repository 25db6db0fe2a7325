"""What an import is asked to do: the rules, the column mapping, and how to read dates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from capi_desktop.core.mapping.fields import ColumnMapping, RuleChoice
from capi_desktop.core.normalise.dates import DateOrder


@dataclass(frozen=True)
class ImportOptions:
    rules: RuleChoice
    mapping: ColumnMapping
    timezone: str | None = None  # IANA name; None: this computer's zone
    date_order: DateOrder = DateOrder.AUTO
    max_age_days: int = 90
    future_grace_seconds: int = 300

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": self.rules.to_dict(),
            "mapping": self.mapping.to_dict(),
            "timezone": self.timezone,
            "date_order": self.date_order.name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportOptions:
        """The options ``to_dict`` wrote; ``ValueError`` when they are not that."""
        try:
            return cls(
                rules=RuleChoice.from_dict(data["rules"]),
                mapping=ColumnMapping.from_dict(data["mapping"]),
                timezone=data.get("timezone"),
                date_order=DateOrder[str(data.get("date_order") or "AUTO")],
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not import options: {exc}") from exc
