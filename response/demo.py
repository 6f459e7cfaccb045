"""The major incident of the demo (`manage.py seed_demo`): the VPN outage that every remote worker
hits, declared major by maria with dana as its communications lead, and the two reports of the same
outage that came in on their own linked under it (so that resolving it resolves them).

Through the services, as maria. Idempotent: an outage already declared is left as it is.
"""

from __future__ import annotations

from incidents import major
from incidents.models import Incident

COMMANDER = "maria"
COMMS_LEAD = "dana"
MAJOR_SUMMARY = "VPN down for all remote staff since 08:00"
REASON = "Every remote worker is cut off: the VPN gateway is unreachable"
CHILD_SUMMARIES = (
    "Teams calls drop every few minutes when working from home",
    "VPN connects but no internal sites load",
)


def seed(org) -> int:
    """Declare the demo's major incident and link its children. Returns 1 when it did, 0 when it
    was there already (or the stories are missing)."""
    outage = Incident.objects.filter(summary=MAJOR_SUMMARY).order_by("pk").first()
    if outage is None or outage.is_major:
        return 0
    maria, dana = org.users[COMMANDER], org.users[COMMS_LEAD]
    outage = major.declare(incident=outage, user=maria, reason=REASON, comms_lead=dana)
    for summary in CHILD_SUMMARIES:
        child = Incident.objects.filter(summary=summary).order_by("pk").first()
        if child is not None:
            major.link_child(parent=outage, child=child, user=maria)
    return 1


# --- the security incident in progress ------------------------------------------------------------
# A phishing story worked by the Security team (sam and sofia): part of its containment checklist
# ticked, a file and a note kept as evidence with their custody, a notice to legal. (Its GDPR clock
# is the regulatory clocks' demo.)
SECURITY_SUMMARY = "Phishing: credentials entered on a fake login page"
SECURITY_DESCRIPTION = ("An e-mail 'from IT' asked me to re-validate my mailbox; I typed my password on the page it "
                        "linked to. The address bar said micros0ft-login.example.")
PROXY_LOG = (
    "2026-12-01T08:52:11Z rita GET https://micros0ft-login.example/owa 200\n"
    "2026-12-01T08:52:40Z rita POST https://micros0ft-login.example/owa/auth 302\n"
    "2026-12-01T09:05:03Z rita(203.0.113.7) IMAP LOGIN ok - not rita's device\n"
)
TICKED = (("sam", "Mailbox session revoked; rita's laptop taken off the network."),
          ("sofia", "Password reset and MFA re-enrolled; app passwords revoked."),
          ("sam", "Proxy and mailbox audit logs exported before rotation."))


def seed_security(org) -> int:
    """The security incident in progress. Returns 1 when it was created, 0 when it was there already."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from comms.models import Template
    from incidents import services as incidents
    from incidents.models import Category, Team

    from .models import NoticeRecipient, NoticeRole
    from .security import services as security

    if Incident.objects.filter(summary=SECURITY_SUMMARY).exists():
        return 0
    # The demo's Security team and category are the security ones (an administrator's ticks).
    for config in (Team.objects.filter(name="Security").first(), Category.objects.filter(name="Security").first()):
        if config is not None and not config.security:
            config.security = True
            config.save()
    category = Category.objects.filter(name="Security").first()
    if category is None:
        return 0
    # Fresh rows: the seeded users carry their teams' flags as read before the ticks above.
    people = {user.username: user for user in get_user_model().objects.filter(username__in=["sam", "sofia", "maria"])}
    sam, sofia, maria = people["sam"], people["sofia"], people["maria"]
    if not NoticeRecipient.objects.filter(role=NoticeRole.LEGAL).exists():
        NoticeRecipient.objects.create(role=NoticeRole.LEGAL, name="Legal department", email="legal@example.com")
        NoticeRecipient.objects.create(role=NoticeRole.COMPLIANCE, name="Data protection officer",
                                       email="dpo@example.com")
    incident = incidents.incident_create(reporter=org.users["rita"], summary=SECURITY_SUMMARY,
                                         description=SECURITY_DESCRIPTION, category=category,
                                         impact="high", urgency="high")
    incident = incidents.transition(incident=incident, user=sam, name="claim")
    security.ensure_steps(incident)
    steps = list(incident.containment_steps.order_by("position"))
    for step, (who, note) in zip(steps, TICKED, strict=False):
        security.tick(incident=incident, step_id=step.pk, user=people[who], note=note)
    log = security.collect_file(incident=incident, user=sam, title="Web proxy log of the fake login",
                                upload=SimpleUploadedFile("proxy.log", PROXY_LOG.encode(), "text/plain"),
                                description="Exported from the proxy for 08:45-09:15 UTC.")
    security.collect_note(incident=incident, user=sofia, title="Call with Rita",
                          note="Rita received the mail at 08:50, clicked at 08:52 and typed her password; she did "
                               "not approve any MFA prompt. She forwarded the mail to the desk at 09:10.")
    security.hand_over(evidence=log, user=sam, to="Sofia Silva", reason="Sign-in log correlation")
    template = Template.objects.filter(name="Notice to legal and compliance (e-mail)").first()
    if template is not None:
        security.send_notice(incident=incident, user=maria, role=NoticeRole.LEGAL, template=template,
                             note="One mailbox was read from an outside address for about ten minutes.")
    security.add_customer(incident=incident, user=sofia, name="Acme Ltd (rita's customer thread)",
                          email="security@acme.example")
    return 1


# --- the GDPR clock of the security incident ------------------------------------------------------
# A mailbox read from outside is a personal data breach: maria applies the GDPR clock, aware since
# Rita's forwarded mail reached the desk, an hour and a half before the incident was logged.
AWARE_BEFORE_OPENING_MINUTES = 90


def seed_regulatory(org) -> int:
    """The GDPR clock on the demo's security incident (found by its summary). Returns 1 when it was
    started, 0 when it was there already or the incident is missing."""
    from datetime import timedelta

    from .models import Regulation
    from .regulatory import services as regulatory

    incident = Incident.objects.filter(summary=SECURITY_SUMMARY).order_by("pk").first()
    if incident is None or incident.regulatory_clocks.filter(regulation__code="gdpr").exists():
        return 0
    regulatory.apply_clock(incident=incident, user=org.users[COMMANDER], regulation=Regulation.objects.get(code="gdpr"),
                           aware_at=incident.opened_at - timedelta(minutes=AWARE_BEFORE_OPENING_MINUTES))
    return 1
