"""Copy the browser libraries of package-lock.json into web/static/web/vendor/.

The app ships them as static files so it runs with no npm and no network:

    cd src/chiendich/web/frontend && npm ci && cd - && uv run python src/chiendich/web/frontend/vendor.py

Apache ECharts: its "common" build (line, bar, pie and scatter charts with
tooltip, legend, mark lines and data zoom) is enough for the dashboard at
two thirds of the full build's size, which counts on a phone. The minified
file carries no version banner of its own, so one is prepended; a test
checks it against package-lock.json.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = HERE / "node_modules"
VENDOR = HERE.parent / "static" / "web" / "vendor"
ECHARTS_BUILD = "dist/echarts.common.min.js"


def locked_version(package: str) -> str:
    """The version of `package` that package-lock.json pins."""
    lock = json.loads((HERE / "package-lock.json").read_text(encoding="utf-8"))
    return str(lock["packages"][f"node_modules/{package}"]["version"])


def banner(package: str, version: str, build: str) -> str:
    return f"/*! {package} {version} ({build} from the npm registry) | Apache-2.0, see LICENSE */\n"


def vendor_echarts() -> Path:
    version = locked_version("echarts")
    source = MODULES / "echarts"
    installed = json.loads((source / "package.json").read_text(encoding="utf-8"))["version"]
    if installed != version:
        raise SystemExit(f"node_modules has echarts {installed}, the lock file {version}: npm ci")
    target = VENDOR / "echarts"
    target.mkdir(parents=True, exist_ok=True)
    body = (source / ECHARTS_BUILD).read_text(encoding="utf-8")
    out = target / "echarts.min.js"
    out.write_text(banner("echarts", version, ECHARTS_BUILD) + body, encoding="utf-8")
    for name in ("LICENSE", "NOTICE"):
        shutil.copyfile(source / name, target / name)
    return out


if __name__ == "__main__":
    print(vendor_echarts())
