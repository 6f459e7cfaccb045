"""How an incident's history list shows each change: labels instead of stored values."""

from __future__ import annotations

from typing import Any

from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper


class IncidentHistoryHelper(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value) -> Any:
        # An empty foreign key comes back as a "deleted" object with no primary key; it was simply empty.
        if isinstance(value, DeletedObject) and value.pk is None:
            return "—"
        field = self.model._meta.get_field(change.field)
        if field.choices and not isinstance(value, list):
            return dict(field.flatchoices).get(value, value)
        return super().prepare_delta_change_value(change, value)
