"""The SLA clock of an incident and what enforces it. Each rule of the SOP, and where it lives:

| SOP rule | data | enforced by | tested in |
|---|---|---|---|
| Targets per priority: respond and resolve by (P1 15 min / 4 h, 24x7; P3/P4 in office hours) | `defaults.POLICIES`, `models.SlaPolicy`, `models.BusinessCalendar` | `clock.refresh` (deadlines from the opening, in business time of `core.businesstime`) | `tests/test_sla_clock.py` |
| A priority change recomputes the deadlines; time on hold does not count | `Incident.respond_by`, `resolve_by`, `clock_paused_at` | `clock.refresh` | `tests/test_sla_clock.py` |
| First response: the first triage, claim, start, route, resolve or public reply | `Incident.responded_at` | `workflow.IncidentStateMachine.mark_responded`, `clock.checkpoints` | `tests/test_sla_clock.py` |
| 75% / 90% of a target warns the team; 100% tells the incident manager; a breach is marked | `defaults.RULES`, `models.EscalationRule` | `clock.checkpoints`, `sweep.process`, `actions.notice` | `tests/test_escalation.py` |
| P1/P2 unassigned for 15 minutes: the incident manager; for 5 minutes: page the team's on-call | `defaults.RULES` ("unassigned") | `clock.checkpoints` (`unassigned_since`), `actions.notice`, `incidents.oncall.chain` | `tests/test_escalation.py`, `incidents/oncall/tests/test_oncall.py` |
| A page not acknowledged in time goes to the next in line, then to the managers | `Rotation.ack_minutes` | `incidents.oncall.chain.pass_on` | `incidents/oncall/tests/test_oncall.py` |
| Resolution breach routes to tier 2/3, raises priority or marks major, as the rule says | `models.EscalationPath`, `EscalationRule.action` | `actions.follow_up` (through the services) | `tests/test_escalation.py` |
| P1/P2 need a stakeholder update every 30 / 60 minutes; a missed one escalates | `SlaPolicy.update_minutes` | `clock.record_stakeholder_update`, `clock.checkpoints` | `tests/test_cadence.py` |
| A resolved incident closes itself after 3 business days unless reopened | `ITSM_AUTO_CLOSE_BUSINESS_DAYS` | `clock.auto_close_time`, `autoclose.close_if_due` | `tests/test_autoclose.py` |
| Every escalation fires once, whatever retries, duplicates or workers | `models.Escalation` (unique key) | `sweep.write_rows`, `sweep.sweep` (`skip_locked` batches) | `tests/test_escalation.py`, `tests/test_worker_sla.py` |
| The sweep runs every minute and costs what is due, not what is open | `itsm.settings.CELERY_BEAT_SCHEDULE` | `incidents.tasks.sla_sweep`, `sweep.due_batch` (`Incident.next_due_at`) | `tests/test_escalation.py` |
| Each person gets one e-mail for what one sweep fired about one incident | `models.Notification` | `incidents.notifications.deliver_notices` | `tests/test_escalation.py` |
| Apps above incidents sweep their own deadlines on the same beat (regulatory clocks at 50/75/100%) | `steps.STEPS` (registered from `ready()`) | `steps.run`, called by `sweep.sweep` | `response/tests/test_regulatory_sweep.py` |

`clock` keeps the stored clock on the incident (it never imports the services, which call it on
every save); `sweep` finds what is due and writes its rows; `actions` does what a fired rule says;
`autoclose` closes; `context` holds what one sweep looks up once; `defaults` seeds the SOP's values;
`steps` runs the due-steps that apps above incidents register.
"""
