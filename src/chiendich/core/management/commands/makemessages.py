"""Django's makemessages without fuzzy matching: a guessed translation of a similar
string ("Activated" from "created") is worse than none, and the test of the
catalogue then names what is missing."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
