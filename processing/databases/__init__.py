"""A system's own database, reached by SQL by its manifest."""

import warnings

import sqlalchemy as sa

# A platform's index on an expression (lower(email)) is the right index for finding a person;
# reflection does not need it, and says so on every table it reads.
warnings.filterwarnings(
    "ignore",
    message="Skipped unsupported reflection of expression-based index",
    category=sa.exc.SAWarning,
)
