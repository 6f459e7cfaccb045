"""The demo organisation that `manage.py seed_demo` creates: teams, categories, services, one user
per role (two resolvers per resolver team, two incident managers), and fifty incident stories that
end in every state and every priority.

Pure data. `incidents.demo` tells each story through the services, as the people named in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from incidents import roles

# Every demo account has this password; `make run` and the README print it.
DEMO_PASSWORD = "demo-password-1"

# Fixed, so that every seeded database tells the same stories in the same way.
RANDOM_SEED = 20261122

# (name, slug, tier, e-mail)
TEAMS = [
    ("Service Desk", "service-desk", 1, "servicedesk@example.com"),
    ("Network", "network", 2, "network@example.com"),
    ("Platform", "platform", 3, "platform@example.com"),
    ("Security", "security", 2, "security@example.com"),
]

# (name, default team, confidential)
CATEGORIES = [
    ("Software", "Platform", False),
    ("Hardware", "Service Desk", False),
    ("Network", "Network", False),
    ("Security", "Security", True),
    ("Access/Accounts", "Service Desk", False),
    ("E-mail", "Platform", False),
]

SERVICES = [
    ("E-mail", "Exchange Online mailboxes, shared mailboxes and calendars."),
    ("VPN", "Remote access for staff working from home or on the road."),
    ("Wi-Fi", "Office wireless networks: Staff (802.1X) and Guest."),
    ("Payroll", "Monthly payroll run, payslips and the bank export."),
    ("CRM", "Customer relationship management for sales and support."),
    ("File shares", "Departmental shares on the file servers (S:, H:)."),
    ("Printing", "Office printers, scanners and the print queues."),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str | None  # None: the superuser
    team: str | None = None
    what_to_try: str = ""


USERS = [
    DemoUser("rita", "Rita", "Reyes", roles.REPORTER, None, "portal: report and follow incidents"),
    DemoUser("oscar", "Oscar", "Olsen", roles.REPORTER, None, "portal: a second reporter (sees only his own)"),
    DemoUser("dana", "Dana", "Diaz", roles.DESK_AGENT, "Service Desk", "admin: triage, route, resolve at tier 1"),
    DemoUser("nick", "Nick", "Novak", roles.RESOLVER, "Network", "admin: the Network queue"),
    DemoUser("paula", "Paula", "Park", roles.RESOLVER, "Platform", "admin: the Platform queue"),
    DemoUser("sam", "Sam", "Stone", roles.RESOLVER, "Security", "admin: confidential Security incidents"),
    # A second person per resolver team, so that each on-call rotation has someone to hand over to.
    DemoUser("nora", "Nora", "Nilsen", roles.RESOLVER, "Network", "admin: on call for Network today (an override)"),
    DemoUser("pete", "Pete", "Palmer", roles.RESOLVER, "Platform", "admin: second in the Platform rotation"),
    DemoUser("sofia", "Sofia", "Silva", roles.RESOLVER, "Security", "admin: second in the Security rotation"),
    DemoUser("maria", "Maria", "Moreau", roles.INCIDENT_MANAGER, None, "admin: every incident, major incidents"),
    # Four eyes: what maria sends for review, mark publishes.
    DemoUser("mark", "Mark", "Meyer", roles.INCIDENT_MANAGER, None, "admin: approves the reviews maria submits"),
    DemoUser("alex", "Alex", "Adler", roles.AUDITOR, None, "admin: the audit trail, conformance and exports"),
    DemoUser("admin", "Ada", "Admin", None, None, "admin: configuration (superuser)"),
]


@dataclass(frozen=True)
class Story:
    """One incident: how it was reported and how far it has got.

    `state` is where the story ends. The command walks the usual path there: triage (adding
    `triage_category` when the reporter gave none), an optional `route`, work by the team,
    an optional pause (`paused`, resumed later) or hold (`hold`), resolution with `fix`, an
    optional reopen (`first_fix` did not last), and closure.
    """

    summary: str
    description: str
    category: str | None
    service: str | None
    impact: str
    urgency: str
    state: str
    reporter: str = "rita"
    channel: str = "portal"
    triage_category: str | None = None
    route: str | None = None
    note: str = ""  # internal work note by whoever works on it
    reply: str = ""  # public reply to the reporter
    hold: str = ""
    paused: str = ""
    fix: str = ""
    code: str = "fixed"
    first_fix: str = ""
    reopen_reason: str = ""
    cancel_by: str = "reporter"
    cancel_reason: str = ""


STORIES = [
    # --- New: just reported, nobody has looked yet ------------------------------------------------
    Story("Outlook keeps asking for my password",
          "Since this morning Outlook pops up a password prompt every few minutes. Entering the "
          "password works for a while, then it asks again. Webmail is fine.",
          "E-mail", "E-mail", "medium", "medium", "new"),
    Story("Printer on the 3rd floor reports a paper jam but no paper is stuck",
          "PRN-HQ-03 shows 'Paper jam in tray 2'. I opened every flap, there is nothing inside. "
          "Turned it off and on, same message.",
          "Hardware", "Printing", "low", "low", "new", reporter="oscar"),
    Story("Cannot open my payslip PDF in the payroll portal",
          "Clicking 'Download payslip' for October gives an empty page. September's still opens.",
          None, "Payroll", "low", "medium", "new", channel="email"),
    Story("Whole sales team cannot log in to the CRM",
          "Called in by the sales manager: nobody in sales (about 40 people) can log in to the CRM "
          "since 09:10. The login page says 'Your organisation is not configured'.",
          None, "CRM", "high", "high", "new", reporter="oscar", channel="phone"),
    Story("Laptop fan very loud and hot after the latest update",
          "Since Tuesday's update the fan runs at full speed even when only Outlook is open.",
          "Hardware", None, "low", "low", "new", reporter="oscar"),
    Story("Account locked after too many password attempts",
          "Locked out of my account after changing the password. I have a customer presentation at 14:00.",
          "Access/Accounts", None, "medium", "high", "new", channel="phone"),
    Story("Shared calendar of meeting room B is not visible",
          "The room calendar 'MR-B' disappeared from my calendar list; colleagues still see it.",
          "E-mail", "E-mail", "low", "medium", "new", reporter="oscar"),
    Story("Teams calls drop every few minutes when working from home",
          "On VPN, Teams calls freeze and drop after 3-5 minutes. Without VPN they are fine.",
          "Network", "VPN", "medium", "medium", "new"),

    # --- Triaged: classified and in a team's queue -----------------------------------------------
    Story("VPN connects but no internal sites load",
          "The VPN client says 'Connected' but the intranet and the CRM time out. Internet sites work.",
          "Network", "VPN", "medium", "high", "triaged",
          reply="Thanks, the Network team has this in their queue. Could you send a screenshot of "
                "the VPN client's statistics page?"),
    Story("Disk full on file server FS02, users cannot save",
          "Several people in finance get 'There is not enough space on S:' when saving spreadsheets.",
          None, "File shares", "high", "medium", "triaged", reporter="oscar", channel="email",
          triage_category="Software"),
    Story("Guest Wi-Fi redirects to a blank page",
          "Visitors connecting to 'Guest' get a blank page instead of the terms-of-use page.",
          "Network", "Wi-Fi", "low", "medium", "triaged"),
    Story("Suspicious e-mail with an invoice attachment received by several people",
          "At least five people in accounting received 'Overdue invoice #88213' from a look-alike "
          "domain, with a .zip attachment. One person may have opened it.",
          "Security", "E-mail", "medium", "high", "triaged", reporter="oscar"),
    Story("Docking station does not detect the second monitor",
          "At hot desk 2.14 only one of the two monitors works through the dock.",
          "Hardware", None, "low", "low", "triaged"),
    Story("Wi-Fi drops in the second-floor meeting rooms",
          "In meeting rooms 2.01-2.04 laptops lose Wi-Fi every 10 minutes. Tried two laptops.",
          "Hardware", "Wi-Fi", "medium", "medium", "triaged", reporter="oscar", route="Network",
          reply="It happens with several laptops, so we have passed it to the Network team."),
    Story("CRM export to Excel times out",
          "Exporting the 'All open opportunities' view to Excel runs for a minute and fails.",
          "Software", "CRM", "low", "high", "triaged", reporter="oscar"),

    # --- In progress: someone is working on it ---------------------------------------------------
    Story("VPN down for all remote staff since 08:00",
          "Many calls: nobody can connect to the VPN. The client fails with 'Gateway unreachable'.",
          "Network", "VPN", "high", "high", "in_progress", reporter="oscar", channel="phone",
          note="vpn-gw1 lost its uplink after the ISP maintenance; failing over to vpn-gw2.",
          reply="We know about the VPN outage and are working on it. Next update by 10:00."),
    Story("Database lock timeouts in the CRM during peak hours",
          "Between 10:00 and 11:00 saving an opportunity often fails with 'lock wait timeout'.",
          "Software", "CRM", "high", "medium", "in_progress",
          note="pg_stat_activity shows the hourly revenue report holding row locks on opportunities "
               "for 40 s; moving it to the read replica."),
    Story("Outlook search finds nothing older than a month",
          "Searching my mailbox only returns mails from the last 30 days.",
          "E-mail", "E-mail", "low", "medium", "in_progress", reporter="oscar",
          note="Cached mode is limited to one month on this profile; checking the search index too."),
    Story("New laptops fail Wi-Fi authentication (802.1X)",
          "The five laptops delivered this week cannot join 'Staff'; they get 'Can't connect to this network'.",
          "Network", "Wi-Fi", "medium", "high", "in_progress",
          note="The new image lacks the intermediate CA certificate that the RADIUS server presents."),
    Story("Print queue on PRN-HQ-02 stuck with 40 jobs",
          "Nothing prints on PRN-HQ-02; the queue shows 40 jobs waiting, the first one 'Error'.",
          "Hardware", "Printing", "medium", "low", "in_progress", reporter="oscar",
          reply="We are clearing the queue now; please do not resend your documents yet."),
    Story("SSO login loops back to the sign-in page",
          "Signing in to the intranet with single sign-on sends me back to the sign-in page again and again.",
          "Access/Accounts", None, "medium", "high", "in_progress", route="Platform",
          note="Clock skew on idp-2 is 6 minutes; SAML assertions are rejected as not yet valid."),
    Story("Cannot connect to the file shares from Mac laptops",
          "The design team's Macs cannot mount S: since Monday: 'The operation can't be completed'.",
          "Network", "File shares", "low", "high", "in_progress", reporter="oscar",
          paused="Waiting for a Mac from the design team to test with.",
          note="SMB signing became mandatory on Monday; the Macs' nsmb.conf disables it."),
    Story("Phishing link clicked, possible credential theft",
          "I clicked a link in an e-mail about a parcel and typed my password before I noticed the address.",
          "Security", "E-mail", "high", "high", "in_progress", channel="phone",
          note="Password reset forced and sessions revoked; reviewing sign-in logs of the last 48 h."),
    Story("Laptop will not boot past the BitLocker recovery screen",
          "After a BIOS update the laptop asks for a BitLocker recovery key at every start.",
          "Hardware", None, "medium", "medium", "in_progress", reporter="oscar", channel="walk_in",
          note="Recovery key found in the directory; suspending BitLocker to re-seal the TPM."),

    # --- On hold: waiting for someone outside the team -----------------------------------------
    Story("Payroll export to the bank rejected: file format error",
          "The bank rejected this month's payment file: 'Invalid XML, element PmtTpInf unexpected'.",
          "Software", "Payroll", "high", "medium", "on_hold",
          hold="Waiting for the bank to confirm the new SEPA format version.",
          reply="We have asked the bank which format version they now expect; payments are not due until Friday."),
    Story("Replace the broken keyboard on the reception PC",
          "Several keys (E, R, T) no longer work on the reception keyboard.",
          "Hardware", None, "low", "low", "on_hold", reporter="oscar", channel="walk_in",
          hold="Waiting for the replacement keyboard to be delivered."),
    Story("Intermittent packet loss on the branch office link",
          "The Lyon office reports choppy calls and slow file access several times a day.",
          "Network", None, "medium", "medium", "on_hold", channel="email",
          note="Smokeping shows 5-8 % loss on the carrier link between 11:00 and 15:00.",
          hold="Waiting for the carrier's line test (their ticket 44817)."),
    Story("Mailbox full warning although the mailbox is nearly empty",
          "Outlook says my mailbox is full (50 GB) but the folder sizes add up to 3 GB.",
          "E-mail", "E-mail", "low", "medium", "on_hold", reporter="oscar",
          reply="We would like to test this with you; we will call you when you are back on Monday.",
          hold="Waiting for the reporter to be back from leave to test together."),
    Story("TLS certificate of vpn.example.com expires in 5 days",
          "The certificate monitor warns that the VPN gateway's certificate expires on the 27th.",
          "Network", "VPN", "high", "low", "on_hold", channel="email",
          hold="Waiting for the certificate authority to validate the renewal request."),

    # --- Resolved: fixed, waiting for the reporter to confirm ------------------------------------
    Story("Outlook crashes when opening the shared mailbox",
          "Outlook closes without a message as soon as I open the 'Support' shared mailbox.",
          "E-mail", "E-mail", "medium", "medium", "resolved", reporter="oscar",
          fix="Removed the corrupted offline cache and re-added the shared mailbox without caching."),
    Story("Cannot print double-sided on PRN-HQ-01",
          "Every document comes out single-sided although I choose 'Print on both sides'.",
          "Hardware", "Printing", "low", "low", "resolved", code="user_error",
          fix="Duplex was switched off in the printer's device settings on your laptop; turned it on "
              "and showed you where it is."),
    Story("Wi-Fi unusable in the canteen at lunchtime",
          "Between 12:00 and 13:30 the Wi-Fi in the canteen is too slow to load a page.",
          "Network", "Wi-Fi", "medium", "medium", "resolved", reporter="oscar",
          note="One access point for 120 clients at peak; channel 6 shared with the neighbours.",
          fix="Added a second access point and moved both off channel 6."),
    Story("Expired certificate on the intranet causes browser warnings",
          "Everyone gets 'Your connection is not private' on the intranet since midnight.",
          "Software", None, "high", "medium", "resolved",
          fix="Renewed the certificate, installed it on both web nodes and added it to the expiry monitor."),
    Story("Password reset e-mail never arrives",
          "I requested a password reset three times; no e-mail, not in spam either.",
          "Access/Accounts", "E-mail", "medium", "high", "resolved", channel="phone",
          fix="The reset mails were held by the spam filter; released them and allow-listed the sender."),
    Story("Disk full on the CRM database server",
          "Monitoring alert: /var/lib/postgresql on crm-db1 at 100 %, the CRM shows errors on save.",
          "Software", "CRM", "high", "high", "resolved", reporter="oscar", channel="phone",
          note="Old log files never rotated since the upgrade; 90 GB of them.",
          fix="Rotated and compressed the old log files, fixed the rotation job and added a disk alert at 80 %."),
    Story("Account locked after changing the password on my phone",
          "My account locks every morning since I changed my password.",
          "Access/Accounts", None, "low", "medium", "resolved", reporter="oscar", code="user_error",
          fix="The phone's mail app kept trying the old password; updated it on the phone and unlocked the account."),
    Story("Payroll application shows HTTP 500 after login",
          "After logging in to payroll I only get 'Internal Server Error'. Payroll closes tomorrow.",
          "Software", "Payroll", "high", "high", "resolved", channel="phone",
          reply="We have rolled back this morning's release; please try again.",
          fix="Rolled back the morning's release: it shipped without its database migration."),

    # --- Closed: fixed and confirmed. P1/P2 incidents stay resolved until their post-incident
    # review is published, so the closed ones here are P3/P4. ---------------------------------------
    Story("New starter cannot open the HR share",
          "Our new HR assistant started today and gets 'Access denied' on S:\\HR.",
          "Access/Accounts", "File shares", "medium", "medium", "closed",
          fix="Added the account to the HR-Readers group; access works after signing out and in."),
    Story("VPN client asks for a certificate after reinstalling",
          "After reinstalling the VPN client it asks me to choose a certificate and none works.",
          "Network", "VPN", "low", "high", "closed", reporter="oscar",
          fix="Re-enrolled the device certificate and reconnected."),
    Story("E-mail delivery delayed by 30 minutes",
          "Mails from customers arrive about half an hour after they were sent.",
          "E-mail", "E-mail", "medium", "medium", "closed",
          first_fix="Restarted the mail transport service; the queue has drained.",
          reopen_reason="Still delayed this morning, a customer mail took 40 minutes.",
          note="The relay throttles us at 30 messages a minute since the provider's change.",
          fix="The relay's rate limit throttled our outbound queue; raised the limit and added queue monitoring."),
    Story("Scan-to-e-mail stopped working on the 2nd floor MFP",
          "Scans to my e-mail never arrive; the MFP shows 'Send failed'.",
          "Hardware", "Printing", "medium", "low", "closed", reporter="oscar",
          fix="The SMTP password stored on the MFP had expired; switched it to a service account."),
    Story("Laptop lost at the airport",
          "I left my laptop at the security check in Frankfurt; the airport has not found it.",
          "Security", None, "low", "high", "closed", reporter="oscar", channel="phone",
          note="Device last checked in 14:02; BitLocker on; wipe command queued.",
          fix="Device wiped remotely and disabled in the directory; a replacement is ordered."),
    Story("Visitor Wi-Fi password does not work",
          "Our visitors cannot join 'Guest' with the password on the reception card.",
          "Network", "Wi-Fi", "low", "low", "closed", code="user_error",
          fix="The guest password changes weekly; sent the current one and the intranet page where it is published."),
    Story("CRM dashboard takes over 20 seconds to load",
          "The sales dashboard is very slow since last week's data import.",
          "Software", "CRM", "medium", "medium", "closed", reporter="oscar",
          note="EXPLAIN shows a sequential scan on activities (12 M rows).",
          fix="Added an index on activities (account_id, created_at); the dashboard loads in 2 s."),
    Story("Monitor flickering at desk 4.12",
          "The left monitor flickers every few seconds.",
          "Hardware", None, "low", "low", "closed", channel="walk_in",
          fix="Replaced the DisplayPort cable."),
    Story("Cannot reach the file shares over the VPN",
          "From home, S: and H: are not reachable although the VPN is connected.",
          "Network", "File shares", "low", "high", "closed", reporter="oscar", code="workaround",
          fix="The split-tunnel profile missed the new file server subnet; pushed an updated profile."),

    # --- Cancelled: withdrawn or not an incident ----------------------------------------------------
    Story("Printer out of toner",
          "PRN-HQ-01 says toner empty.",
          "Hardware", "Printing", "low", "low", "cancelled",
          cancel_reason="Found a spare toner cartridge in the supply room."),
    Story("Outlook not syncing",
          "Outlook has not received new mail since this morning.",
          "E-mail", "E-mail", "low", "medium", "cancelled", reporter="oscar", cancel_by="dana",
          cancel_reason="Duplicate: the mail delay incident already covers this."),
    Story("Need access to the finance share",
          "Please give me access to S:\\Finance for the budget review.",
          "Access/Accounts", "File shares", "low", "low", "cancelled", cancel_by="dana",
          cancel_reason="This is a service request, not an incident; raised it as an access request."),
    Story("Internet is slow",
          "Web pages take a long time to load.",
          "Network", None, "low", "medium", "cancelled", reporter="oscar", channel="email",
          cancel_reason="It was my home router, sorry. Works after restarting it."),
]
