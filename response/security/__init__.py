"""The security response of an incident: its writes (`services`), its reads (`selectors`), the
notices' e-mails (`delivery`), the streamed evidence hash (`hashing`) and the containment steps a
security category starts with when none are configured (`defaults`)."""
