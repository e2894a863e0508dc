"""Requeue or fail jobs whose worker died, and queue jobs Redis lost."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from workers.reaper import abort_stale_uploads, reap

# Abandoned uploads are few and old: looking once an hour is enough.
UPLOAD_CLEANUP_INTERVAL_S = 3600


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
        next_upload_cleanup = 0.0
        while True:
            close_old_connections()
            if not dry_run and time.monotonic() >= next_upload_cleanup:
                next_upload_cleanup = time.monotonic() + UPLOAD_CLEANUP_INTERVAL_S
                try:
                    abort_stale_uploads()
                except OSError as exc:  # transcripts.storage.StorageUnavailable
                    self.stderr.write(f"reap_jobs: abandoned uploads not checked: {exc}")
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
