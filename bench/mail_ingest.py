"""Benchmark 8: e-mail intake. Raw messages piped to /api/v1/intake/email/ through gunicorn.

gunicorn runs the project (bench settings, 2 sync workers) on 127.0.0.1; `bench.loadgen`, in its
own process, posts raw RFC 822 messages (`Content-Type: message/rfc822`, a text and an HTML part as
mail clients send them) with the tokens of one pipe mailbox (one token a connection, issued for
the run), all connections at once, each message with a Message-ID of its own. Two loads take turns
in alternating halves (one round below BENCH_SCALE=0.01), each against its ceiling:

- new messages, from SENDERS of the data set's reporters (known addresses): each opens an incident
  (201, outcome `opened`);
- replies, `Re: [INC-000123] ...` in the subject with the quoted history under the text, from the
  reporters of REPLY_TARGETS incidents the slot opened by mail beforehand: each is a public reply
  on its incident (201, outcome `commented`).

The ceiling, `bench/intake/email/` (`bench.intake_views`), sits behind the same middleware, token
authentication, throttle and raw-message parser, finds the mailbox as the endpoint does, reads the
Message-ID and subject with a regular expression instead of parsing the message, and writes only
the rows: the message's record, and a bare incident's rows (new) or a comment and its event
(reply). No MIME parsing, loop or rate checks, sender lookup, reply cutting, raw file or
classification. No target is set for e-mail (the issue asks for the figure); the ratio is reported.

Two limits are raised for this server, as the throttles are for the API loads: the intake token's
rate (ITSM_INTAKE_THROTTLE, as for alerts) and a sender's hourly budget (ITSM_MAIL_RATE_PER_HOUR,
30 by default: twenty senders at full speed pass it within seconds, and the rest would be measured
as refusals). Both checks still run on every message. Everything the run writes (records, their raw files,
incidents and their replies, the mailbox, its account and tokens) is deleted afterwards.
"""

from __future__ import annotations

import json
import os
import uuid
from email.message import EmailMessage
from email.utils import format_datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import roles
from incidents.models import Incident
from intake.accounts import service_account
from intake.models import InboundMessage, Mailbox, MailboxKind, MessageOutcome, UnknownSenders

from .alert_ingest import rounds
from .api_load import UNTHROTTLED, api_keys, server_environment
from .config import Config
from .loadgen import KEY
from .pages import url_or_none
from .portal_load import WORKERS, _clean_up, combine, gunicorn, load, log
from .report import figure

URL = "/api/v1/intake/email/"
BARE = "/bench/intake/email/"
RFC822 = "message/rfc822"
DESK = "servicedesk@bench.example.com"
SENDERS = 20
REPLY_TARGETS = 20
UNLIMITED = "1000000"
SUBJECTS = ["VPN drops every ten minutes", "Cannot print to the 3rd floor printer",
            "Outlook keeps asking for my password", "Laptop very slow since the update"]
TEXT = ("Hello,\n\nsince this morning the VPN disconnects every ten minutes and I have to log in again. "
        "I restarted the laptop twice; the same happens at home and in the office.\n\nRegards,\n{name}\n")
REPLY = ("Thanks, it works again since the restart you suggested.\n\n{name}\n\n"
         "On Tue, 1 Dec 2026 at 10:00, Service Desk <" + DESK + "> wrote:\n"
         "> We received your message and opened {reference}.\n> Reply to this e-mail to add to it.\n")


def built() -> bool:
    return url_or_none("intake-email-list") is not None and url_or_none("bench_intake_email") is not None


def message(person, subject: str, text: str, message_id: str) -> str:
    """A raw message as a mail client sends it: a text part and the same text as HTML."""
    mail = EmailMessage()
    mail["From"] = f"{person.get_full_name() or person.username} <{person.email}>"
    mail["To"] = DESK
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = message_id
    mail.set_content(text)
    html = "".join(f"<p>{line}</p>" for line in text.split("\n\n"))
    mail.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
    return mail.as_string()


def item(raw: str, outcome: str, label: str) -> dict:
    return {"body": raw, "status": 201, "label": label, "expect": {"outcome": outcome, "duplicate": False}}


class Poster:
    """Raw messages POSTed in-process with one key, the queries of each counted."""

    def __init__(self, key: str) -> None:
        self.client, self.key = Client(), key

    def __call__(self, path: str, raw: str, outcome: str) -> tuple[dict, int]:
        with CaptureQueriesContext(connection) as captured:
            response = self.client.post(path, raw.encode(), content_type=RFC822, HTTP_AUTHORIZATION=f"Bearer {self.key}")
        if response.status_code != 201 or response.json().get("outcome") != outcome:
            raise AssertionError(f"POST {path} answered {response.status_code}, not 201 {outcome}: "
                                 f"{response.content[:300]!r}")
        return response.json(), len(captured.captured_queries)


def senders(count: int) -> list:
    people = list(get_user_model().objects.filter(groups__name=roles.REPORTER, is_active=True)
                  .exclude(email="").order_by("pk")[:count])
    if not people:
        raise AssertionError("the data set has no reporters with an address")
    return people


def mail_ingest(config: Config) -> dict:
    if not built():
        return {"status": "not built yet", "note": "the intake has no raw-message endpoint", "figures": []}
    run = uuid.uuid4().hex[:8]
    last_incident = Incident.objects.aggregate(m=Max("pk"))["m"] or 0
    account = service_account("mail", f"bench {run}")
    mailbox = Mailbox.objects.create(name=f"bench mail ingest {run}", kind=MailboxKind.PIPE, address=DESK,
                                     unknown_senders=UnknownSenders.REFUSE, service_user=account)
    bodies_file = config.data_dir / f"mail-bodies-{os.getpid()}.json"
    people = senders(max(SENDERS, REPLY_TARGETS))
    try:
        with api_keys([account] * config.concurrency, config.data_dir) as (key_file, keys):
            post = Poster(keys[0])
            new = [item(message(person, SUBJECTS[n % len(SUBJECTS)], TEXT.format(name=person.first_name),
                                f"<{KEY}@mail.bench.example>"), MessageOutcome.OPENED, "new")
                   for n, person in enumerate(people[:SENDERS])]
            replies, queries = [], {}
            for n, person in enumerate(people[:REPLY_TARGETS]):  # the incidents the replies answer
                subject = SUBJECTS[n % len(SUBJECTS)]
                opened, queries["new"] = post(URL, new[n]["body"].replace(KEY, f"{run}-open-{n}"),
                                              MessageOutcome.OPENED)
                reference = opened["incident"]
                replies.append(item(message(person, f"Re: [{reference}] {subject}",
                                            REPLY.format(name=person.first_name, reference=reference),
                                            f"<{KEY}@mail.bench.example>"), MessageOutcome.COMMENTED, "reply"))
            for path in (URL, BARE):  # a reply of each, counted after a first one
                for attempt in ("warm-up", "counted"):
                    _, queries[f"{path} reply"] = post(path, replies[0]["body"].replace(KEY, f"{run}-{attempt}{path}"),
                                                       MessageOutcome.COMMENTED)
            _, queries["bare new"] = post(BARE, new[1]["body"].replace(KEY, f"{run}-bare"), MessageOutcome.OPENED)
            bodies_file.write_text(json.dumps({
                "new": {"content_type": RFC822, "items": new}, "reply": {"content_type": RFC822, "items": replies},
            }))
            phases = {"new": f"api-send:new:{URL}", "bare new": f"api-send:new:{BARE}",
                      "reply": f"api-send:reply:{URL}", "bare reply": f"api-send:reply:{BARE}"}
            with server_environment(ITSM_INTAKE_THROTTLE=UNTHROTTLED, ITSM_MAIL_RATE_PER_HOUR=UNLIMITED), \
                    gunicorn() as base:
                log(f"{config.concurrency} tokens of one pipe mailbox on {base}: new messages from {SENDERS} "
                    f"reporters, replies on {REPLY_TARGETS} incidents; {', '.join(phases)} in turn: "
                    f"{rounds(config)} x {config.duration / 2:g} s each ...")
                result = load(base, phases, [], "", config.duration / 2, rounds=rounds(config), token_file=key_file,
                              bodies_file=bodies_file)
    finally:
        bodies_file.unlink(missing_ok=True)
        rows = InboundMessage.objects.filter(mailbox=mailbox)
        outcomes = dict(rows.values("outcome").annotate(n=Count("pk")).values_list("outcome", "n"))
        received = rows.count()
        for row in rows.exclude(raw="").only("raw").iterator():
            row.raw.delete(save=False)
        rows.delete()
        created = _clean_up(last_incident)
        mailbox.delete()
        account.delete()
    m = {name: combine(runs) for name, runs in result["phases"].items()}
    log(f"messages/s: new {m['new']['rps']:.1f} (bare {m['bare new']['rps']:.1f}), replies {m['reply']['rps']:.1f} "
        f"(bare {m['bare reply']['rps']:.1f}); {received} received, {created} incidents opened and deleted")
    figures = []
    for label, name in (("new messages", "new"), ("replies", "reply")):
        mine, bare = m[name], m[f"bare {name}"]
        figures += [
            figure(f"{label}/s ({config.concurrency} connections)", mine["rps"], "messages/s",
                   ceiling=f"bare view {label}/s (the rows only)", ceiling_value=bare["rps"], higher_is_better=True),
            figure(f"{label} p50", mine["p50_ms"], "ms", ceiling="bare view p50", ceiling_value=bare["p50_ms"]),
            figure(f"{label} p95", mine["p95_ms"], "ms", ceiling="bare view p95", ceiling_value=bare["p95_ms"]),
        ]
    figures += [
        figure("queries per new message", queries["new"], "queries", ceiling="bare view queries",
               ceiling_value=queries["bare new"]),
        figure("queries per reply", queries[f"{URL} reply"], "queries", ceiling="bare view queries",
               ceiling_value=queries[f"{BARE} reply"]),
        figure("messages measured", m["new"]["requests"] + m["reply"]["requests"], "messages",
               ceiling="bare view messages", ceiling_value=m["bare new"]["requests"] + m["bare reply"]["requests"]),
    ]
    return {"status": "ok", "figures": figures, "workers": WORKERS, "connections": config.concurrency,
            "outcomes": outcomes}
