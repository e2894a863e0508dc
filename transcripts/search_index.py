"""The database side of search: the index over `Segment.search_text`.

SQLite: an FTS5 table with the segments table as its external content, kept in
step by triggers, so every INSERT, UPDATE and DELETE of a segment (bulk ones and
cascades included) updates it in the same transaction. The tokenizer only cuts
at spaces in practice: `search_text` is already cut and folded by
transcripts/search_words.py, and `categories` keeps combining marks inside words as
Python's tokenizer does.

PostgreSQL: a stored generated tsvector column (`simple` configuration: no
stemming, no stop words, see transcripts/search_words.py) with a GIN index. The
database computes it on every write of `search_text`.

Django does not know about either (they are not model fields): `install` runs
from migration 0009 and again after every `migrate` (apps.py), because SQLite
drops a table's triggers when Django rebuilds the table to alter a column.

The queries below get only what search_words.py built from its own tokens,
always as bound parameters.
"""

from django.db import connection

from transcripts.search_words import fts5_query, tsquery

FTS_TABLE = "transcripts_segment_fts"
SQLITE_TRIGGERS = {
    "transcripts_segment_fts_insert": f"""
        CREATE TRIGGER IF NOT EXISTS transcripts_segment_fts_insert AFTER INSERT ON transcripts_segment BEGIN
            INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    "transcripts_segment_fts_delete": f"""
        CREATE TRIGGER IF NOT EXISTS transcripts_segment_fts_delete AFTER DELETE ON transcripts_segment BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        END""",
    "transcripts_segment_fts_update": f"""
        CREATE TRIGGER IF NOT EXISTS transcripts_segment_fts_update AFTER UPDATE ON transcripts_segment
        WHEN old.search_text IS NOT new.search_text OR old.id IS NOT new.id BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
            INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
}
SQLITE_TABLE = f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        search_text, content='transcripts_segment', content_rowid='id',
        tokenize="unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
    )"""
POSTGRES_COLUMN = """
    ALTER TABLE transcripts_segment ADD COLUMN IF NOT EXISTS search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED"""
# fastupdate off: new segments go into the index at once instead of a pending
# list that every search reads through until (auto)vacuum merges it: a job's
# few hundred segments cost a little more to save, every search stays as fast.
POSTGRES_INDEX = (
    "CREATE INDEX IF NOT EXISTS transcripts_segment_search ON transcripts_segment "
    "USING GIN (search_vector) WITH (fastupdate = off)"
)


def install(connection):
    """Create the index where it is missing; on SQLite, rebuild it from the
    segments when a trigger had to be (re)created, since writes made without
    the trigger are missing from it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_COLUMN)
            cursor.execute(POSTGRES_INDEX)
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            present = {row[0] for row in cursor.fetchall()}
            cursor.execute(SQLITE_TABLE)
            if not set(SQLITE_TRIGGERS) <= present:
                for create in SQLITE_TRIGGERS.values():
                    cursor.execute(create)
                cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def uninstall(connection):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS transcripts_segment_search")
            cursor.execute("ALTER TABLE transcripts_segment DROP COLUMN IF EXISTS search_vector")
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


# ---- queries ----

# Hits are ranked among the owner's most recent matching segments, this many:
# ranking costs a few microseconds a segment, and a word found in a quarter of
# 100,000 segments would otherwise be ranked 25,000 times for one page. Both
# databases take the same newest segments, so their results stay the same set.
RANKED_MATCHES = 1000

SQLITE_HITS = """
    SELECT c.id FROM (
        SELECT f.rowid AS id, f.rank AS score FROM transcripts_segment_fts f
        JOIN transcripts_segment s ON s.id = f.rowid
        JOIN transcripts_transcription t ON t.id = s.transcription_id
        WHERE transcripts_segment_fts MATCH %s AND t.owner_id = %s
        ORDER BY f.rowid DESC LIMIT %s
    ) c
    ORDER BY c.score, c.id LIMIT %s OFFSET %s
"""
POSTGRES_HITS = """
    SELECT c.id FROM (
        SELECT s.id, s.search_vector FROM transcripts_segment s
        JOIN transcripts_transcription t ON t.id = s.transcription_id
        WHERE s.search_vector @@ to_tsquery('simple', %s) AND t.owner_id = %s
        ORDER BY s.id DESC LIMIT %s
    ) c
    ORDER BY ts_rank(c.search_vector, to_tsquery('simple', %s)) DESC, c.id LIMIT %s OFFSET %s
"""
SQLITE_TRANSCRIPTIONS = """
    SELECT s.transcription_id FROM transcripts_segment_fts f
    JOIN transcripts_segment s ON s.id = f.rowid
    WHERE transcripts_segment_fts MATCH %s
"""
POSTGRES_TRANSCRIPTIONS = """
    SELECT s.transcription_id FROM transcripts_segment s WHERE s.search_vector @@ to_tsquery('simple', %s)
"""


def matching_segment_ids(owner_id, query, limit, offset=0):
    """Ids of the owner's segments that match, best first (among the
    RANKED_MATCHES most recent)."""
    if not query:
        return []
    if connection.vendor == "postgresql":
        text = tsquery(query)
        sql, params = POSTGRES_HITS, [text, owner_id, RANKED_MATCHES, text, limit, offset]
    else:
        sql, params = SQLITE_HITS, [fts5_query(query), owner_id, RANKED_MATCHES, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def transcriptions_sql(query):
    """(sql, params) selecting the transcription ids with a matching segment,
    to be used as a subquery (the caller scopes it to an owner)."""
    if connection.vendor == "postgresql":
        return POSTGRES_TRANSCRIPTIONS, [tsquery(query)]
    return SQLITE_TRANSCRIPTIONS, [fts5_query(query)]
