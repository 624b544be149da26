"""The test suite's environment, set before pytest-django reads the settings.

pyproject's `addopts` loads this module as a pytest plugin (`-p`), which pytest
imports before any conftest and before pytest-django imports `chiendich.settings`;
a conftest would be too late. Child processes the tests start (`chiendich
db_worker`, servers) inherit it.
"""

import os

# With debug mode off the settings have no secret key and servers refuse to start
# (core/security.py). The suite's own key, never a deployment's.
os.environ.setdefault(
    "CHIENDICH_SECRET_KEY", "test-suite-only-key-3f9c1b7e52a04d8e9b6c0a1d2e3f4a5b6c7d8e9f"
)

# The cache folder every process of a test run shares (core/caching.py): its own per run,
# so two runs on one machine (or a demo's folder) never read each other's entries.
if "CHIENDICH_CACHE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["CHIENDICH_CACHE_DIR"] = tempfile.mkdtemp(prefix="chiendich-test-cache-")
    atexit.register(shutil.rmtree, os.environ["CHIENDICH_CACHE_DIR"], ignore_errors=True)

# The field inbox (field/inbox.py) likewise: an outcome a test left waiting is never
# drained into another run's database.
if "CHIENDICH_FIELD_INBOX_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["CHIENDICH_FIELD_INBOX_DIR"] = tempfile.mkdtemp(prefix="chiendich-test-inbox-")
    atexit.register(shutil.rmtree, os.environ["CHIENDICH_FIELD_INBOX_DIR"], ignore_errors=True)
