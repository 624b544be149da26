"""The full-text index of results: FTS5 on SQLite, unaccent + tsvector + GIN on
PostgreSQL (see results/search.py). One migration for both databases: the
statements are picked by the connection's vendor."""

from django.db import migrations


def forwards(apps, schema_editor):
    from chiendich.results.search import search_index_ensure

    search_index_ensure(schema_editor.connection)


def backwards(apps, schema_editor):
    from chiendich.results.search import search_index_drop

    search_index_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("results", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
