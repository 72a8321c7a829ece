import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")

application = get_wsgi_application()

# What is loaded by now (Django, the apps, the settings: ~100,000 objects) lives as long as the
# process. Frozen, the garbage collector no longer walks it: its full passes, which stop the
# process's threads, took 65-75 ms every ~10,000 requests with it (bench/README.md, ninth round).
gc.collect()
gc.freeze()
