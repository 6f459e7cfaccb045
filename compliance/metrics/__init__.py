"""SLA metrics and the auditors' incident export: MTTA, MTTR and SLA met by priority, team and
category over a period (`selectors`), and the streaming CSV of the period's incidents with their
SLA figures and SOP conformance (`export`). Definitions: docs/metrics.md."""
