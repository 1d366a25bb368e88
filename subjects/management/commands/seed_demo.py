from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from subjects.demo import seed_demo_population
from subjects.models import DataSubject


class Command(BaseCommand):
    help = (
        "Create a realistic demo population: organisations of every status, people of every "
        "kind, trials, demos, invoices, claims, communications and usage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subjects", type=int, default=1000, help="How many people.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same data)."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any data subject exists."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["subjects"]
        if count < 1:
            raise CommandError("--subjects must be at least 1.")
        if options["if_empty"] and DataSubject.objects.exists():
            self.stdout.write("Data subjects exist already; nothing seeded (--if-empty).")
            return
        started = time.monotonic()
        with tqdm(
            total=count, unit="people", disable=options["verbosity"] == 0, file=self.stderr
        ) as bar:
            counts = seed_demo_population(subjects=count, seed=options["seed"], progress=bar.update)
        elapsed = time.monotonic() - started
        summary = ", ".join(
            f"{value} {name.replace('_', ' ')}" for name, value in counts.as_dict().items()
        )
        self.stdout.write(self.style.SUCCESS(f"Seeded in {elapsed:.1f} s: {summary}."))
