"""How passwords are stored: Argon2id (`argon2-cffi`), the first hasher Django's documentation
recommends, at the setting OWASP's Password Storage Cheat Sheet gives first (19 MiB of memory,
2 passes, 1 lane). Django's own defaults for Argon2 (100 MiB, 8 lanes) cost over 300 ms a
login on a 2-core machine; this costs tens of milliseconds and stays memory-hard.

`PASSWORD_HASHERS` lists it first and PBKDF2 after it: a password stored with PBKDF2 still
checks, and Django stores it again with Argon2id at that login."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
