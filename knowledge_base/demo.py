"""The knowledge base's part of the demo (`manage.py seed_demo`): known errors and articles about
what the demo's incidents report (the VPN, Wi-Fi, printers, Outlook, payroll, passwords), so that
the portal suggests them while a reporter types and the triage panel finds them for the desk.

Some are public (their workaround is shown to end users), some internal (staff only). Each is
written and sent for review by the person who would know (a resolver, the desk), and published by
an incident manager, through the services: with four-eyes publishing the writer may not publish
their own, so the demo keeps the two apart either way. One known error is left in review, for the
manager to find. Idempotent: an item whose title exists is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .models import Article, ArticleKind, Audience, Category, KnownError
from .services import article_create, known_error_create, transition
from .workflow import State

# Who publishes: the demo's first incident manager.
PUBLISHER = "maria"

CATEGORIES = ["Network", "E-mail", "Hardware", "Accounts", "Software", "Security"]


@dataclass(frozen=True)
class DemoKnownError:
    title: str
    author: str
    category: str
    service: str
    symptoms: str
    root_cause: str
    workaround: str
    public: bool
    state: str = State.PUBLISHED


@dataclass(frozen=True)
class DemoArticle:
    title: str
    author: str
    category: str
    kind: str
    audience: str
    body: str


KNOWN_ERRORS = [
    DemoKnownError(
        "VPN keeps disconnecting every few minutes when working from home", "nick", "Network", "VPN",
        "The VPN client connects, then drops the connection after 3-5 minutes and reconnects by itself. "
        "Teams calls freeze and drop while the VPN is disconnecting. Without the VPN the home connection is fine.",
        "Many home routers (DSL and fibre boxes) drop fragmented UDP packets. The VPN client's default "
        "packet size (MTU 1500) does not fit through the tunnel on those lines, so the tunnel's keep-alives "
        "are lost and the gateway ends the session.",
        "1. Open the VPN client, **Settings > Connection**.\n"
        "2. Set *Protocol* to **TCP (port 443)** instead of *Automatic*.\n"
        "3. Disconnect and connect again.\n\n"
        "If it still disconnects, restart the home router and call the service desk.",
        public=True,
    ),
    DemoKnownError(
        "VPN connected but intranet, CRM and file shares do not load", "nick", "Network", "VPN",
        "The VPN client says *Connected*, but internal sites (intranet, CRM) time out and S: and H: are not "
        "reachable. Internet sites work.",
        "The split-tunnel profile on the laptop lists the internal subnets the VPN carries. Laptops that "
        "have not received the latest profile miss the subnets added since (the new file servers, the CRM).",
        "Push the current VPN profile to the laptop from the device management console (**Devices > "
        "Sync policies**), then ask the user to disconnect and reconnect. Check with `route print` that "
        "10.20.0.0/16 goes through the tunnel.",
        public=False,
    ),
    DemoKnownError(
        "Outlook keeps asking for the password", "paula", "E-mail", "E-mail",
        "Outlook shows a password prompt every few minutes, usually after a password change. Entering "
        "the password works for a while, then it asks again. Webmail works normally.",
        "Outlook keeps the sign-in token of the old password in the Windows credential store and keeps "
        "trying it.",
        "1. Close Outlook.\n"
        "2. Open **Credential Manager** from the Start menu, then **Windows Credentials**.\n"
        "3. Remove every entry that starts with *MicrosoftOffice* or *outlook.office365.com*.\n"
        "4. Start Outlook and sign in once with your new password.",
        public=True,
    ),
    DemoKnownError(
        "Outlook search finds only mail from the last month", "paula", "E-mail", "E-mail",
        "Searching the mailbox in Outlook returns only recent messages; older mail is missing from the "
        "results although it is still in the folders.",
        "Outlook's cached mode keeps only the last month of mail on the laptop by default, and searches "
        "only that copy.",
        "In the search results, click **Include older results** (or **Search the server**) at the bottom "
        "of the list. To keep more on the laptop: **File > Account settings > Change**, move the *Download "
        "email for the past* slider to 12 months.",
        public=True,
    ),
    DemoKnownError(
        "Wi-Fi drops every few minutes on laptops in the meeting rooms", "nick", "Network", "Wi-Fi",
        "Laptops lose the Wi-Fi connection every 5-10 minutes in the second-floor meeting rooms and "
        "reconnect after a few seconds; video calls freeze. Phones stay connected.",
        "The laptops' wireless adapters switch to power saving when on battery and miss the access "
        "points' roaming messages.",
        "Plug the laptop in to charge, or: **Settings > Network > Wi-Fi > Hardware properties**, and turn "
        "off *Allow the computer to turn off this device to save power*.",
        public=True,
    ),
    DemoKnownError(
        "New laptops cannot join the Staff Wi-Fi (802.1X authentication fails)", "nick", "Network", "Wi-Fi",
        "Laptops from the latest delivery cannot connect to *Staff*: Windows says *Can't connect to this "
        "network*. Older laptops connect fine.",
        "The new laptop image lacks the intermediate CA certificate that the RADIUS server presents, so "
        "the laptop does not trust it.",
        "Install the *Example Issuing CA 2* certificate from the device management console (**Profiles > "
        "Certificates > Staff Wi-Fi**) and reconnect. Until then the laptop can use the Guest network.",
        public=False,
    ),
    DemoKnownError(
        "Printer reports a paper jam but no paper is stuck", "dana", "Hardware", "Printing",
        "The printer shows *Paper jam in tray 2* although every flap is open and nothing is inside. "
        "Switching it off and on does not help.",
        "Paper dust covers the paper sensor of tray 2, which then reports paper where there is none.",
        "1. Pull tray 2 out completely.\n"
        "2. Wipe the small black sensor at the back of the slot with a dry cloth.\n"
        "3. Put the tray back and press **OK** on the printer.\n\n"
        "If the message stays, report it: the sensor needs replacing.",
        public=True,
    ),
    DemoKnownError(
        "Print queue stuck: jobs wait and nothing prints", "dana", "Hardware", "Printing",
        "Nothing prints on one printer; its queue shows many jobs waiting and the first one in *Error*.",
        "A job the printer cannot render (often a scanned PDF of several hundred MB) blocks the print "
        "spooler on the print server.",
        "On the print server PRN-SRV1: open **Print Management**, delete the job in *Error* (not the "
        "others), then restart the *Print Spooler* service. The waiting jobs print in order.",
        public=False,
    ),
    DemoKnownError(
        "Password reset e-mail does not arrive", "dana", "Accounts", "E-mail",
        "After requesting a password reset the e-mail with the reset link never arrives, not in the spam "
        "folder either.",
        "The mail filter holds messages from the reset service when several arrive within minutes.",
        "Do not request more links: each new one is held too. Use **Reset with a code by text message** on "
        "the sign-in page, or call the service desk, who can reset the password after checking who you are.",
        public=True,
    ),
    DemoKnownError(
        "Account locked every morning after a password change", "dana", "Accounts", "",
        "The account is locked again every morning although the new password is typed correctly.",
        "A phone or tablet still signs in to the mailbox with the old password, and its failed attempts "
        "lock the account.",
        "On your phone: open **Settings > Mail > Accounts**, choose the work account and enter the new "
        "password (or remove the account and add it again). Then ask the service desk to unlock the account.",
        public=True,
    ),
    DemoKnownError(
        "Payslip PDF opens as an empty page in the payroll portal", "paula", "Software", "Payroll",
        "Clicking *Download payslip* in the payroll portal shows an empty page instead of the payslip.",
        "The browser's built-in PDF viewer cannot open the payslips' encrypted PDF format.",
        "Right-click **Download payslip**, choose **Save link as**, and open the saved file with Adobe "
        "Acrobat Reader. Your payslip password is your date of birth (DDMMYYYY).",
        public=True,
    ),
    DemoKnownError(
        "Bank rejects the payroll payment file: XML format error", "paula", "Software", "Payroll",
        "The bank's portal rejects the monthly payment file with *Invalid XML, element PmtTpInf unexpected*.",
        "The bank moved to the 2019 version of the SEPA credit transfer format (pain.001.001.09); the "
        "payroll system still exports the 2009 version by default.",
        "In the payroll system choose the export profile **SEPA 2019 (pain.001.001.09)** and export the run "
        "again; upload the new file before the bank's 14:00 cut-off.",
        public=False,
    ),
    DemoKnownError(
        "Single sign-on loops back to the sign-in page", "paula", "Accounts", "",
        "Signing in with single sign-on sends the user back to the sign-in page again and again.",
        "The identity provider's clock runs ahead; its sign-in assertions look not yet valid to the "
        "applications.",
        "Check the time on both identity provider nodes (`timedatectl`) and restart *chronyd* on the one "
        "that is off. Users sign in again once the clocks agree.",
        public=False,
        # Written, not yet approved: a manager finds it waiting in the knowledge base.
        state=State.IN_REVIEW,
    ),
]

ARTICLES = [
    DemoArticle(
        "How to reset your password", "dana", "Accounts", ArticleKind.HOW_TO, Audience.PUBLIC,
        "1. On the sign-in page choose **Forgot password**.\n"
        "2. Enter your work e-mail address; a reset link arrives within a few minutes.\n"
        "3. Choose a new password of at least 12 characters.\n\n"
        "After changing it, update the password on your phone's mail app too, or the old one will lock "
        "your account.",
    ),
    DemoArticle(
        "Connecting to the VPN from home", "nick", "Network", ArticleKind.HOW_TO, Audience.PUBLIC,
        "Start the VPN client, choose **Connect** and sign in with your work account and the code from your "
        "authenticator app. The client shows *Connected* and the intranet opens.\n\n"
        "If the VPN disconnects again and again, see the known error about VPN drops: switching the client "
        "to TCP usually fixes it.",
    ),
    DemoArticle(
        "Office Wi-Fi: Staff and Guest networks", "nick", "Network", ArticleKind.FAQ, Audience.PUBLIC,
        "**Which network should I use?** Company laptops join *Staff* automatically. Phones and visitors "
        "use *Guest*.\n\n"
        "**Where is the Guest password?** It changes every Monday; reception has the card, and the "
        "intranet's front page shows the current one.\n\n"
        "**The Wi-Fi is slow in the canteen at lunchtime.** Two access points serve it since October; "
        "report it if it is still slow.",
    ),
    DemoArticle(
        "Adding a shared mailbox in Outlook", "paula", "E-mail", ArticleKind.HOW_TO, Audience.PUBLIC,
        "Shared mailboxes you have access to appear in Outlook by themselves within an hour. To add one "
        "by hand: **File > Account settings > Change > More settings > Advanced > Add**, type the "
        "mailbox's name and restart Outlook. If Outlook closes when you open it, remove it and add it "
        "again with *Download shared folders* unticked.",
    ),
    DemoArticle(
        "Clearing a stuck print queue on the print server", "dana", "Hardware", ArticleKind.HOW_TO,
        Audience.INTERNAL,
        "Sign in to PRN-SRV1 with your admin account. In **Print Management > Printers**, open the "
        "printer's queue, delete the job in *Error*, then restart the *Print Spooler* service "
        "(`Restart-Service Spooler`). Ask the reporter not to resend their documents: the waiting jobs "
        "print once the queue moves.",
    ),
    DemoArticle(
        "Handling a reported phishing e-mail", "sam", "Security", ArticleKind.HOW_TO, Audience.INTERNAL,
        "1. Ask whether anyone clicked the link or opened the attachment, and log a Security incident.\n"
        "2. Block the sender's domain in the mail filter and purge the message from all mailboxes.\n"
        "3. If someone typed their password: force a reset, revoke their sessions and review their "
        "sign-ins for the last 48 hours.",
    ),
]


def seed(users: Mapping[str, object]) -> int:
    """Create the demo's knowledge base where missing. Returns how many items were added."""
    categories = _categories(users[PUBLISHER])
    added = 0
    for spec in KNOWN_ERRORS:
        if KnownError.objects.filter(title=spec.title).exists():
            continue
        item = known_error_create(
            user=users[spec.author], title=spec.title, symptoms=spec.symptoms, root_cause=spec.root_cause,
            workaround=spec.workaround, category=categories[spec.category], affected_service=spec.service,
            public=spec.public,
        )
        _through_review(item, author=users[spec.author], publisher=users[PUBLISHER], state=spec.state)
        added += 1
    for spec in ARTICLES:
        if Article.objects.filter(title=spec.title).exists():
            continue
        item = article_create(user=users[spec.author], title=spec.title, body=spec.body, kind=spec.kind,
                              audience=spec.audience, category=categories[spec.category])
        _through_review(item, author=users[spec.author], publisher=users[PUBLISHER], state=State.PUBLISHED)
        added += 1
    return added


def _categories(user) -> dict[str, Category]:
    """The knowledge base's own categories. They have no service: the admin saves them as they are."""
    found = {c.name: c for c in Category.objects.filter(name__in=CATEGORIES)}
    for name in CATEGORIES:
        if name not in found:
            category = Category(name=name)
            category._history_user = user
            category.save()
            found[name] = category
    return found


def _through_review(item: KnownError | Article, *, author, publisher, state: str) -> None:
    """The author sends it for review; someone else publishes it (four eyes)."""
    item = transition(item=item, user=author, name="submit")
    if state == State.PUBLISHED:
        transition(item=item, user=publisher, name="publish")
