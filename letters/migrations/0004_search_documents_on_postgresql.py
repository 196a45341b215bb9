"""On PostgreSQL only: a stored full-text document for each reply, excerpt and letter, indexed.

Search ranks every hit. Computing the documents on the fly took about 3 s a search at 20 rounds
of 43 replies of 400 words; from stored, GIN-indexed documents it takes tens of milliseconds.
PostgreSQL generates the columns from the text columns (always in step, no triggers); they are
not fields of the Django models, and `letters/selectors/search.py` reads them by name with the
same fields and weights. On SQLite, which searches without them, this migration does nothing.
"""

from django.db import migrations

# table -> the weighted document PostgreSQL keeps for each row
DOCUMENTS = {
    "letters_reply": (
        "setweight(to_tsvector('english', coalesce(summary, '')), 'A')"
        " || setweight(to_tsvector('english', coalesce(text, '')), 'B')"
    ),
    "letters_excerpt": "setweight(to_tsvector('english', coalesce(text, '')), 'A')",
    "letters_letter": (
        "setweight(to_tsvector('english', coalesce(reference, '')), 'A')"
        " || setweight(to_tsvector('english', coalesce(body, '')), 'D')"
    ),
}


def add_search_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, document in DOCUMENTS.items():
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN search_document tsvector "
            f"GENERATED ALWAYS AS ({document}) STORED"
        )
        schema_editor.execute(
            f"CREATE INDEX {table}_search_document ON {table} USING gin (search_document)"
        )


def remove_search_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in DOCUMENTS:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN search_document")


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0003_reply_holding_suggestion"),
    ]

    operations = [
        migrations.RunPython(add_search_documents, remove_search_documents, elidable=False),
    ]
