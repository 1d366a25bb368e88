"""The frame of the REST API (`/api/v1/`): keys with scopes, authentication, permissions,
throttling, the one error shape, idempotent POSTs and cursor pagination. Each app's `api`
module holds its own endpoints and calls its own services; nothing here knows a domain app.
"""
