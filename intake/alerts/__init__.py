"""Monitoring alerts into incidents: a payload becomes a `Signal` (`signals`), its labels choose the
classification (`classify`), and `ingest` opens the one incident of its de-duplication key or
updates it."""
