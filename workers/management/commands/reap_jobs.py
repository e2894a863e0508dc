"""Requeue or fail jobs whose worker died, and queue jobs Redis lost."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from workers.reaper import reap


class Command(BaseCommand):
    help = (
        "Find running jobs whose heartbeat stopped (dead worker) and give them a new attempt or fail them; "
        "enqueue queued jobs that are missing from Redis. Run it beside the workers with --loop."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running, one round every --interval seconds")
        parser.add_argument("--interval", type=float, default=15.0, help="seconds between rounds (default 15)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")

    def handle(self, *args, loop, interval, dry_run, **options):
        while True:
            close_old_connections()
            try:
                report = reap(dry_run=dry_run)
            except DatabaseError as exc:
                if not loop:
                    raise CommandError(f"The database is unavailable: {exc}") from None
                # The next round tries again: the reaper must outlive a database restart.
                self.stderr.write(f"reap_jobs: the database is unavailable, trying again: {exc}")
            else:
                if report.new_attempts or report.failed or report.enqueued or not loop:
                    prefix = "would have " if dry_run else ""
                    self.stdout.write(f"{prefix}{report}")
            if not loop:
                return
            time.sleep(interval)
