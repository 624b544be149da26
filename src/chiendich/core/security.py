"""The secret key: required to serve, generated for the demo.

Django signs sessions, CSRF tokens and password-reset links with SECRET_KEY. A key
written in the source is a key everyone has, so with debug mode off the settings
leave it empty unless CHIENDICH_SECRET_KEY is set, and every server refuses to
start: `chiendich.wsgi` (gunicorn, `chiendich serve`, `runserver`) calls
`secret_key_required()` first. Commands that sign nothing (imports, loads,
migrations) keep working without one. `chiendich demo` makes a random key of its
own, kept in its data folder, so a fresh machine runs the demo with no setting.
No Django model here.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# The key every copy of chiendich shipped before issue 16: public, so never accepted.
PUBLIC_DEMO_KEY = "insecure-demo-key-set-CHIENDICH_SECRET_KEY-in-production"  # noqa: S105
KEY_FILE = "secret-key"

MISSING = (
    "Chưa đặt CHIENDICH_SECRET_KEY. Khi CHIENDICH_DEBUG tắt, chiendich không chạy máy chủ "
    "với khóa bí mật mặc định (ai cũng biết khóa đó, nên giả được phiên đăng nhập). "
    "Tạo một khóa ngẫu nhiên:\n"
    "    python3 -c 'import secrets; print(secrets.token_urlsafe(50))'\n"
    "rồi đặt vào biến môi trường, ví dụ trong /etc/chiendich/chiendich.env "
    "(xem deploy/chiendich.env.example):\n"
    "    CHIENDICH_SECRET_KEY=<khóa vừa tạo>\n"
    "Mọi tiến trình (web, db_worker) dùng cùng một khóa. "
    "`chiendich demo` tự tạo khóa riêng trong thư mục dữ liệu của bản demo."
)


def secret_key_required() -> str:
    """The configured key; ImproperlyConfigured with how to set one when there is none."""
    from django.conf import settings

    try:
        key = str(settings.SECRET_KEY)
    except ImproperlyConfigured:  # Django refuses an empty key on first access
        key = ""
    if not key or key == PUBLIC_DEMO_KEY:
        raise ImproperlyConfigured(MISSING)
    return key


def data_dir_secret_key(data_dir: Path) -> str:
    """The key of one data folder, made on first use: random, readable by its owner only.

    The demo's sessions then survive a restart, and two demos' folders never share a key.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    return key


def use_data_dir_secret_key(data_dir: Path) -> None:
    """For `chiendich demo`: unless CHIENDICH_SECRET_KEY is set, sign with the data
    folder's own key, in this process and in the worker it starts."""
    if os.environ.get("CHIENDICH_SECRET_KEY"):
        return
    from django.conf import settings

    key = data_dir_secret_key(data_dir)
    settings.SECRET_KEY = key
    os.environ["CHIENDICH_SECRET_KEY"] = key
