"""Comments through the API: public replies and internal work notes. The reporter reads and writes
public replies only; those who work on the incident write either; whoever may not see the incident
gets 404 for its comments too. Every comment is written by `services.comment_add`."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.tests.api_support import EVERYONE, STAFF, EndpointContract, assert_error
from incidents import services
from incidents.models import Comment, Incident

from .factories import CategoryFactory, make_incident

URL = "/api/v1/incidents/"


def comments_url(incident: Incident) -> str:
    return f"{URL}{incident.reference}/comments/"


class CommentContract(EndpointContract):
    """Comments of an incident made for the contract; `public` says which kind `make` writes."""

    public = True
    confidential = False
    writers = frozenset({"reporter", "desk_agent", "team_resolver", "incident_manager"})

    def incident(self, actors) -> Incident:
        if not hasattr(self, "_incident"):
            category = CategoryFactory(name="Security" if self.confidential else "Network",
                                       default_team=actors.team, confidential=self.confidential)
            self._incident = make_incident(reporter=actors["reporter"], category=category)
        return self._incident

    @property
    def list_url(self) -> str:
        return comments_url(self._incident)

    def make(self, actors):
        return services.comment_add(incident=self.incident(actors), author=actors["team_resolver"],
                                    body="We are replacing the switch.", public=self.public)

    def detail_url(self, obj) -> str:
        return f"{self.list_url}{obj.pk}/"

    def create_data(self, actors) -> dict:
        self.incident(actors)
        return {"body": "Any news?"}


class TestPublicCommentContract(CommentContract):
    readers = EVERYONE - {"other_reporter"}
    creators = CommentContract.writers
    list_not_found = frozenset({"other_reporter"})


class TestWorkNoteContract(CommentContract):
    """A work note: staff who see the incident read it; its reporter does not (404 for the note)."""

    public = False
    readers = STAFF
    creators = CommentContract.writers
    list_not_found = frozenset({"other_reporter"})


class TestConfidentialWorkNoteContract(CommentContract):
    public = False
    confidential = True
    readers = frozenset({"team_resolver", "incident_manager"})
    creators = frozenset({"reporter", "team_resolver", "incident_manager"})
    list_not_found = frozenset({"other_reporter", "desk_agent", "other_resolver"})


# --- behaviour -------------------------------------------------------------------------------------
@pytest.fixture
def incident(actors):
    return make_incident(reporter=actors["reporter"], category=CategoryFactory(name="Network",
                                                                                default_team=actors.team))


def bodies(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["body"] for row in response.json()["results"]]


def test_reporter_sees_public_replies_but_never_work_notes(actors, incident):
    services.comment_add(incident=incident, author=actors["team_resolver"], body="Switch looks dead", public=False)
    services.comment_add(incident=incident, author=actors["team_resolver"], body="We are on it", public=True)
    assert bodies(actors.client("reporter").get(comments_url(incident))) == ["We are on it"]
    assert bodies(actors.client("other_resolver").get(comments_url(incident))) == ["Switch looks dead",
                                                                                    "We are on it"]


def test_a_reporters_comment_is_a_public_reply(actors, incident):
    response = actors.client("reporter").post(comments_url(incident), {"body": "It happens again"})
    assert response.status_code == 201
    assert response.json()["public"] is True and response.json()["author"]["username"] == "rita"
    assert response["Location"] == f"{comments_url(incident)}{response.json()['id']}/"


def test_a_reporter_asking_for_a_work_note_is_403(actors, incident):
    response = actors.client("reporter").post(comments_url(incident), {"body": "Secret", "public": False})
    assert_error(response, 403, "permission_denied")
    assert not Comment.objects.exists()


def test_staff_write_a_work_note_unless_they_say_public(actors, incident):
    client = actors.client("team_resolver")
    note = client.post(comments_url(incident), {"body": "Checked the logs"})
    reply = client.post(comments_url(incident), {"body": "Fixed soon", "public": True})
    assert (note.json()["public"], reply.json()["public"]) == (False, True)


def test_a_public_reply_from_the_desk_is_the_first_response(actors, incident):
    actors.client("team_resolver").post(comments_url(incident), {"body": "Looking at it", "public": True})
    incident.refresh_from_db()
    assert incident.responded_at is not None


def test_a_resolver_of_another_team_reads_but_does_not_comment(actors, incident):
    response = actors.client("other_resolver").post(comments_url(incident), {"body": "Drive-by"})
    assert_error(response, 403, "permission_denied")


def test_the_reporter_cannot_comment_on_a_closed_incident(actors, incident):
    services.transition(incident=incident, user=actors["desk_agent"], name="cancel")
    response = actors.client("reporter").post(comments_url(incident), {"body": "Wait, it is back"})
    assert "report a new incident" in assert_error(response, 409, "refused")["detail"]


def test_an_empty_comment_is_400(actors, incident):
    assert "body" in assert_error(actors.client("reporter").post(comments_url(incident), {"body": ""}),
                                  400, "invalid")["errors"]


def test_a_comment_carries_its_files(actors, incident):
    response = actors.client("reporter").post(comments_url(incident), {
        "body": "Here is the log", "files": [SimpleUploadedFile("vpn.log", b"error 809\n")]}, format="multipart")
    assert response.status_code == 201, response.content
    [attached] = response.json()["attachments"]
    assert attached["name"] == "vpn.log" and attached["public"] is True
    assert attached["download"].endswith(f"/attachments/{attached['id']}/download/")


def test_a_comment_with_an_executable_is_400_and_nothing_is_written(actors, incident):
    response = actors.client("reporter").post(comments_url(incident), {
        "body": "Run this", "files": [SimpleUploadedFile("fix.exe", b"MZ\x90\x00")]}, format="multipart")
    assert "not accepted" in assert_error(response, 400, "invalid")["detail"]
    assert not Comment.objects.exists()


def test_comments_are_listed_oldest_first_a_page_at_a_time(actors, incident):
    for n in range(5):
        services.comment_add(incident=incident, author=actors["reporter"], body=f"Reply {n}", public=True)
    client = actors.client("desk_agent")
    first = client.get(comments_url(incident), {"page_size": 3})
    second = client.get(first.json()["next"])
    assert bodies(first) + bodies(second) == [f"Reply {n}" for n in range(5)]


def test_a_comment_is_addressed_under_its_own_incident_only(actors, incident):
    other = make_incident(reporter=actors["reporter"])
    comment = services.comment_add(incident=other, author=actors["reporter"], body="Elsewhere", public=True)
    assert_error(actors.client("desk_agent").get(f"{comments_url(incident)}{comment.pk}/"), 404)


def test_comments_are_not_edited_or_deleted(actors, incident):
    comment = services.comment_add(incident=incident, author=actors["reporter"], body="Mine", public=True)
    client = actors.client("reporter")
    assert client.patch(f"{comments_url(incident)}{comment.pk}/", {"body": "Changed"}).status_code == 405
    assert client.delete(f"{comments_url(incident)}{comment.pk}/").status_code == 405


def test_something_that_is_not_a_file_is_400_in_the_one_error_shape(actors, incident):
    response = actors.client("reporter").post(comments_url(incident), {"body": "Log", "files": ["not a file"]})
    errors = assert_error(response, 400, "invalid")["errors"]
    assert errors["files"] == ["File 1: The submitted data was not a file. Check the encoding type on the form."]


def test_staff_who_reported_a_confidential_incident_read_it_as_its_reporter(actors):
    # A resolver of another team clicked a phishing mail: the security team's notes are not theirs.
    security = CategoryFactory(name="Security", default_team=actors.team, confidential=True)
    clicked = make_incident(reporter=actors["other_resolver"], category=security, summary="I clicked a link")
    services.comment_add(incident=clicked, author=actors["team_resolver"], body="Check their mailbox rules",
                         public=False)
    services.comment_add(incident=clicked, author=actors["team_resolver"], body="Please change your password",
                         public=True)
    assert bodies(actors.client("other_resolver").get(comments_url(clicked))) == ["Please change your password"]
    assert bodies(actors.client("team_resolver").get(comments_url(clicked))) == ["Check their mailbox rules",
                                                                                 "Please change your password"]
    timeline = actors.client("other_resolver").get(f"{URL}{clicked.reference}/timeline/").json()
    assert "Check their mailbox rules" not in str(timeline)
