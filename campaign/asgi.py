# Kept for completeness; production serves WSGI (async Django measured ~3x slower here).
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")

application = get_asgi_application()
