"""The `chiendich` console script: Django's management commands with our settings."""

import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiendich.settings")
    if "CHIENDICH_DATA_DIR" not in os.environ:
        # A plan's demo has its own database; settings read the folder at import.
        from chiendich.demo.datadir import demo_data_dir

        folder = demo_data_dir(sys.argv[1:], Path.cwd())
        if folder is not None:
            os.environ["CHIENDICH_DATA_DIR"] = str(folder)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
