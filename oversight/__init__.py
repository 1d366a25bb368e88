"""Oversight: the DPO's dashboard, which reads across every app (requests, consent, purges,
breaches, the register) and so sits above them all; no app imports it."""
