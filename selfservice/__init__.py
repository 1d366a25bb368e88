"""Self-service for data subjects: check and update one's own data ("pārbaudīt un atjaunot").

A person signs in with a single-use link sent to a work e-mail the portal already holds
(`links`), gets a subject session of 30 minutes that is not a staff login (`session`), and on
their own pages sees their data, downloads their copy (`copies`), corrects contact and
employment data or asks the DPO to correct identity data (`corrections`), manages consent and
objections (`preferences`, with a receipt per ledger event: `receipt`) and files, follows and
withdraws requests (`requests`). Every write is the owning app's service with the person as
actor (`core.audit.subject_actor`).
"""
