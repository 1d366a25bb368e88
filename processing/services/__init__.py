"""Writes to the processing register that go through the portal's own pages."""
