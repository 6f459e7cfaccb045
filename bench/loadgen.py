"""A small HTTP load generator: `python -m bench.loadgen --base http://127.0.0.1:PORT ...`.

It runs in its own process (never in the server's) with one thread and one keep-alive connection
per simulated user. Each user logs in through the real login form, reads the report form for its
CSRF token and choices, then submits to each phase's path in turn, every user at once, for a fixed
time per phase. A phase given as `name=FORM>POST` submits as a browser does: it GETs the form page
(its CSRF token and one-time submission key), then POSTs it (multipart); the time of a submission is
both requests. A phase given as `name=POST` only posts, and `name=get:PATH` only reads a page (a
list, as an agent does).

With `--token-file` (one API key a line, one user each) the users log in with nothing: every
request carries `Authorization: Bearer <key>`, and the phases are the API's: `name=api-get:PATH`
reads (JSON), `name=api-post:PATH` opens one incident a request (a JSON body, a new
`Idempotency-Key` each time; 201 is a success).

With `--bodies FILE` (a JSON object of named sets, written by the benchmark), a phase given as
`name=api-send:SET:PATH` posts the bodies of that set in turn, request k the set's item
k mod its length, with `__KEY__` replaced by a key new to each request (a new alert group, a new
Message-ID). An item says which status and which fields of the JSON answer count as a success
(`"expect": {"opened": false}`: a repeat that opened an incident is an error), how many units it
carries (alerts in a notification) and its label (its latencies are also reported by label).

It prints one JSON line: per phase the submissions, errors, elapsed time, latencies (and the
GETs' own, or each label's), and its own peak memory. It imports nothing from Django, so it
measures the server and not itself.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import re
import resource
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission" value="([^"]*)"|value="([^"]*)" name="submission"')
SELECT = re.compile(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', re.DOTALL)
OPTION = re.compile(r'<option value="([^"]+)"')
RADIO = re.compile(r'<input[^>]*type="radio"[^>]*>')
ATTR = re.compile(r'(name|value)="([^"]*)"')


class Session:
    """One user: a keep-alive connection and a cookie jar."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.headers = dict(headers or {})  # sent with every request (an API key)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = {**self.headers, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection; open a new one once.
                self.conn.close()
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, response.headers.get("Location", ""), text

    def login(self, username: str, password: str) -> None:
        status, _, page = self.request("GET", "/accounts/login/")
        token = TOKEN.search(page)
        if status != 200 or not token:
            raise RuntimeError(f"login page answered {status} without a CSRF token")
        body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)})
        status, location, _ = self.request("POST", "/accounts/login/", body.encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "Referer": "http://127.0.0.1/accounts/login/"})
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} failed ({status})")


def form_choices(page: str) -> dict[str, list[str]]:
    """The non-empty choices of each select and radio group of a form page."""
    choices: dict[str, list[str]] = {}
    for name, options in SELECT.findall(page):
        choices[name] = [v for v in OPTION.findall(options) if v]
    for tag in RADIO.findall(page):
        attrs = dict(ATTR.findall(tag))
        if "name" in attrs:
            choices.setdefault(attrs["name"], []).append(attrs.get("value", ""))
    return choices


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = f"----bench{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
    # An empty file part, as a browser sends for a file input left empty.
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="attachment"; filename=""\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n\r\n")
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"


SUMMARIES = ["Cannot print to the 3rd floor printer", "VPN disconnects every few minutes",
             "Outlook keeps asking for password", "Laptop very slow after update"]
DESCRIPTION = "Since this morning it fails with 'authentication failed'. I restarted twice."
READS = ("get", "api-get")
SEND = "api-send"
KINDS = (*READS, "api-post", SEND)
KEY = "__KEY__"


def user_fields(choices: dict[str, list[str]], n: int, token: str) -> dict[str, str]:
    fields = {"csrfmiddlewaretoken": token, "summary": SUMMARIES[n % len(SUMMARIES)], "description": DESCRIPTION}
    for name, values in choices.items():
        if values:
            fields[name] = values[n % len(values)]
    return fields


@dataclass
class Phase:
    """One timed stretch of requests to one path; the coordinator sets it, every user runs it."""

    name: str
    path: str
    form_path: str = ""
    kind: str = "form"  # or one of KINDS
    bodies: str = ""  # the set of --bodies an api-send phase posts
    deadline: float = 0.0
    latencies: list[float] = field(default_factory=list)
    get_latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    labelled: dict[str, list[float]] = field(default_factory=dict)

    def record(self, began: float, ok: bool, status: int, text: str, label: str | None = None) -> None:
        # list.append (and dict.setdefault) is atomic under the GIL: the threads share the phase's lists.
        if ok:
            elapsed = (time.perf_counter() - began) * 1000
            self.latencies.append(elapsed)
            if label is not None:
                self.labelled.setdefault(label, []).append(elapsed)
        else:
            self.errors.append(f"{status}: {text[:200]}")


def parse_phase(item: str) -> Phase:
    """`name=KIND:PATH` (KIND one of KINDS), `name=api-send:SET:PATH`, `name=FORM>POST` or `name=POST`."""
    name, spec = item.split("=", 1)
    kind, colon, path = spec.partition(":")
    if colon and kind == SEND:
        bodies, _, path = path.partition(":")
        return Phase(name, path, kind=kind, bodies=bodies)
    if colon and kind in KINDS:
        return Phase(name, path, kind=kind)
    form_path, _, post_path = spec.rpartition(">")
    return Phase(name, post_path, form_path)


def read(session: Session, phase: Phase) -> None:
    headers = {"Accept": "application/json"} if phase.kind == "api-get" else {}
    began = time.perf_counter()
    status, _, text = session.request("GET", phase.path, headers=headers)
    phase.record(began, status == 200, status, text)


def post_json(session: Session, phase: Phase, n: int) -> None:
    """Open one incident through the API: a new Idempotency-Key, so that no request is a replay."""
    body = json.dumps({"summary": SUMMARIES[n % len(SUMMARIES)], "description": DESCRIPTION}).encode()
    began = time.perf_counter()
    status, _, text = session.request("POST", phase.path, body, {
        "Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": str(uuid.uuid4())})
    phase.record(began, status == 201, status, text)


def send(session: Session, phase: Phase, bodies: dict, keys: itertools.count, run: str) -> None:
    """Post the next item of the phase's set; the key is new to this request in the whole run."""
    k = next(keys)  # next() of an itertools.count is atomic under the GIL: one key per request
    items = bodies["items"]
    item = items[k % len(items)]
    body = item["body"].replace(KEY, f"{run}-{k}").encode()
    began = time.perf_counter()
    status, _, text = session.request("POST", phase.path, body, {
        "Content-Type": bodies["content_type"], "Accept": "application/json"})
    ok = status == item["status"]
    if ok and item.get("expect"):
        try:
            answer = json.loads(text)
        except ValueError:
            answer = {}
        ok = all(answer.get(name) == value for name, value in item["expect"].items())
    phase.record(began, ok, status, f"{item.get('label', '')}, expected {item['status']} {item.get('expect', '')}: {text}",
                 label=item.get("label", ""))
    if ok:
        phase.units.append(item.get("units", 1))


def submit_form(session: Session, phase: Phase, fields: dict[str, str], default_form: str) -> None:
    began = time.perf_counter()
    if phase.form_path:
        status, _, page = session.request("GET", phase.form_path)
        got = time.perf_counter()
        fresh, key = TOKEN.search(page), SUBMISSION.search(page)
        if status != 200 or not fresh:
            phase.errors.append(f"GET {status}: {page[:200]}")
            return
        fields["csrfmiddlewaretoken"] = fresh.group(1)
        if key:
            fields["submission"] = key.group(1) or key.group(2)
    body, content_type = multipart(fields)
    status, _, text = session.request("POST", phase.path, body, {
        "Content-Type": content_type, "Referer": f"http://127.0.0.1{phase.form_path or default_form}"})
    phase.record(began, status == 302, status, text)
    if status == 302 and phase.form_path:
        phase.get_latencies.append((got - began) * 1000)


def worker(args, index: int, user: str, gate: threading.Barrier, plan: list[Phase]) -> None:
    token, choices = None, {}
    if args.token_file:  # `user` is an API key
        session = Session(args.host, args.port, {"Authorization": f"Bearer {user}"})
    else:
        session = Session(args.host, args.port)
        session.login(user, args.password)
        status, _, page = session.request("GET", args.form_path)
        token = TOKEN.search(page)
        if status != 200 or not token:
            raise RuntimeError(f"GET {args.form_path} answered {status} without a CSRF token")
        choices = form_choices(page)
    n = 0
    for phase in plan:
        gate.wait()  # everyone starts the phase together
        while time.monotonic() < phase.deadline:
            if phase.kind in READS:
                read(session, phase)
            elif phase.kind == "api-post":
                post_json(session, phase, index + n)
            elif phase.kind == SEND:
                send(session, phase, args.body_sets[phase.bodies], args.keys, args.run)
            else:
                submit_form(session, phase, user_fields(choices, index + n, token.group(1)), args.form_path)
            n += 1
        gate.wait()  # and the phase ends when the last request is answered


def run(args) -> dict:
    if args.token_file:
        with open(args.token_file) as keys:
            users = [line.strip() for line in keys if line.strip()]
    else:
        users = args.users.split(",")
    targets = [parse_phase(item) for item in args.phase]
    if args.token_file and any(t.kind == "form" for t in targets):
        raise SystemExit("form phases need users who log in (--users), not API keys")
    args.body_sets, args.keys, args.run = {}, itertools.count(), uuid.uuid4().hex[:12]
    if args.bodies:
        with open(args.bodies) as sets:
            args.body_sets = json.load(sets)
    missing = {t.bodies for t in targets if t.kind == SEND} - set(args.body_sets)
    if missing:
        raise SystemExit(f"no set {', '.join(sorted(missing))} in --bodies")
    plan = [Phase(t.name, t.path, t.form_path, t.kind, t.bodies) for _ in range(args.rounds) for t in targets]
    gate = threading.Barrier(len(users) + 1)
    failures: list[BaseException] = []

    def guarded(i: int, user: str) -> None:
        try:
            worker(args, i, user, gate, plan)
        except BaseException as exc:  # reported below, with the barrier released
            failures.append(exc)
            gate.abort()

    threads = [threading.Thread(target=guarded, args=(i, u), daemon=True) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    results: dict[str, list[dict]] = {}
    try:
        for phase in plan:
            phase.deadline = time.monotonic() + args.duration
            gate.wait()
            began = time.monotonic()
            gate.wait()
            elapsed = time.monotonic() - began
            results.setdefault(phase.name, []).append({
                "requests": len(phase.latencies), "errors": len(phase.errors), "first_errors": phase.errors[:3],
                "seconds": round(elapsed, 3), "latencies_ms": [round(x, 2) for x in phase.latencies],
                "get_latencies_ms": [round(x, 2) for x in phase.get_latencies],
                **({"units": sum(phase.units),
                    "labelled_ms": {label: [round(x, 2) for x in values] for label, values in phase.labelled.items()}}
                   if phase.kind == SEND else {}),
            })
    except threading.BrokenBarrierError:
        raise RuntimeError(f"a user failed: {failures[0]!r}" if failures else "a user failed") from None
    for thread in threads:
        thread.join()
    return {"phases": results, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--form-path", default="/portal/report/", help="the page that holds the form")
    parser.add_argument("--phase", action="append", required=True, metavar="NAME=[FORM>]POST|NAME=KIND:PATH",
                        help="where to post the form (after GETting FORM, when given), or get:, api-get: or "
                             "api-post: and a path, or api-send:SET:PATH; phases run in turn, each for "
                             "--duration")
    parser.add_argument("--rounds", type=int, default=1, help="how many times to run the phases in turn")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--users", help="comma-separated usernames, one connection each (with --password)")
    who.add_argument("--token-file", help="a file of API keys, one a line: one connection each, no login")
    parser.add_argument("--password", help="the users' password")
    parser.add_argument("--bodies", help="a JSON file of the body sets that api-send phases post")
    parser.add_argument("--duration", type=float, default=10, help="seconds per phase")
    args = parser.parse_args(argv)
    if args.users and not args.password:
        parser.error("--users needs --password")
    parts = urlsplit(args.base)
    args.host, args.port = parts.hostname, parts.port or 80
    print(json.dumps(run(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
