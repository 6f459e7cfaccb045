"""Words people use interchangeably for the same thing in IT support ("notebook" for laptop,
"inbox" for mailbox). A typed word also searches for its synonyms, at a lower weight, so a known
error written with one word is found by a text written with another.

Keep it general vocabulary, not phrasings of particular known errors: those belong in the known
error's own text, where the author can put them.
"""

from __future__ import annotations

# Each line is a group of words that mean the same here. A hyphenated form ("wi-fi") is searched as
# the two words next to each other, which is how both databases index "Wi-Fi".
_GROUPS = """
laptop notebook computer pc
monitor screen display
mailbox inbox
email mail e-mail
phone mobile smartphone cellphone handset
wifi wireless wlan wi-fi
password passcode pwd passwd
touchpad trackpad
headset headphones earphones earbuds
microphone mic
webcam camera cam
printer copier mfp photocopier
print printout printouts printing
slow sluggish laggy
vpn tunnel globalprotect anyconnect forticlient
login logon signin
mfa 2fa otp
disk hdd ssd storage
reboot restart restarted rebooted
gibberish garbled garbage scrambled
hot warm overheat overheating heat
swollen bulging swelling bloated
bounce bounced bounces undeliverable ndr
certificate cert certs
expired expiry expiration lapsed
audio sound
lockout locked
folder directory
ethernet wired lan
app application program software
update upgrade patch
dns nslookup lookup
install installation installer
freeze freezes frozen hangs hang
shared shares share
""".strip().splitlines()

# A specific word also searches for its general one, not the other way round ("iphone" finds
# known errors about phones; "phone" should not pull in everything about iPhones first).
_BROADER = {
    "iphone": ("phone", "ios"),
    "ipad": ("tablet", "ios"),
    "samsung": ("phone", "android"),
    "pixel": ("phone", "android"),
    "macbook": ("mac", "laptop"),
    "imac": ("mac",),
    "thinkpad": ("laptop",),
    "latitude": ("laptop",),
    "outlook": ("mail",),
    "gmail": ("mail",),
    "boardroom": ("meeting", "room"),
    "backpack": ("bag",),
}

SYNONYMS: dict[str, tuple[str, ...]] = {}
for _line in _GROUPS:
    _words = _line.split()
    for _word in _words:
        SYNONYMS[_word] = tuple(w for w in _words if w != _word)
for _word, _broader in _BROADER.items():
    SYNONYMS[_word] = tuple(dict.fromkeys((*SYNONYMS.get(_word, ()), *_broader)))


def synonyms_of(word: str) -> tuple[str, ...]:
    found = SYNONYMS.get(word)
    if found is None and len(word) > 3 and word.endswith("s"):
        found = SYNONYMS.get(word[:-1])
    return found or ()
