"""django-axes' settings: three locks on logging in, none of which lets a stranger shut an
account out for good (`core.lockout` holds the handler that applies them).

- A name from one address: `LOGIN_FAILURE_LIMIT` (5) failures lock that name at that address
  only. Whoever types the DPO's name with wrong passwords locks themselves out, not the DPO,
  who logs in from their own address.
- An address, whatever the names: `LOGIN_ADDRESS_FAILURE_LIMIT` (20) failures from one address
  lock it for every name, against one machine trying many names. Higher than the first, so
  several people behind one office address may each mistype.
- A name from every address: `LOGIN_ACCOUNT_FAILURE_LIMIT` (50) failures, which only an attack
  from ten addresses or more reaches, lock the name everywhere and raise an alarm to the
  Admin and the DPO.

Each lock lifts by itself `LOGIN_LOCKOUT_MINUTES` (15) after the failures that made it. An
attempt refused during a lock is not counted: otherwise one address hammering its own lock
would push the name's count to the account-wide limit by itself. Attempts are counted under a
keyed hash of the typed name (`core.login.lockout_key`): axes' table never holds what was
typed, which may be a password typed into the wrong field.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ImproperlyConfigured

from privacyops.environment import read_int

__all__ = [
    "AXES_CLIENT_IP_CALLABLE",
    "AXES_COOLOFF_TIME",
    "AXES_DISABLE_ACCESS_LOG",
    "AXES_FAILURE_LIMIT",
    "AXES_HANDLER",
    "AXES_LOCKOUT_CALLABLE",
    "AXES_LOCKOUT_PARAMETERS",
    "AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT",
    "AXES_USERNAME_CALLABLE",
    "AXES_VERBOSE",
    "LOGIN_ACCOUNT_FAILURE_LIMIT",
    "LOGIN_ADDRESS_FAILURE_LIMIT",
]

AXES_HANDLER = "core.lockout.LayeredLockoutHandler"
# The name at one address, the address, the name everywhere: `core.lockout.Lock`, in this order.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_FAILURE_LIMIT = read_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_ADDRESS_FAILURE_LIMIT = read_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
LOGIN_ACCOUNT_FAILURE_LIMIT = read_int("LOGIN_ACCOUNT_FAILURE_LIMIT", 50, minimum=1)
if LOGIN_ACCOUNT_FAILURE_LIMIT <= AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        f"LOGIN_ACCOUNT_FAILURE_LIMIT must be more than LOGIN_FAILURE_LIMIT ({AXES_FAILURE_LIMIT}):"
        " failures from one address would otherwise lock the account for every address."
    )
AXES_COOLOFF_TIME = dt.timedelta(minutes=read_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "core.login.lockout_key"
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip"
# The lockout page says which lock holds and for how long (`core.lockout.lockout_response`).
AXES_LOCKOUT_CALLABLE = "core.lockout.lockout_response"
# Successful logins are in the audit log; a second record of every IP and browser is not needed.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
