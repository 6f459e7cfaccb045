"""The security response of an incident: containment checklist, evidence and its chain of custody,
notices to legal and compliance, external forensics."""

__all__: list[str] = []
