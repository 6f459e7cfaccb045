"""Many realistic published known errors, fast: for latency measurements at 10k rows and demos.

The text is composed from IT-support vocabulary (products, what goes wrong, when, why, what to
do), so the search index sees the same kind of words, in the same proportions, as a real
knowledge base: a few words everywhere ("error", "users"), many rare ones (error codes, sites).
"""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from . import search_index
from .matching import vocabulary
from .models import Category, FixStatus, KnownError
from .workflow import State

# (product, affected service, category)
PRODUCTS = [
    ("Outlook", "E-mail", "E-mail & collaboration"), ("Teams", "Microsoft Teams", "E-mail & collaboration"),
    ("Zoom", "Zoom", "E-mail & collaboration"), ("OneDrive", "OneDrive", "E-mail & collaboration"),
    ("SharePoint", "SharePoint", "E-mail & collaboration"), ("the VPN client", "Remote access VPN", "Network"),
    ("the office Wi-Fi", "Office Wi-Fi", "Network"), ("the proxy", "Web browsing", "Network"),
    ("Citrix Workspace", "Virtual desktop", "Network"), ("Remote Desktop", "Remote desktop", "Network"),
    ("SAP GUI", "ERP", "Business applications"), ("the payroll portal", "Payroll", "Business applications"),
    ("the CRM", "CRM", "Business applications"), ("the expenses app", "Expenses", "Business applications"),
    ("the HR portal", "HR system", "Business applications"), ("Chrome", "Web browsing", "Software"),
    ("Edge", "Web browsing", "Software"), ("Excel", "Microsoft 365", "Software"), ("Word", "Microsoft 365", "Software"),
    ("Acrobat", "Adobe", "Software"), ("Windows Update", "Workstations", "Software"),
    ("the docking station", "Workplace equipment", "Hardware"), ("the laptop battery", "Laptops", "Hardware"),
    ("the USB headset", "Workplace equipment", "Hardware"), ("the follow-me printer", "Printing", "Printing"),
    ("the label printer", "Printing", "Printing"), ("the softphone", "Telephony", "Telephony"),
    ("the authenticator app", "Multi-factor authentication", "Identity & access"),
    ("single sign-on", "Single sign-on", "Identity & access"), ("the password reset page", "Accounts",
                                                                "Identity & access"),
    ("the backup agent", "Backup", "Infrastructure"), ("the file share", "File shares", "Infrastructure"),
    ("the order database", "Order management", "Databases"), ("the reporting replica", "Reporting", "Databases"),
    ("the build agents", "Build agents", "Developer platform"), ("git over SSH", "Source control",
                                                                "Developer platform"),
    ("the company portal app", "Mobile devices", "Mobile devices"), ("BitLocker", "Endpoint security", "Security"),
]
FAILURES = [
    ("crashes when {action}", "closes without a message when {action}"),
    ("shows error {code} after {event}", "fails with error {code} since {event}"),
    ("is very slow during {period}", "takes minutes to respond during {period}"),
    ("cannot connect to {target}", "reports that {target} cannot be reached"),
    ("asks for credentials repeatedly after {event}", "keeps prompting for the password since {event}"),
    ("does not start after {event}", "stays on a blank window after {event}"),
    ("loses its settings after {event}", "comes back with default settings after {event}"),
    ("disconnects every {minutes} minutes", "drops the connection every {minutes} minutes"),
    ("shows a certificate warning for {target}", "reports an untrusted certificate for {target}"),
    ("reports the disk is full on {site} devices", "runs out of storage on {site} devices"),
]
ACTIONS = ["printing a report", "opening a shared file", "exporting to Excel", "joining a meeting",
           "attaching a large file", "switching accounts", "resuming from sleep", "docking the laptop",
           "uploading a photo", "searching the archive", "sharing the screen", "syncing the calendar"]
EVENTS = ["the monthly patch", "the password change", "the upgrade to version {version}", "the office move",
          "the tenant migration", "the firewall change", "the driver update", "the new badge roll-out",
          "the certificate renewal", "daylight saving time"]
PERIODS = ["month-end closing", "the morning log-on peak", "the nightly batch", "the weekly full scan",
           "payroll runs", "large video calls", "the backup window"]
TARGETS = ["the {site} file server", "the licence server", "the print server", "the mail relay",
           "the identity provider", "the {site} gateway", "the internal package mirror", "the reporting database"]
SITES = ["Berlin", "Leeds", "Lyon", "Madrid", "Oslo", "Porto", "Dublin", "Vienna", "Gdansk", "Turin", "Ghent", "Brno"]
CAUSES = [
    "A regression in build {version} of {product}.", "The {site} gateway certificate expired.",
    "A group policy from the old domain still applies on {site} devices.",
    "The service account used by {product} had its password rotated.",
    "The cache of {product} is corrupted after an interrupted update.",
    "Too few licences are assigned to the {site} office.",
    "A firewall rule added during the change on {site} blocks the port.",
    "The vendor changed the default timeout to {minutes} minutes.",
]
WORKAROUNDS = [
    "1. Close {product}.\n2. Clear its cache folder.\n3. Start it again and sign in.",
    "Restart the device while connected to the office network, then run `gpupdate /force`.",
    "Use the web version of {product} until the fix is deployed.",
    "Reinstall {product} from Software Center (version {version}).",
    "Connect through the {site} gateway instead of the default one.",
    "Ask the service desk to reset the profile; your files are kept.",
    "Sign out everywhere, remove the saved credentials and sign in once.",
]


def _version(rng: random.Random) -> str:
    return f"{rng.randint(1, 24)}.{rng.randint(0, 12)}"


def _fill(template: str, rng: random.Random, product: str) -> str:
    def pick(options: list[str]) -> str:
        return rng.choice(options).format(site=rng.choice(SITES), version=_version(rng))

    code = f"0x{rng.randrange(16 ** 8):08X}" if rng.random() < 0.5 else str(rng.randrange(100, 9999))
    return template.format(
        action=pick(ACTIONS), event=pick(EVENTS), period=pick(PERIODS), target=pick(TARGETS),
        site=rng.choice(SITES), product=product, minutes=rng.choice([15, 30, 45, 60, 90]), code=code,
        version=_version(rng),
    )


def _known_error(rng: random.Random, categories: dict[str, Category], now, user) -> KnownError:
    product, service, category = rng.choice(PRODUCTS)
    short, long = rng.choice(FAILURES)
    title = _fill(f"{product[0].upper()}{product[1:]} {short}", rng, product)
    symptoms = (f"Users in {rng.choice(SITES)} report that {product} {_fill(long, rng, product)}. "
                f"It started {rng.choice(['this week', 'after the weekend', 'two days ago', 'on Monday'])} "
                f"and affects {rng.choice(['a few', 'several', 'most', 'all'])} users.")
    return KnownError(
        state=State.PUBLISHED, title=title[:200], symptoms=symptoms,
        root_cause=_fill(rng.choice(CAUSES), rng, product), workaround=_fill(rng.choice(WORKAROUNDS), rng, product),
        category=categories[category], affected_service=service, public=rng.random() < 0.6,
        fix_status=rng.choice(FixStatus.values), created_by=user, created_at=now, published_at=now,
    )


def generate_known_errors(n: int, seed: int = 0, *, user=None, batch_size: int = 1000) -> list[int]:
    """Create `n` published known errors (with a history row each) and index them. Returns their ids.

    The same seed gives the same texts."""
    rng = random.Random(seed)
    now = timezone.now()
    ids: list[int] = []
    with transaction.atomic():
        categories = {name: Category.objects.get_or_create(name=name)[0] for name in sorted({p[2] for p in PRODUCTS})}
        for start in range(0, n, batch_size):
            batch = [_known_error(rng, categories, now, user) for _ in range(min(batch_size, n - start))]
            created = bulk_create_with_history(
                batch, KnownError, batch_size=batch_size, default_user=user,
                default_change_reason="Generated", default_date=now,
            )
            ids += [item.pk for item in created]
        # bulk_create sends no post_save signal: index the new rows explicitly.
        search_index.sync(KnownError, ids)
    search_index.analyze()
    vocabulary.clear()
    return ids
