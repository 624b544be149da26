"""`chiendich api token USERNAME [--revoke]`: issue (or rotate) a user's API token.

The token is printed once; only the fact that it was issued is audited. A
script then sends it as `Authorization: Token <token>`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.accounts.context import acting_as
from chiendich.accounts.models import User
from chiendich.api.services import api_token_revoke, api_token_rotate


class Command(BaseCommand):
    help = "Issue, rotate or revoke a user's API token."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        token = sub.add_parser("token", help="issue a new token (the old one stops working)")
        token.add_argument("username")
        token.add_argument("--revoke", action="store_true", help="delete the token instead")
        token.add_argument("--note", default="", help="why (kept in the audit log)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"Không có người dùng “{options['username']}”.")
        with acting_as(None, origin="command"):
            if options["revoke"]:
                if api_token_revoke(user=user):
                    self.stdout.write(f"Đã thu hồi mã API của {user.username}.")
                else:
                    self.stdout.write(f"{user.username} chưa có mã API.")
                return
            try:
                key = api_token_rotate(user=user, note=options["note"])
            except ValueError:
                raise CommandError(f"Tài khoản “{user.username}” đang bị khóa.") from None
        self.stdout.write(key)
        self.stderr.write(
            f"Mã API mới của {user.username} (chỉ hiện một lần; mã cũ, nếu có, đã hết hiệu lực). "
            "Gửi kèm mỗi yêu cầu: Authorization: Token <mã>"
        )
