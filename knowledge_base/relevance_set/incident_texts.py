"""Incident texts the way people type them into the portal or an agent notes them from a call:
paraphrases, typos, one-liners and long stories. Each is labelled with the known error that a
desk agent would link it to."""

from .schema import IncidentText as T

INCIDENT_TEXTS = [
    # VPN
    T("vpn error 809", "vpn-809"),
    T("Hi, working from home today and the VPN won't connect. It sits on connecting for ages and then says "
      "error 809 something about the network connection between my computer and the server. Tried restarting "
      "the router, no luck.", "vpn-809"),
    T("my vpn keeps kicking me out every hour on the dot, lost a call with a customer again", "vpn-hourly-drop"),
    T("VPN disconects after aprox 1 hour, have to reconect each time", "vpn-hourly-drop"),
    T("vpn says connected but I cannot open the intranet or any of our internal servers, google works fine",
      "vpn-no-internal-dns"),
    T("On VPN but internal hostnames don't resolve - server not found for fileserver", "vpn-no-internal-dns"),
    T("VPN: certificate validation failure. Laptop has been in a drawer since march.", "vpn-client-cert-expired"),
    T("updated my macbook to the latest macos and now the vpn app crashes when I open it", "vpn-macos-update"),
    T("Teams calls are terrible when I'm on the VPN, choppy audio and frozen video. without vpn its ok",
      "vpn-split-tunnel-teams"),
    T("can't log in to vpn - it says maximum sessions reached but I only have my laptop", "vpn-max-sessions"),
    T("at the hotel, wifi needs a login page but vpn keeps trying and I never get the page", "vpn-hotel-captive"),
    T("vpn authentication timed out before I could approve on my phone", "vpn-mfa-push-timeout"),
    T("ubuntu laptop, openconnect connects fine but dns still goes to my home router so internal names fail",
      "vpn-linux-dns"),

    # DNS
    T("since the server migration last night some of us still land on the old server, nslookup gives the old ip",
      "dns-stale-record"),
    T("intranet works in the office but from home i get a certificate error and some weird page",
      "dns-split-brain-intranet"),
    T("every website takes like 5 seconds before it starts loading, whole office, then its fast",
      "dns-resolver-overload"),
    T("supplier portal gives DNS_PROBE_FINISHED_NXDOMAIN from our network, works on my phone 4g",
      "dns-dnssec-vendor"),
    T("can reach the scanner by ip but not by its name since the dhcp server changed", "dns-printer-name"),
    T("http://wiki doesn't work anymore, I have to type the whole wiki.corp.example.com", "dns-suffix-shortnames"),
    T("only my laptop opens the old test version of the timesheet app, colleagues get the right one",
      "dns-hosts-file"),

    # Wi-Fi
    T("CorpWiFi asks me to trust a certificate and then keeps asking for my password", "wifi-cert-prompt"),
    T("wifi keeps dropping in the big meeting rooms on 3rd floor when everyone is there",
      "wifi-drops-meeting-rooms"),
    T("after opening the lid my laptop shows no internet until I turn wifi off and on", "wifi-driver-intel"),
    T("visitor says the guest wifi voucher from reception is invalid", "wifi-guest-voucher"),
    T("our old label printer and the warehouse tablets can't find the wifi network anymore",
      "wifi-5ghz-old-devices"),
    T("changed my password and now my phone won't join the office wifi and my account got locked",
      "wifi-password-change"),
    T("connected to wifi but no internet, ip address starts with 169.254, it's 9am rush", "wifi-dhcp-exhausted"),

    # Certificates
    T("intranet says your connection is not private, NET::ERR_CERT_DATE_INVALID", "cert-intranet-expired"),
    T("The nightly bank and payroll integration jobs failed with SSL handshake failed, certificate expired "
      "in the log", "cert-api-client-expiry"),
    T("only in firefox I get SEC_ERROR_UNKNOWN_ISSUER on internal pages", "cert-root-ca-firefox"),
    T("pip install fails with certificate verify failed self signed certificate in certificate chain at the office",
      "cert-tls-inspection"),
    T("can't send encrypted email, outlook says my digital id can't be found", "cert-smime-expired"),
    T("all https websites show certificate errors on this one pc and the date on it is 2009", "cert-clock-skew"),
    T("apps using ldaps can't log users in since this morning, cannot contact LDAP server certificate unknown",
      "cert-ldaps-renewal"),

    # Remote desktop / Citrix
    T("remote desktop to the app server: an authentication error has occurred, CredSSP encryption oracle",
      "rdp-nla-error"),
    T("citrix desktop won't launch, downloads an ica file and nothing happens", "citrix-receiver-old"),
    T("virtual desktop black screen after login then disconnects", "citrix-black-screen"),
    T("rdp only uses one of my two monitors", "rdp-multi-monitor"),
    T("copy paste between citrix and my laptop doesnt work", "citrix-clipboard"),

    # E-mail
    T("outlook keeps asking for my password over and over, webmail is fine", "mail-outlook-password-loop"),
    T("Outlook pasword prompt keeps poping up after I changed my password yesterday",
      "mail-outlook-password-loop"),
    T("outlook says the data file reached maximum size and no new mails come in", "mail-ost-full"),
    T("I can't send emails, it says my mailbox is full / over its size limit", "mail-mailbox-quota"),
    T("I was given access to the invoices shared mailbox yesterday but it doesn't show in outlook",
      "mail-shared-mailbox-missing"),
    T("customer sent a zip file and the attachment was removed from the email", "mail-attachment-blocked"),
    T("Outlook crashes straight after the splash screen since the office update, safe mode works",
      "mail-outlook-crash-addin"),
    T("outlok crashing on start", "mail-outlook-crash-addin"),
    T("emails from customers arrive hours late, internal ones are instant", "mail-delayed-external"),
    T("search in outlook finds nothing, says indexing", "mail-search-not-working"),
    T("work mail on my iphone stopped syncing, says cannot get mail", "mail-phone-sync"),
    T("got an email from our director asking me to buy gift cards urgently, looks fake", "mail-spoofed-ceo"),

    # Teams / Zoom
    T("nobody can hear me in teams meetings, mic not detected but headset works in other apps",
      "teams-mic-not-detected"),
    T("teams micropone not working, colleagues cant hear me", "teams-mic-not-detected"),
    T("remote people hear an echo of themselves when we join from the meeting room speakerphone",
      "teams-echo-speakerphone"),
    T("zoom sound is muffled and tinny when I use my bluetooth headphones", "zoom-audio-bluetooth"),
    T("camera doesn't work in teams - says it's being used by another application", "teams-camera-in-use"),
    T("when I share my screen in Teams the others only see black", "teams-screen-share-black"),
    T("teams calls don't ring, I only see the popup", "teams-no-sound-notifications"),
    T("cant sign in to zoom with company sso, says account deactivated", "zoom-sso-login"),
    T("voices sound robotic and keep cutting out in Teams on the office wifi", "teams-audio-robotic"),
    T("my teams status always shows away even when I'm working", "teams-status-stuck"),

    # Calendar
    T("meeting room invitation keeps getting declined automatically", "cal-room-not-accepting"),
    T("since the clocks changed some recurring meetings are an hour off", "cal-timezone-shift"),
    T("as an assistant I can't accept meetings for my boss anymore, no permission", "cal-delegate-cannot-edit"),
    T("the tablet outside meeting room 2.14 says offline", "cal-room-display-offline"),

    # Printers
    T("print jobs stuck in queue and printer shows offline", "print-queue-stuck"),
    T("printer offline agian, documents stuck in the queue with error printing", "print-queue-stuck"),
    T("my badge doesn't work on the printer card reader, unknown card, I just got a new badge",
      "print-follow-me-badge"),
    T("since the windows update the printer prints pages of weird characters", "print-driver-after-update"),
    T("scan to email on the copier fails with smtp authentication failed", "print-scan-to-email"),
    T("mac print queue says hold for authentication", "print-mac-authentication"),
    T("floor 2 kitchen printer says paper jam tray 2 but there's no paper stuck", "print-paper-jam-tray2"),
    T("colour printing greyed out, everything prints black and white", "print-colour-disabled"),
    T("warehouse label printer printing blank labels after changing the roll", "print-label-printer"),

    # Peripherals and docks
    T("wireless keyboard lagging and missing letters, mouse jumping around", "periph-keyboard-lag"),
    T("usb stick not showing up or access denied when copying files to it", "periph-usb-blocked"),
    T("external monitors say no signal when I plug the laptop into the dock, it does charge", "dock-monitors-black"),
    T("docking station screens black after the bios update", "dock-monitors-black"),
    T("laptop says plugged in not charging on the usb-c dock", "dock-no-charging"),
    T("no network cable connection through the dock, wifi works", "dock-network-no"),
    T("second screen is blurry, low resolution when using the dock", "dock-resolution"),
    T("keyboard and headset on the dock keep disconnecting every few minutes", "dock-usb-disconnect"),
    T("new thunderbolt dock asks to approve device and does nothing", "dock-thunderbolt-auth"),
    T("sound comes out of the monitor instead of my headset when docked", "dock-audio-output"),

    # Battery and power
    T("laptop touchpad is raised and the case is bulging, is the battery swollen?", "battery-swollen"),
    T("laptop battery dead every morning and the bag is hot although I closed the lid", "battery-drain-sleep"),
    T("battery stops charging at 80%", "battery-wont-charge-80"),
    T("my laptop battery only lasts about an hour now", "battery-short-life"),
    T("laptop shuts off suddenly during video calls, fan very loud", "battery-overheat-shutdown"),

    # Telephony
    T("softphone: I can hear callers but they can't hear me when I work from home", "tel-softphone-one-way"),
    T("desk phone stuck on registering, no dial tone", "tel-desk-phone-no-dialtone"),
    T("voicemail pin expired", "tel-voicemail-pin"),

    # SSO
    T("expense tool sso: invalid saml response notbefore condition", "sso-saml-clock"),
    T("login page keeps reloading in a loop then too many redirects", "sso-redirect-loop"),
    T("AADSTS50105 when I open the new analytics app", "sso-new-app-not-assigned"),
    T("our external partner can't log in with the guest invite, account does not exist in tenant",
      "sso-guest-account"),
    T("intranet pops up a username/password box instead of logging me in automatically", "sso-kerberos-intranet"),
    T("HR system and wiki both fail sign in since this morning: invalid signature on SAML response",
      "sso-certificate-rotation"),

    # MFA
    T("got a new phone and the authenticator app is empty, can't sign in", "mfa-new-phone"),
    T("new phone, lost my MFA codes", "mfa-new-phone"),
    T("no push notification for sign in approval on my android phone, have to open the app",
      "mfa-push-not-arriving"),
    T("getting lots of approve sign-in requests on my phone that I didn't start", "mfa-fatigue"),
    T("authenticator code is always rejected as invalid", "mfa-code-invalid-time"),
    T("I'm in the US this week and the text message codes never arrive", "mfa-sms-abroad"),
    T("sign in asks me to enter a number but there's no number on the screen", "mfa-number-matching"),

    # Passwords and accounts
    T("my password expired while working from home and now I can't log in to my laptop", "pwd-expired-remote"),
    T("pasword expired at home, changed it online but laptop still wants the old one", "pwd-expired-remote"),
    T("my account keeps getting locked several times a day since I changed my password", "pwd-lockout-old-device"),
    T("Account locked out again!!! third time today", "pwd-lockout-old-device"),
    T("forgot password page says I'm not registered", "pwd-self-service-not-registered"),
    T("new password keeps being rejected, doesnt meet requirements but it has everything",
      "pwd-complexity-rejected"),
    T("back from parental leave and my account is disabled", "pwd-disabled-leaver"),
    T("mac keeps asking for login keychain password after password change", "pwd-keychain-mac"),

    # Licences and security software
    T("word says unlicensed product and I can't edit", "lic-office-unlicensed"),
    T("acrobat pro says my trial expired", "lic-adobe-expired"),
    T("cad software: no license available", "lic-cad-server"),
    T("antivirus deleted my excel with macros, says threat removed", "av-false-positive-macro"),
    T("laptop super slow on monday mornings, antimalware service executable using cpu", "av-high-cpu-scan"),
    T("business website blocked as uncategorised", "av-web-filter-category"),
    T("laptop asks for bitlocker recovery key at startup", "av-encryption-recovery"),

    # Storage
    T("C drive is full, low disk space warning and I can't save", "disk-c-full-laptop"),
    T("disk full on my laptop, red bar", "disk-c-full-laptop"),
    T("cannot save to H drive not enough space", "disk-home-quota"),
    T("report failed: could not allocate space in tempdb filegroup is full", "disk-db-tempdb"),
    T("mac says startup disk almost full, system data 120GB", "disk-mac-system-data"),
    T("ci build failed no space left on device", "disk-docker-full"),
    T("can't upload to our team site, it says the site has run out of storage", "disk-sharepoint-storage"),

    # Databases
    T("saving an order failed: transaction was deadlocked and chosen as the deadlock victim", "db-deadlock-orders"),
    T("month end close: finance system hangs, lock wait timeout exceeded when posting", "db-lock-timeout-month-end"),
    T("customer portal error 500 at peak, logs say too many connections", "db-connection-pool"),
    T("dashboard doesn't show today's orders, data is hours old", "db-replica-lag"),
    T("warehouse scanners very slow when the stock report is running", "db-blocking-report"),
    T("duplicate key value violates unique constraint invoice_number when creating an invoice",
      "db-sequence-duplicate-key"),
    T("excel report refresh fails: login failed for user", "db-access-denied-reporting"),

    # Backups
    T("nightly backup of the file servers failed with VSS writer timeout", "backup-vss-error"),
    T("restored my laptop and my desktop files were not backed up", "backup-laptop-onedrive"),
    T("weekly tape backup failed, drive offline", "backup-tape-library"),
    T("files restored from backup give access denied to the team", "backup-restore-permissions"),
    T("cloud backup failing storage quota exceeded, last good backup 4 days ago", "backup-cloud-quota"),
    T("transaction log for database is full due to LOG_BACKUP", "backup-database-log-full"),

    # SharePoint / OneDrive / file shares
    T("link from colleague says I need permission to access this item", "sp-access-denied-link"),
    T("can't share a sharepoint folder with our external auditor, policy doesn't allow", "sp-external-sharing-blocked"),
    T("new person in the team can see the channel but gets access denied on some folders in files",
      "sp-permission-inheritance"),
    T("onedrive has been stuck on processing changes since yesterday", "od-sync-stuck"),
    T("I now have two copies of each file with my laptop name in it", "od-sync-conflict"),
    T("word file locked for editing by a colleague who left hours ago", "sp-check-out-locked"),
    T("teams files tab: we can't get your files", "sp-teams-files-not-loading"),
    T("colleague overwrote our shared document, need yesterday's version back", "sp-version-restore"),
    T("S: and T: drives missing when I log in from home", "share-drive-not-mapped"),
    T("access denied on a folder on the department share but colleagues can open it", "share-access-denied-new-folder"),
    T("cant delete folder on share, file name is too long", "share-path-too-long"),

    # Business and developer applications
    T("SAP crashes when I export a list to excel", "erp-sap-gui-crash"),
    T("payslip pdf asks for a password", "payroll-payslip-pdf"),
    T("track in crm button gone from outlook", "crm-outlook-plugin"),
    T("expenses app says file type not supported when uploading receipt photo from iphone",
      "expenses-receipt-upload"),
    T("git push permission denied publickey", "dev-git-ssh-key"),
    T("pipelines pending forever, no runner available", "dev-ci-runner-offline"),
    T("npm install 403 forbidden from internal mirror", "dev-artifact-proxy"),
    T("docker pull toomanyrequests rate limit in the build", "dev-docker-rate-limit"),
    T("wsl has no internet when vpn is on", "dev-wsl-vpn"),

    # Operating system and browsers
    T("windows update stuck at working on updates 30% for 2 hours", "os-update-stuck"),
    T("laptop restarted by itself in the middle of the day for updates, lost my work", "os-restart-nag"),
    T("login takes forever, preparing windows", "os-slow-login"),
    T("blue screen VIDEO_TDR_FAILURE when I connect my screens", "os-bluescreen-driver"),
    T("start menu won't open, taskbar frozen", "os-start-menu-frozen"),
    T("time recording site only works in internet explorer", "browser-ie-mode"),
    T("nothing happens when I click the button, pop-up blocked", "browser-popups-blocked"),
    T("after the update the web app layout is broken, buttons missing", "browser-cache-old-version"),
    T("downloads fail with virus detected", "browser-download-blocked"),

    # Mobile
    T("can't enrol my new phone in company portal: device limit reached", "mdm-enrol-fail"),
    T("company portal says my phone OS is too old, work apps stopped", "mdm-noncompliant-os"),
    T("I lost my work phone on the train", "mdm-lost-phone"),
    T("hotspot greyed out on company phone", "mdm-hotspot-blocked"),

    # Long, rambling ones
    T("Good morning, since I came back from holiday I have a couple of problems. The main one is that Outlook "
      "keeps popping up a window asking for my password. I type it in, it disappears and 5 minutes later it is "
      "back. I can read my mail in the browser without problems. I also changed my password last week because "
      "it expired. Could someone please have a look? Thanks, Maria", "mail-outlook-password-loop"),
    T("Hello service desk, I'm travelling for a customer workshop and staying at a hotel. The hotel wifi has one "
      "of those pages where you accept the terms but I never see it, because the VPN starts automatically and "
      "keeps saying reconnecting. I need to present tomorrow morning. Any help appreciated.",
      "vpn-hotel-captive"),
    T("When I connect my laptop to the docking station at my desk, the two external monitors stay black and say "
      "no signal. The laptop charges, so the dock has power. This started after the laptop installed a BIOS "
      "update on Friday. Unplugging the cable and plugging it back does not help. I have been working on the "
      "small laptop screen all morning.", "dock-monitors-black"),
    T("Dear IT, our accounts team cannot post journals today. It's the last working day of the month and the "
      "finance system just hangs for a minute and then gives an error about a lock wait timeout. This is blocking "
      "the closing. Please treat as urgent.", "db-lock-timeout-month-end"),
    T("hey so my phone died and i got a new one from the shop, set up whatsapp etc but the microsoft "
      "authenticator thing has nothing in it and when i try to log in on my laptop it wants me to approve on "
      "the app... which has no accounts. how do i get back in", "mfa-new-phone"),
    T("I'm getting a message in Outlook about my mailbox being almost full and now people tell me their emails "
      "bounce back saying my mailbox is full. I have a lot of attachments from the last project. What should I "
      "delete?", "mail-mailbox-quota"),
    # Harder: the user's own words, little overlap with how the known error is written, typos.
    T("cant get on the company network from my flat, the remote access thing fails straight away with 809",
      "vpn-809"),
    T("remote acess keeps droping out, always after about an hour", "vpn-hourly-drop"),
    T("tunnel is up but \\\\fileserver cannot be found and the intranet page won't load", "vpn-no-internal-dns"),
    T("globalprotect/anyconnect whatever it is gone after I did the apple software update", "vpn-macos-update"),
    T("My voice breaks up in customer calls whenever I'm connected to the corporate network from home",
      "vpn-split-tunnel-teams"),
    T("the airport internet wants me to click accept on a page but the page never appears", "vpn-hotel-captive"),
    T("websites very sluggish to open for everyone here, seems like name lookup", "dns-resolver-overload"),
    T("wireless keeps saying the certificate is not trusted on the office network", "wifi-cert-prompt"),
    T("laptop loses internet every time I wake it up, have to toggle the wireless", "wifi-driver-intel"),
    T("ipconfig shows 169.254.x.x in the morning on the wireless", "wifi-dhcp-exhausted"),
    T("browser warning on our intranet: the security certificate expired", "cert-intranet-expired"),
    T("outlook nags me for credentials non stop", "mail-outlook-password-loop"),
    T("outllok asks for my pasword constantly", "mail-outlook-password-loop"),
    T("emails bounce back to senders saying my inbox is too big", "mail-mailbox-quota"),
    T("I don't see the finance team mailbox in my folders even though my manager approved it",
      "mail-shared-mailbox-missing"),
    T("outlook won't open at all since this morning's update, closes right away", "mail-outlook-crash-addin"),
    T("clients complain their mails take half a day to reach us", "mail-delayed-external"),
    T("my iphone shows no new work emails since friday", "mail-phone-sync"),
    T("people in the meeting say they can't hear anything I say, headset is plugged in", "teams-mic-not-detected"),
    T("when we dial in from the boardroom the remote side hears themselves twice", "teams-echo-speakerphone"),
    T("my webcam shows black in teams, zoom was open earlier", "teams-camera-in-use"),
    T("presenting my desktop in a teams meeting - attendees see nothing but a black picture",
      "teams-screen-share-black"),
    T("colleagues say I sound like a robot on teams when I'm in the office on wireless", "teams-audio-robotic"),
    T("printer says offline and nothing comes out, jobs piling up", "print-queue-stuck"),
    T("the copier does not send my scans to my mailbox anymore", "print-scan-to-email"),
    T("printouts full of gibberish symbols since updates were installed on friday", "print-driver-after-update"),
    T("new access card not accepted at the printer to release my prints", "print-follow-me-badge"),
    T("screens connected to my dock show nothing, laptop screen works", "dock-monitors-black"),
    T("the dock does not charge my laptop fully, says slow charger", "dock-no-charging"),
    T("my notebook got thicker, the trackpad is lifting up", "battery-swollen"),
    T("battery flat after leaving the laptop closed in my backpack overnight", "battery-drain-sleep"),
    T("notebook turns off by itself when it gets warm", "battery-overheat-shutdown"),
    T("people calling my softphone can't hear me, I can hear them fine, home office", "tel-softphone-one-way"),
    T("browser goes back and forth between the sign in page and the app forever", "sso-redirect-loop"),
    T("error says I'm not assigned to the application when I try to log on", "sso-new-app-not-assigned"),
    T("replaced my mobile, authenticator has no accounts now", "mfa-new-phone"),
    T("the approval notification for signing in never shows up on my samsung", "mfa-push-not-arriving"),
    T("someone keeps sending me login approval prompts at night, I didn't request them", "mfa-fatigue"),
    T("the 6 digit code from the app never works", "mfa-code-invalid-time"),
    T("my windows password ran out while I was at home and now I'm stuck on the login screen",
      "pwd-expired-remote"),
    T("locked out repeatedly after I changed my password on monday", "pwd-lockout-old-device"),
    T("excel opens read only and has a red banner about licensing", "lic-office-unlicensed"),
    T("recovery key screen when turning on my laptop", "av-encryption-recovery"),
    T("no space left on my computer, can't install anything", "disk-c-full-laptop"),
    T("personal network drive full", "disk-home-quota"),
    T("order could not be saved, message mentions deadlock", "db-deadlock-orders"),
    T("the portal throws server errors at lunch time, database connection limit", "db-connection-pool"),
    T("backup job of the file server failed last night snapshot error", "backup-vss-error"),
    T("need permission message when opening the link my colleague sent", "sp-access-denied-link"),
    T("onedrive sync not finishing, blue arrows on all my files", "od-sync-stuck"),
    T("document is locked by a coworker who isn't even editing it", "sp-check-out-locked"),
    T("mapped drives don't show up when I work from home", "share-drive-not-mapped"),
    T("shared drive folder says access denied but my colleagues can get in, access was granted today",
      "share-access-denied-new-folder"),
    T("sap closes when printing an invoice", "erp-sap-gui-crash"),
    T("the receipt picture from my iphone isn't accepted by the expenses app", "expenses-receipt-upload"),
    T("git clone over ssh says publickey denied", "dev-git-ssh-key"),
    T("my pc rebooted on its own during a meeting to install updates", "os-restart-nag"),
    T("the old timesheet website shows blank forms in chrome", "browser-ie-mode"),
    T("company portal won't let me add my new phone, too many devices", "mdm-enrol-fail"),
    T("my bluetooth headphones sound awful in zoom meetings when I talk", "zoom-audio-bluetooth"),
]
