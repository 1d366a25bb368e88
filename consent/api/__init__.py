"""The consent app's API: the ledger (grant, withdraw, object, state, may-mail) and what the
marketing tool needs (audience, suppression check, unsubscribe links, unsubscribes back)."""
