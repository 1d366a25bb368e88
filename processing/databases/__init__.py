"""A system's own database, reached by SQL by its manifest."""

import warnings

# A platform's index on an expression (lower(email)) is the right index for finding a person;
# reflection does not need it, and says so on every table it reads. SQLAlchemy's SAWarning is
# a RuntimeWarning: the package is not imported here, so a process that only reads a
# manifest (the reports) does not carry SQLAlchemy's ~30 MB.
warnings.filterwarnings(
    "ignore",
    message="Skipped unsupported reflection of expression-based index",
    category=RuntimeWarning,
)
