"""No edit is lost: every write to an incident locks the row, and a form's save takes only the
fields it changed onto the row as it stands. A copy loaded before an assignment, a reply or an SLA
sweep used to put the old assignee back and erase the stakeholder update when saved."""

from __future__ import annotations

import multiprocessing
import random
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from incidents import roles, services
from incidents.models import Incident
from incidents.sla import sweep as sla_sweep

from .factories import UserFactory, make_incident

ROUNDS = 100


@pytest.mark.django_db
def test_a_stale_copy_keeps_the_assignment_and_the_stakeholder_update_made_since(
    reporter, agent, resolver, network_category
):
    incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high")
    stale = Incident.objects.get(pk=incident.pk)  # an edit form opened now
    services.incident_assign(incident=incident.pk, user=agent, assignee=resolver)
    services.comment_add(incident=incident, author=agent, body="We are on it.", public=True)
    replied = Incident.objects.get(pk=incident.pk).last_update_at
    assert replied is not None
    stale.summary = "VPN down for the whole sales floor"
    services.incident_save_edits(incident=stale, user=agent, changed={"summary"})
    saved = Incident.objects.get(pk=incident.pk)
    assert saved.summary == "VPN down for the whole sales floor"
    assert saved.assignee == resolver
    assert saved.last_update_at == replied and saved.update_due_at is not None


@pytest.mark.django_db
def test_a_reply_committed_just_before_an_admin_save_survives_it(client, agent, reporter, network_category,
                                                                 monkeypatch):
    """The reply lands between the admin loading the row for the POST and saving it (a clock write
    bumps no version, so the form's version check cannot see it)."""
    incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high")
    # The first public reply is the first response (a save); the next ones are clock writes alone.
    services.comment_add(incident=incident, author=agent, body="Looking into it.", public=True)
    client.force_login(agent)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["summary"] = "Reworded by the desk"
    real_save_edits = services.incident_save_edits

    def a_reply_lands_first(**kwargs):
        services.comment_add(incident=Incident.objects.get(pk=incident.pk), author=agent,
                             body="Restarted the concentrator.", public=True)
        return real_save_edits(**kwargs)

    monkeypatch.setattr(services, "incident_save_edits", a_reply_lands_first)
    response = client.post(reverse("admin:incidents_incident_change", args=[incident.pk]), data)
    assert response.status_code == 302
    saved = Incident.objects.get(pk=incident.pk)
    last_reply = saved.comments.order_by("-created_at", "-pk").first()
    assert last_reply.body == "Restarted the concentrator."
    assert saved.summary == "Reworded by the desk" and saved.last_update_at == last_reply.created_at


# --- the same, with four processes at once on PostgreSQL ------------------------------------------
def _editor(pk: int, agent_pk: int, errors) -> None:
    agent = UserFactory._meta.model.objects.get(pk=agent_pk)
    for i in range(ROUNDS):
        stale = Incident.objects.get(pk=pk)
        time.sleep(random.uniform(0, 0.01))  # the time a person spends on the form
        stale.summary = f"edit {i}"
        services.incident_save_edits(incident=stale, user=agent, changed={"summary"})


def _assigner(pk: int, agent_pk: int, resolver_pks: list[int], errors) -> None:
    User = UserFactory._meta.model
    agent = User.objects.get(pk=agent_pk)
    people = [User.objects.get(pk=p) for p in resolver_pks]
    for i in range(ROUNDS):
        services.incident_assign(incident=pk, user=agent, assignee=people[i % 2])


def _replier(pk: int, agent_pk: int, errors) -> None:
    agent = UserFactory._meta.model.objects.get(pk=agent_pk)
    for i in range(ROUNDS):
        services.comment_add(incident=Incident.objects.get(pk=pk), author=agent, body=f"update {i}", public=True)


def _sweeper(pk: int, errors) -> None:
    for _ in range(ROUNDS):
        Incident.objects.filter(pk=pk).update(next_due_at=timezone.now())
        sla_sweep.sweep()


def _run(target, *args) -> None:
    """In a forked process: a connection of its own, and the exit code says whether it failed."""
    connections.close_all()
    try:
        target(*args, None)
    except BaseException:
        import traceback

        traceback.print_exc()
        raise SystemExit(1) from None
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_edit_assign_reply_and_sweep_at_once_lose_no_field(require_postgres, reporter, agent, network_team,
                                                           network_category):
    first, second = (UserFactory(username=n, role=roles.RESOLVER, team=network_team) for n in ("ann", "ben"))
    incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high")
    # Its response target passed an hour ago: the first sweep marks the breach, with update().
    Incident.objects.filter(pk=incident.pk).update(respond_by=timezone.now() - timedelta(hours=1))
    connections.close_all()
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_run, args=(_editor, incident.pk, agent.pk)),
        context.Process(target=_run, args=(_assigner, incident.pk, agent.pk, [first.pk, second.pk])),
        context.Process(target=_run, args=(_replier, incident.pk, agent.pk)),
        context.Process(target=_run, args=(_sweeper, incident.pk)),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]

    saved = Incident.objects.get(pk=incident.pk)
    last_reply = saved.comments.order_by("-created_at", "-pk").first()
    assert saved.summary == f"edit {ROUNDS - 1}"
    assert saved.assignee == (first, second)[(ROUNDS - 1) % 2]
    assert saved.last_update_at is not None and saved.last_update_at >= last_reply.created_at
    assert saved.response_breached
    # No edit put back an older assignee, nor an older stakeholder update: each edit's history row
    # holds what the row before it held.
    rows = list(saved.history.order_by("history_id").values("history_change_reason", "assignee_id", "last_update_at"))
    for before, after in zip(rows, rows[1:], strict=False):
        if after["history_change_reason"] == "Edited summary":
            assert after["assignee_id"] == before["assignee_id"]
            if before["last_update_at"] is not None:
                assert after["last_update_at"] is not None and after["last_update_at"] >= before["last_update_at"]
    assert sum(row["history_change_reason"] == "Edited summary" for row in rows) == ROUNDS
