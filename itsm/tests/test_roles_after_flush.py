"""Every app grants its roles' permissions after every migrate, so a flushed database (each
transactional test's, or a role re-created by hand) keeps them: the knowledge base and reviews
granted theirs in a data migration only, and a demo seeded after a flush could not send a known
error for review."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from core.roles import DESK_AGENT, INCIDENT_MANAGER, RESOLVER


@pytest.mark.django_db(transaction=True)
def test_each_role_keeps_its_permissions_of_every_app_after_a_flush():
    call_command("flush", interactive=False, verbosity=0)

    def held(role: str) -> set[str]:
        return {f"{app}.{code}" for app, code in
                Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename")}

    for role in (DESK_AGENT, RESOLVER):
        assert {"knowledge_base.change_knownerror", "knowledge_base.change_article", "reviews.view_postincidentreview",
                "reviews.change_actionitem", "incidents.view_incident", "comms.add_update"} <= held(role), role
    manager = held(INCIDENT_MANAGER)
    assert {"knowledge_base.publish_knownerror", "knowledge_base.publish_article", "reviews.change_postincidentreview",
            "reviews.delete_actionitem", "intake.change_alertsource", "comms.change_template"} <= manager
