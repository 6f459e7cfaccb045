"""The communication templates a new desk starts with, ensured after every migrate (and after a
test database is flushed), as the SLA defaults are. Seeded only while the table and its history
are both empty: a template an incident manager deleted is never brought back."""

from __future__ import annotations

from .models import Channel, Purpose

FOLLOW = "Follow it, or tell us it affects you too: {{ link }}"

TEMPLATES = [
    # name, purpose, channel, subject, body
    ("Initial notification (e-mail)", Purpose.INITIAL, Channel.EMAIL,
     "[{{ reference }}] We are investigating: {{ summary }}",
     "We are aware of a problem{% if service %} with {{ service }}{% endif %}: {{ summary }}.\n\n"
     "It was reported at {{ started }} and is being worked on with priority {{ priority }}."
     "{% if workaround %}\n\nIn the meantime: {{ workaround }}{% endif %}"
     "{% if next_update_due %}\n\nThe next update will follow by {{ next_update_due }}.{% endif %}\n\n" + FOLLOW),
    ("Status update (e-mail)", Purpose.UPDATE, Channel.EMAIL,
     "[{{ reference }}] Update: {{ summary }}",
     "An update on {{ summary }} ({{ state|lower }}).\n\n[What we know and what we are doing]"
     "{% if workaround %}\n\nIn the meantime: {{ workaround }}{% endif %}"
     "{% if next_update_due %}\n\nThe next update will follow by {{ next_update_due }}.{% endif %}\n\n" + FOLLOW),
    ("Resolution (e-mail)", Purpose.RESOLUTION, Channel.EMAIL,
     "[{{ reference }}] Resolved: {{ summary }}",
     "{{ summary }} is resolved{% if service %}; {{ service }} works normally again{% endif %}.\n\n"
     "[What happened and what was done]\n\nIf you still see the problem, reply to this e-mail: {{ link }}"),
    ("Security notice (e-mail)", Purpose.SECURITY, Channel.EMAIL,
     "[{{ reference }}] Security notice: {{ summary }}",
     "A security incident is being handled: {{ summary }} (priority {{ priority }}, reported {{ started }}).\n\n"
     "[What is known of the systems and data affected, and what was contained]\n\n"
     "Treat this notice as confidential. The incident: {{ link }}"),
    ("Notice to legal and compliance (e-mail)", Purpose.SECURITY, Channel.EMAIL,
     "[{{ reference }}] Security incident: notice to legal and compliance",
     "For your assessment: a security incident is being handled, {{ summary }} (priority {{ priority }}, "
     "reported {{ started }}, now {{ state|lower }}).\n\n"
     "[What data and whose may be affected; whether a regulator or the customers must be told, and by when]\n\n"
     "Confidential: do not forward. The incident: {{ link }}"),
    # Named to sort after "Status update (e-mail)", the update form's first choice.
    ("Update to affected customers (e-mail)", Purpose.UPDATE, Channel.EMAIL,
     "Important information about your account",
     "We are writing to tell you about a security incident that may affect you.\n\n"
     "[What happened, what information was involved, and what we have done]\n\n"
     "[What you should do: change your password, watch for unexpected messages]\n\n"
     "We are sorry for the trouble. Reply to this e-mail with any question."),
    ("Investigating (status page)", Purpose.INITIAL, Channel.STATUS_PAGE, "",
     "We are investigating a problem{% if service %} with {{ service }}{% endif %}: {{ summary }}."),
    ("Update (status page)", Purpose.UPDATE, Channel.STATUS_PAGE, "",
     "[What we know and what we are doing]{% if next_update_due %} Next update by {{ next_update_due }}.{% endif %}"),
    ("Resolved (status page)", Purpose.RESOLUTION, Channel.STATUS_PAGE, "",
     "This incident is resolved{% if service %}: {{ service }} works normally again{% endif %}."),
    ("Update (chat)", Purpose.UPDATE, Channel.CHAT, "",
     "{{ reference }} ({{ priority }}, {{ state|lower }}): {{ summary }}. {{ link }}"),
]


def ensure_templates(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate receiver."""
    from .models import Template

    if Template.objects.using(using).exists() or Template.history.using(using).exists():
        return
    Template.objects.using(using).bulk_create([
        Template(name=name, purpose=purpose, channel=channel, subject=subject, body=body)
        for name, purpose, channel, subject, body in TEMPLATES
    ])
