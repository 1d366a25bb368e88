"""The rights of the role the portal connects with: only what the manifest
needs. A superuser, or a role that may change the schema, is refused with a clear message;
a role that may delete from or change a table the manifest never erases is named. PostgreSQL
only: SQLite has no roles (the demo's file is the portal's own)."""

from __future__ import annotations

import sqlalchemy as sa

from processing.databases.manifest import Manifest


def rights_problems(url: str, manifest: Manifest) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name != "postgresql":
                return []
            return _postgres(connection, manifest)
    finally:
        engine.dispose()


def _postgres(connection: sa.Connection, manifest: Manifest) -> list[str]:
    problems = []
    role = connection.exec_driver_sql(
        "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
        "WHERE rolname = current_user"
    ).one()
    if role.rolsuper:
        problems.append(
            f"The role {role.rolname} is a superuser: connect with a role that has only the "
            "rights the manifest needs."
        )
        return problems
    if role.rolcreaterole or role.rolcreatedb:
        problems.append(f"The role {role.rolname} may create roles or databases: it must not.")
    schemas = (
        connection.exec_driver_sql(
            "SELECT nspname FROM pg_namespace "
            "WHERE has_schema_privilege(current_user, oid, 'CREATE') "
            "AND nspname NOT LIKE 'pg_%%' AND nspname <> 'information_schema'"
        )
        .scalars()
        .all()
    )
    if schemas:
        problems.append(
            f"The role {role.rolname} may change the schema (CREATE in {', '.join(schemas)}): "
            "it must not."
        )
    for name, table in sorted(manifest.tables.items()):
        needs = {"DELETE"} if table.delete_rows else {"UPDATE"} if table.personal_columns else set()
        if table.keep is not None:
            needs = set()
        for right in sorted({"DELETE", "UPDATE", "INSERT", "TRUNCATE"} - needs):
            allowed = connection.exec_driver_sql(
                "SELECT has_table_privilege(current_user, %(table)s, %(right)s)",
                {"table": name, "right": right},
            ).scalar()
            if allowed:
                problems.append(
                    f"The role {role.rolname} may {right} on {name}, which the manifest never "
                    f"needs: revoke it."
                )
    return problems
