"""Racing writes: jobs run in threads of their own, each with its own database connection,
released at the same instant."""
import threading

from django.db import connection


def at_once(*jobs, timeout=60):
    """Runs the jobs together; returns (their results in job order, None where a job raised;
    the errors raised), so that a failed job fails the test instead of vanishing."""
    start = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(index, job):
        try:
            start.wait()
            results[index] = job()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, job)) for index, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results, errors
