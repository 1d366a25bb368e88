"""The documents a person receives about their data: the access report and copy (Art. 15),
the portability package (Art. 20) and the information on processors, recipients and
transfers (Art. 15(1)(c), 15(2)), built for a request's answers (`answers`) and for the
self-service pages. Each reads only the person's own rows (`sections`)."""
