"""gunicorn's settings for `bench/surge.py --server gunicorn`, the comparison that made granian
the production server (manage.py serve; bench/README.md has the figures).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
worker_class = "sync"
timeout = 30
# Slow clients are the proxy's problem in production; keep the worker free.
keepalive = 2

# The access log never names the client: no address, no user agent, no referrer, no query
# string; and campaign.logs redacts the tokens of signers' links in the path.
accesslog = "-"
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "campaign.logs.JSONFormatter"},
        "plain": {"()": "campaign.logs.PlainFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("LOG_FORMAT", "json"),
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
