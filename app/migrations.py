"""Versioned schema migrations: each step runs once, in order, never drop-and-recreate.

Steps are plain SQL that SQLite and PostgreSQL both understand. Add a step at
the end; never edit one that has shipped.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

STEPS: list[tuple[int, list[str]]] = [
    (1, [
        """CREATE TABLE room (
            id VARCHAR(32) PRIMARY KEY,
            title TEXT NOT NULL,
            template TEXT NOT NULL,
            lang VARCHAR(8) NOT NULL DEFAULT 'fr',
            phase VARCHAR(16) NOT NULL,
            seq BIGINT NOT NULL DEFAULT 0,
            facilitator_version INTEGER NOT NULL DEFAULT 1,
            author_key TEXT NOT NULL,
            settings TEXT NOT NULL DEFAULT '{}',
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE prompt (
            id VARCHAR(32) PRIMARY KEY,
            room_id VARCHAR(32) NOT NULL REFERENCES room(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            title TEXT NOT NULL)""",
        "CREATE INDEX ix_prompt_room_id ON prompt (room_id)",
        """CREATE TABLE participant (
            id VARCHAR(32) PRIMARY KEY,
            room_id VARCHAR(32) NOT NULL REFERENCES room(id) ON DELETE CASCADE,
            public_id VARCHAR(32) NOT NULL,
            name TEXT NOT NULL,
            role VARCHAR(16) NOT NULL,
            removed BOOLEAN NOT NULL DEFAULT FALSE,
            created_at DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX ix_participant_room_id ON participant (room_id)",
        """CREATE TABLE idea (
            id VARCHAR(32) PRIMARY KEY,
            room_id VARCHAR(32) NOT NULL REFERENCES room(id) ON DELETE CASCADE,
            prompt_id VARCHAR(32) NOT NULL REFERENCES prompt(id) ON DELETE CASCADE,
            author_id VARCHAR(32) NOT NULL REFERENCES participant(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            colour VARCHAR(16) NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX ix_idea_room_id ON idea (room_id)",
        "CREATE INDEX ix_idea_author_id ON idea (author_id)",
        """CREATE TABLE event (
            room_id VARCHAR(32) NOT NULL REFERENCES room(id) ON DELETE CASCADE,
            seq BIGINT NOT NULL,
            participant_id VARCHAR(32),
            op_id VARCHAR(64),
            subject VARCHAR(32),
            payload TEXT NOT NULL,
            at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (room_id, seq),
            UNIQUE (room_id, participant_id, op_id))""",
        "CREATE INDEX ix_event_subject ON event (subject)",
    ]),
    (2, [  # facilitation: short codes, timer, moderation, private events
        "ALTER TABLE room ADD COLUMN timer TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE room ADD COLUMN code VARCHAR(8)",
        "CREATE UNIQUE INDEX ix_room_code ON room (code)",
        "ALTER TABLE idea ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE",
        "ALTER TABLE event ADD COLUMN audience VARCHAR(32)",
        "ALTER TABLE event ADD COLUMN redacted TEXT",
    ]),
    (3, [  # grouping and voting
        """CREATE TABLE cluster (
            id VARCHAR(32) PRIMARY KEY,
            room_id VARCHAR(32) NOT NULL REFERENCES room(id) ON DELETE CASCADE,
            prompt_id VARCHAR(32) NOT NULL REFERENCES prompt(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            named BOOLEAN NOT NULL DEFAULT FALSE,
            position DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX ix_cluster_room_id ON cluster (room_id)",
        "ALTER TABLE idea ADD COLUMN cluster_id VARCHAR(32) REFERENCES cluster(id) ON DELETE SET NULL",
        "ALTER TABLE idea ADD COLUMN position DOUBLE PRECISION NOT NULL DEFAULT 0",
        "UPDATE idea SET position = created_at",
        """CREATE TABLE vote (
            room_id VARCHAR(32) NOT NULL REFERENCES room(id) ON DELETE CASCADE,
            seq BIGINT NOT NULL,
            participant_id VARCHAR(32) NOT NULL REFERENCES participant(id) ON DELETE CASCADE,
            idea_id VARCHAR(32) REFERENCES idea(id) ON DELETE CASCADE,
            cluster_id VARCHAR(32) REFERENCES cluster(id) ON DELETE CASCADE,
            PRIMARY KEY (room_id, seq))""",
        "CREATE INDEX ix_vote_participant_id ON vote (participant_id)",
        "ALTER TABLE event ADD COLUMN undo TEXT",
        "ALTER TABLE event ADD COLUMN undone BOOLEAN NOT NULL DEFAULT FALSE",
    ]),
    (4, [  # the room's creator (lead facilitator): nobody removes or demotes them
        "ALTER TABLE participant ADD COLUMN creator BOOLEAN NOT NULL DEFAULT FALSE",
        # The creator's row is inserted with the room, before anyone can join: the room's first.
        """UPDATE participant SET creator = TRUE WHERE created_at = (
            SELECT MIN(earliest.created_at) FROM participant earliest WHERE earliest.room_id = participant.room_id)""",
    ]),
    (5, [  # the roadmap
        """CREATE TABLE action (
            id VARCHAR(32) PRIMARY KEY,
            room_id VARCHAR(32) NOT NULL REFERENCES room(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            owners TEXT NOT NULL DEFAULT '[]',
            partners TEXT NOT NULL DEFAULT '[]',
            horizon VARCHAR(8) NOT NULL DEFAULT '',
            due VARCHAR(10),
            status VARCHAR(16) NOT NULL DEFAULT 'todo',
            source_kind VARCHAR(16),
            source_id VARCHAR(32),
            position DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX ix_action_room_id ON action (room_id)",
        "ALTER TABLE event ADD COLUMN undo_kind VARCHAR(16)",
    ]),
    (6, [  # capitalisation: where each idea and cluster came from, and the dots it had there
        "ALTER TABLE room ADD COLUMN sources TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE idea ADD COLUMN source VARCHAR(32)",
        "ALTER TABLE idea ADD COLUMN source_votes INTEGER",
        "ALTER TABLE cluster ADD COLUMN source VARCHAR(32)",
        "ALTER TABLE cluster ADD COLUMN source_votes INTEGER",
    ]),
    (7, [  # a dot's checks walk an index range instead of every dot of the room (store_board)
        "CREATE INDEX ix_vote_room_participant ON vote (room_id, participant_id)",
        "CREATE INDEX ix_vote_room_idea ON vote (room_id, idea_id)",
        "CREATE INDEX ix_vote_room_cluster ON vote (room_id, cluster_id)",
    ]),
]


def current_version(conn: Connection) -> int:
    conn.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"))
    row = conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar()
    return int(row or 0)


def migrate(conn: Connection) -> int:
    """Bring the schema up to date inside the caller's transaction; return the version."""
    version = current_version(conn)
    for number, statements in STEPS:
        if number <= version:
            continue
        for statement in statements:
            conn.execute(text(statement))
        conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": number})
        version = number
    return version
