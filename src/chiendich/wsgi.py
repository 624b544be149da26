"""WSGI entry point: gunicorn (`chiendich serve`), `runserver`, any WSGI server.

It refuses to start without a secret key when debug mode is off (core/security.py),
so no server ever signs sessions with a key everyone knows.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")

from chiendich.core.security import secret_key_required  # noqa: E402 - after the settings name

secret_key_required()
application = get_wsgi_application()
