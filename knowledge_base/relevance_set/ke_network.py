"""Known errors: VPN, DNS, Wi-Fi, certificates, remote desktop."""

from .schema import ke

NET = "Network"
SEC = "Security"

KNOWN_ERRORS = [
    # --- VPN ------------------------------------------------------------------------------------
    ke("vpn-809", NET, "Remote access VPN",
       "VPN fails with error 809 behind home broadband routers",
       "The VPN client stops at *Connecting…* and then shows **error 809**: the network connection between "
       "your computer and the VPN server could not be established. Happens on some home routers and hotel networks.",
       "The IKEv2 fallback uses UDP 500/4500 and these routers drop fragmented IKE packets.",
       "1. Open the VPN client settings.\n2. Switch the protocol from *Automatic* to **SSL/TLS (443)**.\n"
       "3. Connect again. If it still fails, use the phone hotspot to confirm it is the router."),
    ke("vpn-hourly-drop", NET, "Remote access VPN",
       "VPN disconnects every 60 minutes and has to be reconnected",
       "The VPN tunnel drops exactly one hour after connecting; calls and file copies are cut. Reconnecting works "
       "for another hour.",
       "The session lifetime on the new VPN gateway was set to 3600 seconds instead of 12 hours during the migration.",
       "Reconnect when it drops; save work on the network drive before the hour is up. The gateway setting is "
       "being corrected in the next change window."),
    ke("vpn-no-internal-dns", NET, "Remote access VPN",
       "Connected to VPN but internal sites and servers do not resolve",
       "The VPN shows *Connected* but intranet pages, `\\\\fileserver` and internal hostnames give "
       "*server not found*. Public websites still work.",
       "The client does not register the corporate DNS servers on Wi-Fi adapters with a manually set DNS (e.g. 8.8.8.8).",
       "Set the Wi-Fi adapter DNS back to *Obtain automatically*, disconnect and reconnect the VPN. "
       "Alternatively run `ipconfig /flushdns` after connecting."),
    ke("vpn-client-cert-expired", NET, "Remote access VPN",
       "VPN login rejected because the machine certificate has expired",
       "The VPN client says *certificate validation failure* or *no valid certificate found* right after entering "
       "credentials. Usually laptops that were not on the office network for months.",
       "The device certificate renews automatically only when the laptop reaches the internal CA; it lapsed while offline.",
       "Bring the laptop to the office (wired network) and run `gpupdate /force`, or ask the service desk for a "
       "one-time certificate renewal through the remote support tool.", public=False),
    ke("vpn-macos-update", NET, "Remote access VPN",
       "VPN client will not start after macOS upgrade",
       "After upgrading macOS the VPN icon is missing or the client crashes on launch; the system extension is "
       "reported as *blocked*.",
       "macOS disables third-party network system extensions after a major upgrade until they are approved again.",
       "Open *System Settings → Privacy & Security*, scroll down and click **Allow** next to the VPN client's system "
       "extension, then restart the Mac."),
    ke("vpn-split-tunnel-teams", NET, "Remote access VPN",
       "Poor Teams call quality while connected to the VPN",
       "Audio is choppy and video freezes in Teams and Zoom meetings only when the VPN is on. Without VPN calls are fine.",
       "Real-time media is sent through the full tunnel to the data centre instead of directly to the internet.",
       "Disconnect the VPN during calls if you don't need internal resources. A split-tunnel rule for media "
       "is planned."),
    ke("vpn-max-sessions", NET, "Remote access VPN",
       "VPN says maximum number of sessions reached",
       "Login to the VPN fails with *maximum sessions reached for this user* although only one device is connected.",
       "Sessions from a laptop that went to sleep are not released on the gateway for 24 hours.",
       "Use the self-service page *My VPN sessions* to end old sessions, or wait 15 minutes after the service desk "
       "clears them."),
    ke("vpn-hotel-captive", NET, "Remote access VPN",
       "VPN cannot connect on hotel or airport Wi-Fi with a login page",
       "On hotel, train or airport Wi-Fi the VPN keeps retrying and the browser never shows the Wi-Fi login page.",
       "The always-on VPN blocks traffic before the captive portal sign-in has been completed.",
       "Choose *Disconnect* → *Captive portal mode* in the VPN menu, open any http website to get the hotel login "
       "page, accept it, then connect the VPN."),
    ke("vpn-mfa-push-timeout", NET, "Remote access VPN",
       "VPN login times out waiting for the MFA approval",
       "After typing the password the VPN waits and then says *authentication timed out*; the phone gets the "
       "approval request late or not at all.",
       "The VPN gateway waits only 15 seconds for the RADIUS answer, shorter than the push round trip on slow phones.",
       "Type the six-digit code from the authenticator app in the *second password* field instead of waiting "
       "for the push."),
    ke("vpn-linux-dns", NET, "Remote access VPN",
       "Linux: VPN connects but DNS keeps using the home router",
       "On Ubuntu and Fedora laptops internal names do not resolve over the VPN because `systemd-resolved` keeps "
       "the local DNS server.",
       "The OpenConnect script does not set routing domains for systemd-resolved.",
       "Run `resolvectl domain tun0 '~corp.example.com'` after connecting, or install the updated vpnc-script "
       "from the software portal."),

    # --- DNS --------------------------------------------------------------------------------------
    ke("dns-stale-record", NET, "DNS",
       "Server moved but users still reach the old IP address",
       "After a server migration some users reach the old server or get a timeout; others are fine. "
       "`nslookup` shows the old address.",
       "The old A record had a TTL of 24 hours and resolvers and client caches keep it until it expires.",
       "Run `ipconfig /flushdns` (Windows) or `sudo dscacheutil -flushcache` (macOS). Ask the service desk to "
       "clear the cache on the office resolvers."),
    ke("dns-split-brain-intranet", NET, "DNS",
       "Intranet address works in the office but not from home",
       "`intranet.example.com` opens in the office but shows a certificate error or a different page from home "
       "without VPN.",
       "The external DNS zone points the name at the public reverse proxy which does not serve the intranet.",
       "Connect the VPN before opening the intranet; the public name will be removed."),
    ke("dns-resolver-overload", NET, "DNS",
       "Websites slow to start loading, DNS lookups take seconds",
       "Every new website takes 3–5 seconds before it starts loading; once open it is fast. Affects the whole office.",
       "The primary office DNS resolver is overloaded and clients wait for its timeout before trying the secondary.",
       "None needed for users; the network team has moved clients to the secondary resolver while the primary is "
       "replaced."),
    ke("dns-dnssec-vendor", NET, "DNS",
       "Supplier portal does not resolve: SERVFAIL",
       "The supplier's portal gives *DNS_PROBE_FINISHED_NXDOMAIN* or *server failure* from the company network "
       "but works on mobile data.",
       "The supplier published broken DNSSEC signatures; validating resolvers reject the answer.",
       "Use the portal from mobile data until the supplier fixes their zone; a negative trust anchor has been "
       "requested.", public=False),
    ke("dns-printer-name", NET, "DNS",
       "Printers and devices not found by name after DHCP change",
       "Devices such as printers and scanners are reachable by IP address but not by their hostname since the DHCP "
       "server was replaced.",
       "The new DHCP server does not register dynamic DNS records for devices.",
       "Use the IP address printed on the device's network status page; the registration setting is being fixed."),
    ke("dns-hosts-file", NET, "DNS",
       "One laptop opens a wrong or old version of an internal site",
       "Only one computer reaches an old test server when opening an internal application; other colleagues are fine.",
       "An entry left in the `hosts` file by a previous project overrides DNS.",
       "Remove the entry for the site from `C:\\Windows\\System32\\drivers\\etc\\hosts` (needs admin rights; the "
       "service desk can do it remotely).", public=False),
    ke("dns-suffix-shortnames", NET, "DNS",
       "Short names like http://wiki do not work any more",
       "Typing short names such as `wiki`, `jira` or `\\\\files` fails, the full name `wiki.corp.example.com` works.",
       "The DNS search suffix list was removed from the DHCP options in the new network design.",
       "Use the full name; bookmarks with short names need updating."),
    ke("dns-ipv6-timeout", NET, "DNS",
       "Some sites time out on the guest network because of IPv6",
       "On the guest Wi-Fi certain websites hang for 30 seconds and then load, or never load.",
       "Clients get IPv6 DNS answers but the guest network has no IPv6 route.",
       "Disable IPv6 on the Wi-Fi adapter temporarily, or use the staff network."),

    # --- Wi-Fi ------------------------------------------------------------------------------------
    ke("wifi-cert-prompt", NET, "Office Wi-Fi",
       "Wi-Fi asks to trust a new certificate when connecting to CorpWiFi",
       "Connecting to the office Wi-Fi shows *Continue connecting? The certificate is not trusted* or keeps "
       "asking for username and password.",
       "The RADIUS server certificate was renewed; devices not managed by IT have the old one pinned.",
       "Forget the CorpWiFi network, then connect again and accept the certificate issued to `radius.corp.example.com`."),
    ke("wifi-drops-meeting-rooms", NET, "Office Wi-Fi",
       "Wi-Fi drops in large meeting rooms on the third floor",
       "Laptops lose Wi-Fi for a few seconds repeatedly in the big meeting rooms on floor 3, especially when the "
       "room is full.",
       "Too few access points for the density; clients roam between two APs on overlapping channels.",
       "Use the wired port under the table in meeting rooms 3.01–3.04. Extra access points are ordered."),
    ke("wifi-driver-intel", NET, "Office Wi-Fi",
       "Laptop Wi-Fi disconnects after waking from sleep",
       "After opening the lid the laptop shows *No internet* or *limited connectivity* until Wi-Fi is switched off "
       "and on again.",
       "A bug in the Intel wireless driver version 22.x with modern standby.",
       "Toggle Wi-Fi off and on. Install the driver update offered in Software Center (Intel Wireless 23.40)."),
    ke("wifi-guest-voucher", NET, "Guest Wi-Fi",
       "Guest Wi-Fi voucher codes rejected",
       "Visitors get *invalid voucher* on the guest Wi-Fi page even with a code printed at reception today.",
       "The voucher printer at reception uses a clock that is an hour behind, so codes are generated as already expired.",
       "Reception can issue a code from the web console instead of the printer."),
    ke("wifi-5ghz-old-devices", NET, "Office Wi-Fi",
       "Older devices cannot see the office Wi-Fi network",
       "Older phones, tablets and label printers no longer list the CorpWiFi network at all.",
       "The 2.4 GHz band was switched off on the new access points; these devices only support 2.4 GHz.",
       "Use the *CorpWiFi-Legacy* network for these devices (ask the service desk for the key).", public=False),
    ke("wifi-password-change", NET, "Office Wi-Fi",
       "Phone no longer connects to Wi-Fi after changing my password",
       "After a password change the phone or tablet fails to join the office Wi-Fi and the account gets locked.",
       "The phone keeps trying the old password saved in the Wi-Fi profile, which locks the account.",
       "Forget the Wi-Fi network on the phone and join again with the new password."),
    ke("wifi-dhcp-exhausted", NET, "Office Wi-Fi",
       "Connected to Wi-Fi but no internet: no IP address in the morning rush",
       "Around 9:00 new arrivals connect to Wi-Fi but get *no internet*; the address starts with `169.254`.",
       "The DHCP scope for the Wi-Fi is too small and leases last 8 days.",
       "Use the wired network or the guest Wi-Fi for internet; the scope is being enlarged."),
    ke("wifi-home-slow", NET, "Home working",
       "Slow internet when working from home over Wi-Fi",
       "Video calls and downloads are slow at home although the broadband speed is fine on other devices.",
       "The laptop connects to the 2.4 GHz band of the home router far from the access point.",
       "Sit closer to the router, use the 5 GHz network of your router or a network cable."),

    # --- Certificates -----------------------------------------------------------------------------
    ke("cert-intranet-expired", SEC, "Intranet",
       "Intranet shows 'Your connection is not private' certificate expired",
       "Browsers show *NET::ERR_CERT_DATE_INVALID* or *certificate has expired* when opening the intranet.",
       "The TLS certificate on the intranet load balancer expired; the renewal reminder went to a former employee.",
       "Do not click through. The certificate is being replaced; use the wiki mirror meanwhile."),
    ke("cert-api-client-expiry", SEC, "Integration platform",
       "Integration jobs failing with SSL handshake error after certificate expiry",
       "Nightly integrations to the bank and payroll provider fail with *SSL handshake failed* / "
       "*certificate expired* in the job log.",
       "The client certificate used for mutual TLS to partners expired; it is renewed manually once a year.",
       "Request an emergency certificate from the PKI team and install it in the integration keystore; rerun the "
       "failed jobs.", public=False),
    ke("cert-root-ca-firefox", SEC, "Web browsing",
       "Firefox shows security warnings on internal sites but Edge and Chrome work",
       "Only Firefox shows *SEC_ERROR_UNKNOWN_ISSUER* for internal websites.",
       "Firefox uses its own certificate store and does not trust the company root CA.",
       "Set `security.enterprise_roots.enabled` to true in `about:config`, or use the company-managed Firefox "
       "which has the setting."),
    ke("cert-tls-inspection", SEC, "Web browsing",
       "Developer tools fail with certificate verify failed behind the proxy",
       "pip, npm, git and curl fail with *certificate verify failed: self signed certificate in certificate chain* "
       "on the company network.",
       "The web proxy inspects TLS and re-signs traffic with the company CA, which these tools do not read from the "
       "system store.",
       "Point the tool at the company CA bundle: `pip config set global.cert /etc/ssl/corp-ca.pem`, "
       "`npm config set cafile ...`, `git config --global http.sslCAInfo ...`."),
    ke("cert-smime-expired", SEC, "E-mail",
       "Cannot send encrypted e-mail: S/MIME certificate expired",
       "Outlook says *your digital ID could not be found* or *certificate expired* when sending an encrypted or "
       "signed message.",
       "Personal S/MIME certificates are valid for two years and are not renewed automatically.",
       "Request a new e-mail certificate on the PKI self-service page and select it under *Trust Center → "
       "Email Security*."),
    ke("cert-wildcard-mismatch", SEC, "Web hosting",
       "Certificate name mismatch on new subdomain",
       "A new website under a second-level subdomain such as `a.b.example.com` shows *certificate is not valid for "
       "this name*.",
       "The wildcard certificate `*.example.com` only covers one level of subdomain.",
       "Request a dedicated certificate for the name through the PKI request form.", public=False),
    ke("cert-clock-skew", SEC, "Workstations",
       "Every HTTPS site shows a certificate error on one computer",
       "All websites show certificate warnings (*ERR_CERT_DATE_INVALID*) on one PC; the clock on the PC shows a "
       "wrong date.",
       "The CMOS battery is empty, so the clock resets after power loss and certificates look not yet valid.",
       "Set the correct date and time and enable *Set time automatically*; book a hardware repair for the battery."),
    ke("cert-ldaps-renewal", SEC, "Directory",
       "Applications cannot log in via LDAPS after domain controller certificate renewal",
       "Several applications that authenticate users through LDAPS report *cannot contact LDAP server* or "
       "*certificate unknown* since this morning.",
       "The domain controllers got new certificates from a new intermediate CA that the applications' trust "
       "stores do not contain.",
       "Import the new intermediate CA into the application trust store and restart the application.", public=False),

    # --- Remote desktop / Citrix -------------------------------------------------------------------
    ke("rdp-nla-error", NET, "Remote desktop",
       "Remote Desktop: 'An authentication error has occurred' (CredSSP)",
       "Connecting with Remote Desktop to a server shows *An authentication error has occurred. The function "
       "requested is not supported* / *CredSSP encryption oracle remediation*.",
       "The server misses the security update that the client requires for CredSSP.",
       "Connect to a patched jump host instead; the server is scheduled for patching.", public=False),
    ke("citrix-receiver-old", NET, "Virtual desktop",
       "Citrix virtual desktop does not open after portal upgrade",
       "Clicking the desktop in the Citrix portal downloads an `.ica` file that does nothing, or says the client "
       "is too old.",
       "The new Citrix gateway requires Citrix Workspace app 2203 or newer.",
       "Install Citrix Workspace app from the software portal, or use the *Open in browser* (HTML5) option."),
    ke("citrix-black-screen", NET, "Virtual desktop",
       "Black screen after logging in to the virtual desktop",
       "The virtual desktop session opens but stays black for minutes or disconnects.",
       "The user profile in the virtual desktop is corrupted after a failed logoff.",
       "Ask the service desk to reset the virtual desktop profile (your files on the H: drive are kept)."),
    ke("rdp-multi-monitor", NET, "Remote desktop",
       "Remote desktop uses only one monitor",
       "The remote desktop session only shows on one screen although *use all my monitors* was selected.",
       "Multi-monitor is disabled in the published RDP file for the terminal servers.",
       "Open the connection with `mstsc /multimon` or download the updated RDP file from the portal."),
    ke("citrix-clipboard", NET, "Virtual desktop",
       "Cannot copy and paste between the virtual desktop and my laptop",
       "Copy and paste does not work between the Citrix desktop and the local computer.",
       "Clipboard redirection is blocked by policy for all users after the security review.",
       "This is intentional for restricted data. For other desktops request the exception in the access portal."),
    ke("rdp-session-limit", NET, "Remote desktop",
       "Remote Desktop: the number of connections to this computer is limited",
       "Logging in to the terminal server fails with *The number of connections to this computer is limited and "
       "all connections are in use*.",
       "Disconnected sessions are kept for 7 days and fill the two admin sessions.",
       "Sign out (do not just close the window). The service desk can log off stale sessions.", public=False),
]
