from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def ensure_search_index(sender, using, **kwargs):
    """Re-create the search index's triggers if a migration dropped them
    (transcripts/search_index.py); nothing before migration 0009."""
    from . import search_index

    connection = connections[using]
    with connection.cursor() as cursor:
        if "transcripts_segment" not in connection.introspection.table_names(cursor):
            return
        columns = {column.name for column in connection.introspection.get_table_description(cursor, "transcripts_segment")}
    if "search_text" in columns:
        search_index.install(connection)


class TranscriptsConfig(AppConfig):
    name = "transcripts"
    verbose_name = "Transcripts"

    def ready(self):
        from . import checks  # noqa: F401  registers the storage check

        post_migrate.connect(ensure_search_index, sender=self)
