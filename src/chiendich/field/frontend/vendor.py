"""Copy Workbox, as package-lock.json pins it, into field/static/field/vendor/workbox/.

The volunteer pages' service worker (static/field/sw.js, served at /thuc-dia/sw.js)
loads Workbox with `importScripts`; the app ships it as static files so a phone
needs no CDN and the server no npm at run time:

    cd src/chiendich/field/frontend && npm ci && cd - \\
        && uv run python src/chiendich/field/frontend/vendor.py

workbox-sw is the loader; each module is its package's production build
(build/<name>.prod.js), the layout `workbox copyLibraries` makes, so
`workbox.setConfig({modulePathPrefix})` finds them. The files carry a version
banner; a test checks it against package-lock.json. Workbox is MIT-licensed
(LICENSE); workbox-expiration bundles idb (ISC, LICENSE-idb).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = HERE / "node_modules"
VENDOR = HERE.parent / "static" / "field" / "vendor" / "workbox"
# The modules sw.js uses, besides the loader.
PACKAGES = (
    "workbox-core",
    "workbox-routing",
    "workbox-strategies",
    "workbox-expiration",
    "workbox-cacheable-response",
)


def locked_version(package: str) -> str:
    """The version of `package` that package-lock.json pins."""
    lock = json.loads((HERE / "package-lock.json").read_text(encoding="utf-8"))
    return str(lock["packages"][f"node_modules/{package}"]["version"])


def banner(package: str, version: str, build: str) -> str:
    return f"/*! {package} {version} ({build} from the npm registry) | MIT, see LICENSE */\n"


def _copy(package: str, build: str, name: str) -> Path:
    version = locked_version(package)
    source = MODULES / package
    installed = json.loads((source / "package.json").read_text(encoding="utf-8"))["version"]
    if installed != version:
        raise SystemExit(f"node_modules has {package} {installed}, the lock file {version}: npm ci")
    body = (source / build).read_text(encoding="utf-8")
    # The source maps are not shipped: drop the comment that points at them.
    body = "\n".join(
        line for line in body.splitlines() if not line.startswith("//# sourceMappingURL=")
    )
    out = VENDOR / name
    out.write_text(banner(package, version, build) + body + "\n", encoding="utf-8")
    return out


def vendor_workbox() -> list[Path]:
    VENDOR.mkdir(parents=True, exist_ok=True)
    written = [_copy("workbox-sw", "build/workbox-sw.js", "workbox-sw.js")]
    for package in PACKAGES:
        written.append(_copy(package, f"build/{package}.prod.js", f"{package}.prod.js"))
    shutil.copyfile(MODULES / "workbox-sw" / "LICENSE", VENDOR / "LICENSE")
    shutil.copyfile(MODULES / "idb" / "LICENSE", VENDOR / "LICENSE-idb")
    return written


if __name__ == "__main__":
    for path in vendor_workbox():
        print(path)
