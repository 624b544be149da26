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
