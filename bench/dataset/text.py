"""The words of the data set: teams, categories, services, people, and incident and knowledge text.

Everything is a template filled from small lists with the generator's seeded random source, so a
100k data set reads like a service desk's history (and exercises search with real words) without
storing 100k sentences here.
"""

from __future__ import annotations

import random

# (name, slug, tier, share of the resolver population)
TEAMS: list[tuple[str, str, int, int]] = [
    ("Service Desk", "service-desk", 1, 8),
    ("End-user Computing", "end-user-computing", 2, 14),
    ("Network", "network", 2, 10),
    ("Identity & Access", "identity-access", 2, 8),
    ("Messaging & Collaboration", "messaging", 2, 8),
    ("Business Applications", "business-applications", 2, 12),
    ("Security Operations", "security-operations", 2, 6),
    ("Telephony", "telephony", 2, 4),
    ("Platform", "platform", 3, 10),
    ("Database", "database", 3, 6),
    ("Cloud Operations", "cloud-operations", 3, 8),
    ("Facilities IT", "facilities-it", 2, 6),
]

# (name, default team slug, confidential, weight in the incident mix)
CATEGORIES: list[tuple[str, str, bool, int]] = [
    ("Access & Accounts", "identity-access", False, 18),
    ("Software", "end-user-computing", False, 16),
    ("Hardware", "end-user-computing", False, 12),
    ("E-mail & Calendar", "messaging", False, 11),
    ("Network & VPN", "network", False, 10),
    ("Printing", "facilities-it", False, 7),
    ("Business Applications", "business-applications", False, 9),
    ("Telephony", "telephony", False, 4),
    ("Collaboration", "messaging", False, 4),
    ("Servers & Storage", "platform", False, 3),
    ("Database", "database", False, 2),
    ("Cloud", "cloud-operations", False, 2),
    ("Security", "security-operations", True, 2),
]

SERVICES = [
    "E-mail", "VPN", "Wi-Fi", "Payroll", "ERP", "CRM", "File shares", "Intranet", "Printing",
    "Telephony", "Video conferencing", "HR portal", "Single sign-on", "Backup", "Data warehouse",
    "Expenses", "Public website", "Build pipeline", "Document management", "Laptop fleet",
]

FIRST_NAMES = [
    "Aisha", "Alan", "Alice", "Amir", "Ana", "Ben", "Bianca", "Carlos", "Chen", "Chloe", "Dana", "Daniel",
    "David", "Elena", "Emma", "Erik", "Fatima", "Felix", "Grace", "Hannah", "Hugo", "Ines", "Ivan", "Jack",
    "Jana", "Jonas", "Julia", "Kai", "Karin", "Leila", "Liam", "Lucas", "Maria", "Marta", "Mei", "Mia",
    "Nadia", "Nick", "Noah", "Olga", "Omar", "Paula", "Pedro", "Priya", "Rita", "Ruth", "Sam", "Sara",
    "Sofia", "Tariq", "Tom", "Vera", "Wei", "Yusuf", "Zoe",
]
LAST_NAMES = [
    "Abbott", "Almeida", "Baker", "Becker", "Bianchi", "Brown", "Campbell", "Chen", "Costa", "Dubois",
    "Evans", "Fischer", "Garcia", "Hansen", "Hughes", "Ivanova", "Jansen", "Kaur", "Kim", "Kowalski",
    "Larsen", "Lopez", "Martin", "Meyer", "Moreau", "Murphy", "Nguyen", "Novak", "Okafor", "Olsen",
    "Patel", "Peters", "Rossi", "Santos", "Schmidt", "Silva", "Smith", "Tanaka", "Taylor", "Varga",
    "Walker", "Weber", "Wilson", "Wright", "Yilmaz", "Young", "Zhang",
]

_APPS = ["Outlook", "Teams", "Excel", "SAP GUI", "Salesforce", "Chrome", "the VPN client", "OneDrive",
         "Zoom", "Adobe Acrobat", "the expenses app", "Jira", "Workday", "the payroll portal", "SharePoint"]
_DEVICES = ["laptop", "docking station", "second monitor", "headset", "keyboard", "desk phone", "mobile phone",
            "badge reader", "webcam", "tablet"]
_SITES = ["the 3rd floor", "building B", "the Lisbon office", "the warehouse", "home", "the London office",
          "meeting room Atlas", "the reception desk", "the Berlin office", "the call centre"]
_ERRORS = ["error 0x80070005", "'authentication failed'", "'the server is not responding'", "a blank white page",
           "HTTP 502 Bad Gateway", "'certificate not trusted'", "'license expired'", "'access denied'",
           "a timeout after 30 seconds", "'disk full'", "'account locked'", "a spinning wheel"]
_PRINTERS = ["PRN-3F-01", "PRN-B-12", "the colour printer", "the label printer", "PRN-LIS-04"]

SUMMARIES: dict[str, list[str]] = {
    "Access & Accounts": [
        "Account locked after password change", "Cannot log in to {app}: {error}",
        "MFA prompt never arrives on my phone", "Need access to the {service} shared folder",
        "Password reset link expired", "New starter has no access to {app}",
    ],
    "Software": [
        "{app} crashes on start", "{app} very slow since the update", "{app} shows {error}",
        "Cannot install {app} from the software centre", "{app} add-in missing after upgrade",
        "Licence for {app} expired",
    ],
    "Hardware": [
        "{device} not working", "Laptop battery drains in an hour", "{device} not detected by laptop",
        "Blue screen on laptop after docking", "Broken screen on {device}", "Laptop fan very loud and hot",
    ],
    "E-mail & Calendar": [
        "Outlook keeps asking for password", "E-mails to external addresses bounce",
        "Shared mailbox not visible in Outlook", "Calendar invites arrive late",
        "Mailbox full, cannot send", "Phishing e-mail received, please check",
    ],
    "Network & VPN": [
        "VPN disconnects every few minutes from {site}", "No Wi-Fi in {site}",
        "Network drive not reachable from {site}", "Very slow network in {site}",
        "VPN shows {error}", "Cannot reach the intranet over VPN",
    ],
    "Printing": [
        "Printer {printer} jams every page", "Cannot print to {printer}", "Print jobs stuck in queue",
        "Scanner on {printer} does not send e-mail", "{printer} prints blank pages",
    ],
    "Business Applications": [
        "{service} report shows wrong totals", "Cannot submit expenses: {error}",
        "ERP order screen freezes", "CRM does not save contact changes", "Payroll portal shows {error}",
        "Invoice export to {service} failed",
    ],
    "Telephony": [
        "Desk phone has no dial tone", "Calls drop after one minute", "Voicemail not reaching e-mail",
        "Call centre queue not routing calls", "Headset audio one-way on calls",
    ],
    "Collaboration": [
        "Teams meeting audio cutting out", "Cannot share screen in {app}", "SharePoint site returns {error}",
        "OneDrive not syncing", "Video conferencing room in {site} not working",
    ],
    "Servers & Storage": [
        "File server {service} running out of space", "Backup job failed overnight",
        "Server not responding to ping", "Nightly batch job overran", "Storage latency alarms on array",
    ],
    "Database": [
        "Database connection pool exhausted", "Replication lag on reporting database",
        "Slow queries on {service} database", "Deadlocks in order database", "Database backup failed",
    ],
    "Cloud": [
        "Cloud VM unreachable after patching", "Storage bucket permissions error: {error}",
        "Autoscaling did not add capacity", "Cloud costs alert on {service}", "Certificate expired on load balancer",
    ],
    "Security": [
        "Suspicious login from abroad", "Malware alert on laptop", "Lost laptop with customer data",
        "Phishing link clicked", "Unexpected admin account created", "Data shared publicly by mistake",
    ],
}

_OPENINGS = [
    "Since this morning {summary_lower}.", "Since the update yesterday {summary_lower}.",
    "Several colleagues in {site} report the same: {summary_lower}.", "{summary} – it started around 9:00.",
    "When I try to work in {app} I get {error}.", "This happens every time I connect from {site}.",
]
_DETAILS = [
    "I restarted the laptop twice and it did not help.", "The error message says {error}.",
    "It worked fine last week.", "My colleague next to me has no problem.",
    "It only happens on the {device}.", "I cleared the browser cache as the intranet suggests.",
    "I tried from {site} and it is the same.", "A screenshot is attached.",
]
_IMPACTS = [
    "I cannot finish the month-end report.", "Customers are waiting on the phone.", "It is not urgent.",
    "I can work around it for now.", "The whole team is blocked.", "We have a deadline at 17:00 today.",
]
RESOLUTION_NOTES = [
    "Cleared the cached credentials and re-synced the profile.", "Replaced the {device}.",
    "Restarted the service and confirmed with the user.", "Re-applied the group policy and rebooted.",
    "Applied the known error workaround.", "Reinstalled {app} from the software centre.",
    "Unlocked the account and reset MFA.", "Renewed the certificate.", "Freed disk space and extended the volume.",
]
HOLD_REASONS = [
    "Waiting for the user to be available", "Waiting for the vendor", "Waiting for a spare part",
    "Waiting for a change window", "Waiting for approval from the line manager",
]
WORK_NOTES = [
    "Checked the logs: {error} at the time reported.", "Remote session with the user, reproduced it.",
    "Escalated to the vendor, case opened.", "Same symptom as two other tickets this week.",
    "Rolled back the latest update on the test machine; issue gone.", "Asked the network team to check {site}.",
]
PUBLIC_REPLIES = [
    "Thanks for reporting this. Could you tell us when it last worked?", "We are looking into it.",
    "Could you restart and try again, please?", "A fix has been applied; please check on your side.",
    "We have booked a visit to {site} tomorrow morning.", "Is this still happening?",
]
REPORTER_REPLIES = [
    "It happened again just now.", "Yes, still broken after the restart.", "Thank you, it works now.",
    "I attached the screenshot you asked for.", "Any news? The team is still blocked.",
]

# Known errors and articles: (title, symptoms, root cause, workaround)
KNOWN_ERROR_TEMPLATES = [
    ("{app} crashes at start after update",
     "{app} closes a few seconds after it opens; the event log shows an access violation.",
     "The update left an incompatible add-in enabled.",
     "Start {app} in safe mode, disable the add-in, restart."),
    ("VPN drops every few minutes on {site} Wi-Fi",
     "The VPN client shows {error} and reconnects every few minutes.",
     "The access points in {site} renew DHCP leases too aggressively.",
     "Use the wired network or the guest Wi-Fi with the VPN until the access points are updated."),
    ("Outlook keeps asking for password after password change",
     "Outlook prompts for credentials again and again; webmail works.",
     "Cached credentials in Windows Credential Manager are stale.",
     "Remove the Office entries from Credential Manager, then restart Outlook."),
    ("Printer {printer} prints blank pages",
     "Jobs print, but pages come out blank or faded.",
     "A firmware bug after the toner change.",
     "Power-cycle the printer and print from the web queue."),
    ("Account locked by old phone still syncing mail",
     "The account locks again minutes after an unlock; {error}.",
     "An old mobile device keeps retrying with the previous password.",
     "Remove the old device in the mailbox settings, then unlock."),
    ("{app} shows {error} behind the proxy",
     "{app} cannot reach its server from the office network.",
     "The proxy inspects TLS and the app pins its certificate.",
     "Add the app's domains to the proxy bypass list."),
    ("Docking station not detecting {device}",
     "The {device} stays dark when the laptop is docked.",
     "Docking station firmware older than the laptop's graphics driver.",
     "Update the dock firmware from the software centre; meanwhile connect the {device} directly."),
]
ARTICLE_TEMPLATES = [
    ("How to reset your password", "1. Go to the self-service portal.\n2. Choose *Forgot password*.\n"
     "3. Confirm with MFA.\n\nIf {app} still shows {error}, sign out everywhere and sign in again."),
    ("How to connect to the VPN from {site}", "Install the VPN client from the software centre, sign in with "
     "single sign-on and pick the nearest gateway. If you see {error}, check the clock on your laptop."),
    ("How to add a printer", "Open *Printers & scanners*, search for {printer} and add it. Badge at the "
     "printer to release your jobs."),
    ("FAQ: Why is {app} slow?", "Usually a full disk or an old cache. Restart {app}, free some space, and "
     "report an incident if it stays slow."),
    ("How to share a mailbox calendar", "In Outlook, open the calendar, choose *Share* and enter the "
     "colleague's name. Permissions apply within a few minutes."),
    ("FAQ: What to do with a suspicious e-mail", "Do not click any link. Use *Report phishing* in Outlook; "
     "security operations will review it."),
]


def fill(template: str, rng: random.Random, **extra: str) -> str:
    values = {
        "app": rng.choice(_APPS), "device": rng.choice(_DEVICES), "site": rng.choice(_SITES),
        "error": rng.choice(_ERRORS), "printer": rng.choice(_PRINTERS), "service": rng.choice(SERVICES),
    }
    values.update(extra)
    return template.format(**values)


def incident_text(category: str, rng: random.Random) -> tuple[str, str]:
    """A summary and a few sentences of description, as a reporter would write them."""
    summary = fill(rng.choice(SUMMARIES[category]), rng)
    lower = summary[0].lower() + summary[1:]
    sentences = [fill(rng.choice(_OPENINGS), rng, summary=summary, summary_lower=lower)]
    sentences += [fill(s, rng) for s in rng.sample(_DETAILS, rng.randint(1, 3))]
    sentences.append(rng.choice(_IMPACTS))
    return summary[:200], " ".join(sentences)
