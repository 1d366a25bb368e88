"""Migrating the test database back and forth, for the tests of one migration's data
(`test_names_migration`, `test_breach_move_migration`, …): Django's own executor, plan and
operations, with the states before each migration it takes back built as Django builds them
but rendered only when that migration is taken back.

Why: Django renders the models of the project once before going back, and from then on each
migration that stays applied but comes after the first one taken back re-renders, for each of
its operations, the model it touches and every model related to it. Here nearly every model
reaches a data subject, so going back from `subjects` 0006 re-rendered most of the project
about 200 times, three quarters of the time the step took (cProfile). Rendering each of the 16
states taken back once, from scratch, costs a third of a second each: the test of the names
migration went from 72 s to 42 s on PostgreSQL."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.state import ProjectState

Targets = list[tuple[str, str]]


class LazyBackwardsExecutor(MigrationExecutor):
    def _migrate_all_backwards(
        self,
        plan: list[tuple[Migration, bool]],
        full_plan: list[tuple[Migration, bool]],
        fake: bool,
    ) -> ProjectState:
        """Django's `_migrate_all_backwards` but for the one render it does first: each
        migration is taken back from the state of every migration applied before it in the full
        plan, as there, and that state's models are rendered just before."""
        taken_back = {migration for migration, _ in plan}
        applied = {
            self.loader.graph.nodes[key]
            for key in self.loader.applied_migrations
            if key in self.loader.graph.nodes
        }
        states: dict[Migration, ProjectState] = {}
        state = ProjectState(real_apps=self.loader.unmigrated_apps)
        for migration, _ in full_plan:
            if len(states) == len(taken_back):
                break
            if migration in taken_back:
                states[migration] = state
                state = migration.mutate_state(state, preserve=True)
            elif migration in applied:
                migration.mutate_state(state, preserve=False)
        for migration, _ in plan:
            states[migration].apps  # noqa: B018 - rendered once; its operations' states reload
            self.unapply_migration(states[migration], migration, fake=fake)
            applied.remove(migration)
        # The state after: as Django builds it, from the state before the last migration taken
        # back and every migration still applied after it.
        last = plan[-1][0]
        state = states[last]
        state.__dict__.pop("apps", None)  # mutated below: cheaper unrendered
        index = next(i for i, (migration, _) in enumerate(full_plan) if migration == last)
        for migration, _ in full_plan[index:]:
            if migration in applied:
                migration.mutate_state(state, preserve=False)
        return state


def migrate(targets: Targets | None = None) -> Any:
    """Migrate to `targets` (the latest migrations by default), as `manage.py migrate` does;
    the executor is returned for its loader."""
    executor = LazyBackwardsExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor
