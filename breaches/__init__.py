"""The breach register (GDPR Art. 33 and 34): every personal-data breach, its 72-hour clock,
the notification and its phases, and the letters to the people affected. It stands on the
requests app only for the letters' date format; no app but oversight reads it."""
