"""The terms SQLite FTS5 makes of texts, read back in token order through an fts5vocab 'instance' table.

Shared by fts5_tokens.py and fts5_unicode_tables.py (stdlib only).
"""
import sqlite3


class FTS5Terms:
    """An in-memory FTS5 table with the given tokenizer; `terms(texts)` gives each text's terms in order."""

    def __init__(self, tokenize: str) -> None:
        self.db = sqlite3.connect(":memory:")
        # Bytes, so that a term FTS5 cut inside a character (the porter stemmer can) is not lost in decoding.
        self.db.text_factory = bytes
        self.db.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '{tokenize}')")
        self.db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")

    def terms(self, texts: list) -> list:
        self.db.execute("DELETE FROM t")
        for row, text in enumerate(texts, start=1):
            self.db.execute("INSERT INTO t(rowid, x) VALUES (?, ?)", (row, text))
        out = [[] for _ in texts]
        for term, doc, offset in self.db.execute("SELECT term, doc, offset FROM v ORDER BY doc, offset"):
            assert offset == len(out[doc - 1])
            out[doc - 1].append(term.decode("utf-8", errors="replace"))
        return out
