"""A send worker: sends every issue that is due, batch by batch, until stopped.

Run it beside (or instead of) `db_worker` for newsletters. Killed at any
point and restarted, it finishes the send: the claims of a dead worker go back
to pending, except the emails whose outcomes it had not committed yet (at
most its commit window, NEWSLETTER_COMMIT_EVERY), which are flagged. SIGTERM
or Ctrl-C stops it cleanly after the current email, recording every outcome.
"""

import json
import resource
import signal
import sys
import time

from django.core.management.base import BaseCommand

from masthead.newsletters import sending
from masthead.newsletters.workers import WorkerHandle, recover_abandoned


class Command(BaseCommand):
    help = "Send due newsletter issues (a worker for the send queue)."

    def add_arguments(self, parser):
        parser.add_argument("--issue", type=int, help="Work on this issue only.")
        parser.add_argument("--until-idle", action="store_true", help="Exit when there is nothing left to send.")
        parser.add_argument("--batch-size", type=int, help="Deliveries per claim (default NEWSLETTER_BATCH_SIZE).")
        parser.add_argument(
            "--commit-every",
            type=int,
            help="Emails whose outcomes are committed together; also the most a kill leaves flagged per issue "
            "(default NEWSLETTER_COMMIT_EVERY).",
        )
        parser.add_argument("--rate", type=float, help="Emails per second (default NEWSLETTER_SEND_RATE; 0: no limit).")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between looks for due issues.")
        parser.add_argument("--json", action="store_true", help="Print a JSON summary at the end.")

    def handle(self, *args, issue=None, until_idle=False, batch_size=None, rate=None, interval=5.0, **options):
        self.stopping = False

        def stop(signum, frame):
            if self.stopping:
                sys.exit(1)
            self.stopping = True

        previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._work(issue, until_idle, batch_size, rate, interval, options)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _work(self, issue, until_idle, batch_size, rate, interval, options):
        totals = {"sent": 0, "failed": 0, "unknown": 0, "retry": 0, "skipped": 0, "batches": 0, "variants": 0}
        started = time.monotonic()
        send_seconds = 0.0
        with WorkerHandle(commit_every=options.get("commit_every")) as worker:
            while not self.stopping:
                recover_abandoned(current_id=worker.id)
                ids = [issue] if issue else sending.due_issue_ids()
                for issue_id in ids:
                    stats = sending.run_send(
                        issue_id,
                        worker=worker,
                        should_stop=lambda: self.stopping,
                        batch_size=batch_size,
                        rate=rate,
                    )
                    send_seconds += stats.seconds
                    for key, value in (
                        ("sent", stats.sent),
                        ("failed", stats.failed),
                        ("unknown", stats.unknown),
                        ("retry", stats.retried),
                        ("skipped", stats.skipped),
                        ("batches", stats.batches),
                    ):
                        totals[key] += value
                    totals["variants"] = max(totals["variants"], stats.variants)
                if until_idle and self._idle(issue):
                    break
                time.sleep(interval if not until_idle else min(interval, 1.0))
        totals["seconds"] = round(time.monotonic() - started, 3)
        totals["send_seconds"] = round(send_seconds, 3)
        totals["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        if options.get("json"):
            self.stdout.write(json.dumps(totals))
        else:
            self.stdout.write(", ".join(f"{k} {v}" for k, v in totals.items()))

    def _idle(self, issue_id) -> bool:
        due = sending.due_issue_ids()
        return issue_id not in due if issue_id else not due
