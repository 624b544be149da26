"""Where a plan's demo keeps its database and files, decided before Django starts.

Settings read CHIENDICH_DATA_DIR once, at import, so `chiendich demo --plan FILE` has to
choose the folder before anything imports them: chiendich.__main__ asks here. The
default plan (the 2023 replay) keeps ./var, as it always has; any other plan gets
./var/<plan code>/, so two plans' demos never share a database (each rebuilds the
population and dossiers it simulates). No Django import here.
"""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
DEFAULT_PLAN = REPO / "plans" / "tien-giang-383-2023.yaml"


def _plan_argument(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--plan" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--plan="):
            return arg.removeprefix("--plan=")
    return None


def demo_data_dir(argv: list[str], cwd: Path) -> Path | None:
    """The data folder for `chiendich demo --plan FILE` (argv without the program name),
    or None to keep the default: another command, the default plan, or a file the demo
    command itself will refuse with a proper message."""
    if not argv or argv[0] != "demo":
        return None
    given = _plan_argument(argv[1:])
    if given is None:
        return None
    path = (cwd / given).resolve()
    if path == DEFAULT_PLAN:
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    code = data.get("code") if isinstance(data, dict) else None
    if not isinstance(code, str) or not code or "/" in code or code.startswith("."):
        return None
    return cwd / "var" / code
