"""Communication templates: untrusted text, rendered in a sandbox over the incident's public fields
only, refused at save when it cannot work, previewed before use, edited with history."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from jinja2 import TemplateError

from comms import rendering
from comms.models import Channel, Purpose, Template
from incidents.models import Service
from incidents.tests.factories import make_incident

pytestmark = pytest.mark.django_db


def template(body: str, subject: str = "[{{ reference }}] Update", channel: str = Channel.EMAIL) -> Template:
    return Template(name="t", purpose=Purpose.UPDATE, channel=channel, subject=subject, body=body)


def refusal(body: str, **kwargs) -> str:
    with pytest.raises(ValidationError) as refused:
        template(body, **kwargs).full_clean()
    return " ".join(" ".join(sentences) for sentences in refused.value.message_dict.values())


def test_a_status_update_renders_the_incidents_public_fields(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high",
                             summary="VPN drops every few minutes")
    incident.service = Service.objects.create(name="VPN")
    incident.workaround = "Use the browser portal."
    incident.save()
    update = template("{{ summary }} ({{ priority }}) on {{ service }} is {{ state|lower }}.\n"
                      "{% if workaround %}Meanwhile: {{ workaround }}{% endif %}\nFollow it: {{ link }}")
    update.full_clean()

    rendered = update.render(incident)

    assert rendered.subject == f"[{incident.reference}] Update"
    assert rendered.body.splitlines() == [
        "VPN drops every few minutes (P1 – Critical) on VPN is new.",
        "Meanwhile: Use the browser portal.",
        f"Follow it: {settings.ITSM_BASE_URL}{incident.get_absolute_url()}",
    ]


@pytest.mark.parametrize("escape", [
    "{{ reference.__class__ }}",
    "{{ reference.__class__.__mro__[1].__subclasses__() }}",
    "{{ summary.upper.__globals__ }}",
    "{{ ''.__class__ }}",
    "{{ config }}",
    "{{ settings.SECRET_KEY }}",
    "{{ request.user }}",
    "{{ self }}",
    "{{ lipsum(1000) }}",
    "{{ cycler(1) }}",
    "{{ namespace() }}",
    "{% for x in range(1000000) %}{{ x }}{% endfor %}",
    "{{ 'x' * 100000000 }}",
    "{{ 9 ** 9 ** 9 ** 9 }}",
    "{{ 2 ** 100000 }}",
    "{% macro m() %}{{ caller }}{% endmacro %}",
    "{% block b %}{% endblock %}",
    "{% include 'admin/base.html' %}",
    "{% import 'x' as y %}",
    "{{ summary|attr('__class__') }}",
    "{{ summary",
    "{% if %}",
])
def test_sandbox_escapes_and_broken_templates_are_refused_when_saved(escape):
    assert refusal(escape)


def test_an_unknown_variable_is_named_with_the_ones_that_exist():
    sentence = refusal("Dear {{ customer_name }}, {{ summary }}")
    assert "Unknown variable: customer_name." in sentence and "reference, summary, priority" in sentence


def test_a_syntax_error_names_its_line():
    assert "Line 2:" in refusal("Hello\n{% for %}")


def test_rendering_refuses_what_slipped_past_the_save_checks():
    with pytest.raises(TemplateError):
        rendering.render_text("{% for x in range(10**6) %}{% endfor %}", rendering.sample_context())
    with pytest.raises(TemplateError):
        rendering.render_text("{{ reference.__class__.__mro__ }}", rendering.sample_context())


def test_the_output_is_cut_at_its_limit():
    text = rendering.render_text("{% for x in range(100) %}{{ summary * 5 }}{% endfor %}", {"summary": "x" * 100})
    assert len(text) == rendering.MAX_OUTPUT


def test_an_email_template_needs_a_subject_and_other_channels_have_none():
    assert "needs a subject" in refusal("Body", subject="")
    assert "has no subject" in refusal("Body", subject="Hi", channel=Channel.STATUS_PAGE)
    template("We are investigating {{ summary }}.", subject="", channel=Channel.STATUS_PAGE).full_clean()


def test_a_subject_is_one_line_whatever_the_summary_holds(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category, summary="Mail down")
    rendered = template("x", subject="{{ summary }}\nBcc: attacker@example.com").render(incident)
    assert "\n" not in rendered.subject


# --- the admin ---------------------------------------------------------------------------------------
def test_a_manager_saves_a_template_and_each_change_is_in_its_history(client, manager):
    client.force_login(manager)
    add = reverse("admin:comms_template_add")
    data = {"name": "P1 update", "purpose": "update", "channel": "email", "active": "on",
            "subject": "[{{ reference }}] {{ summary }}", "body": "We are working on {{ summary }}."}
    assert client.post(add, data).status_code == 302
    saved = Template.objects.get(name="P1 update")
    change = reverse("admin:comms_template_change", args=[saved.pk])
    assert client.post(change, {**data, "body": "Still on it: {{ summary }}."}).status_code == 302
    assert saved.history.count() == 2 and saved.history.first().history_user == manager


def test_the_admin_refuses_a_broken_template_and_keeps_what_was_typed(client, manager):
    client.force_login(manager)
    body = "Dear {{ customer }}, this took us a while to write."
    page = client.post(reverse("admin:comms_template_add"), {
        "name": "Broken", "purpose": "update", "channel": "email", "subject": "Hi", "body": body})
    assert page.status_code == 200
    assert "Unknown variable: customer." in page.content.decode()
    assert page.context["adminform"].form["body"].value() == body
    assert not Template.objects.filter(name="Broken").exists()


def test_the_preview_shows_the_text_for_an_incident_the_user_may_see(client, agent, manager, reporter,
                                                                     network_category):
    saved = Template.objects.create(name="Update", purpose="update", channel="email", subject="[{{ reference }}]",
                                    body="{{ summary }} is {{ state|lower }}.")
    incident = make_incident(reporter=reporter, category=network_category, summary="Printer jams")
    secret = make_incident(reporter=reporter, category=network_category, summary="Badge cloning")
    type(secret).objects.filter(pk=secret.pk).update(confidential=True)
    preview = reverse("admin:comms_template_preview", args=[saved.pk])
    client.force_login(agent)

    page = client.get(preview, {"incident": incident.reference}).content.decode()
    assert "Printer jams is new." in page and f"[{incident.reference}]" in page

    page = client.get(preview, {"incident": secret.reference}).content.decode()
    assert "Badge cloning" not in page and "showing the sample" in page
    assert "E-mail cannot be sent from Outlook is in progress." in client.get(preview).content.decode()


def test_only_incident_managers_change_templates(client, agent):
    saved = Template.objects.create(name="Update", purpose="update", channel="chat", body="{{ summary }}")
    before = Template.objects.count()
    client.force_login(agent)
    assert client.get(reverse("admin:comms_template_change", args=[saved.pk])).status_code == 200  # to read
    client.post(reverse("admin:comms_template_change", args=[saved.pk]),
                {"name": "Mine", "purpose": "update", "channel": "chat", "body": "x"})
    assert Template.objects.get(pk=saved.pk).name == "Update" and Template.objects.count() == before
    assert client.get(reverse("admin:comms_template_add")).status_code == 403


def test_the_default_templates_are_there_and_each_is_valid():
    from comms.defaults import TEMPLATES

    assert Template.objects.count() == len(TEMPLATES)
    for saved in Template.objects.all():
        saved.full_clean()
        assert saved.render(rendering.sample_context()).body


def test_the_template_list_costs_the_same_queries_for_1_and_50_templates(client, manager):
    from core.tests.api_support import assert_constant_queries, count_queries

    Template.objects.all().delete()
    Template.objects.create(name="T0", purpose="update", channel="chat", body="{{ summary }}")
    client.force_login(manager)
    url = reverse("admin:comms_template_changelist")
    one, _ = count_queries(lambda: client.get(url))
    Template.objects.bulk_create(Template(name=f"T{n}", purpose="update", channel="chat", body="{{ summary }}")
                                 for n in range(1, 50))
    many, response = count_queries(lambda: client.get(url))
    assert len(response.context["cl"].result_list) == 50
    assert_constant_queries("admin.comms.templates", one, many)
