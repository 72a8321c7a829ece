"""Create (once) the local demo's admin user and print its login. Refuses to run with DEBUG off."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"


class Command(BaseCommand):
    help = "Create the demo admin user for `make run` (DEBUG only) and print its login."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("create_demo_admin is for local demos only (DEBUG=true).")
        password_file = settings.VAR_DIR / "admin-password.txt"
        User = get_user_model()
        user = User.objects.filter(username=USERNAME).first()
        if user is None or not password_file.exists():
            password = secrets.token_urlsafe(12)
            user = user or User(username=USERNAME, email="admin@example.org")
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
        url = f"{settings.SITE_URL}/{settings.ADMIN_URL}"
        self.stdout.write(
            self.style.SUCCESS(f"Admin: {url}  user: {USERNAME}  password: {password}")
        )
