"""Regulatory clocks: the catalogue of regulations (GDPR 72 hours, HIPAA 60 days, ...) and the clock
each one starts on an incident from the time the organisation became aware."""

__all__: list[str] = []
