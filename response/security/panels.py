"""The security response on an incident's admin page (registered on `incidents.panels`): the
containment checklist with its tick buttons, the evidence with hashes and custody, the notices,
forensics and affected customers, with a form for each. Shown to whoever reads the incident's
whole record; the forms only to those who work on it."""

from __future__ import annotations

from django.template.loader import render_to_string

from . import forms, selectors, services


def admin_panel(request, incident) -> str:
    user = request.user
    if not services.may_read(user, incident):
        return ""
    services.ensure_steps(incident)  # the first time its page is opened after it became security
    record = selectors.security_record(incident)
    may_work = services.may_work(user, incident)
    context = {"incident": incident, "record": record, "may_work": may_work}
    if may_work:
        context.update({
            # One page, many forms with fields of the same name: ids of their own.
            "step_form": forms.StepForm(auto_id="sec_step_%s"),
            "file_form": forms.EvidenceFileForm(auto_id="sec_file_%s"),
            "note_form": forms.EvidenceNoteForm(auto_id="sec_note_%s"),
            "notice_form": forms.NoticeForm(auto_id="sec_notice_%s"),
            "forensics_form": forms.ForensicsForm(auto_id="sec_forensics_%s"),
            "customer_form": forms.CustomerForm(auto_id="sec_customer_%s"),
            "customer_update_form": forms.CustomerUpdateForm(auto_id="sec_update_%s"),
        })
    return render_to_string("response/security/panel.html", context, request=request)
