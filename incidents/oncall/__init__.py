"""On-call: who is on call (`rotation`), paging them (`paging`, the client and its task), passing an
unacknowledged page on to the next in line (`chain`), the acknowledgement link (`views`, `urls`),
and the shift handoff's briefing and note (`handoff`).
The SLA sweep pages through `chain`; nothing here imports the sweep."""
