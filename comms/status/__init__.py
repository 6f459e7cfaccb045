"""The public status page (`/status/`): what is broken, what is being said about it, what broke in
the last 90 days, as a page, an Atom feed and Statuspage-shaped JSON, and the portal's banner.

`state` holds the rules (a service's state, an incident's impact and status), `selectors` builds
the one cached snapshot every surface reads, `invalidation` says when it is stale, `statuspage`
shapes it as Atlassian Statuspage's public v2 API.
"""
