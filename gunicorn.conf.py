"""gunicorn settings for s3days (read automatically when gunicorn starts in this folder)."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# The usual rule for sync workers: two per core, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Attendee exports stream for a while; 120 s is ample for 100,000 registrations.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = 30
# One line per request, on stdout.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
# Private links in request lines, referers and errors are masked: a log reader cannot use them.
logger_class = "s3days.log_masking.TokenMaskingLogger"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
