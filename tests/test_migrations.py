"""The migrated schema is the one the models describe, and migrating is repeatable."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlmodel import SQLModel

from app import db, migrations, models  # noqa: F401  (models registers the tables)


def test_migrations_create_exactly_the_model_tables(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", immediate=True)
    with engine.begin() as conn:
        assert migrations.migrate(conn) == migrations.STEPS[-1][0]
    inspector = inspect(engine)
    for table in SQLModel.metadata.sorted_tables:
        migrated = {c["name"] for c in inspector.get_columns(table.name)}
        assert migrated == {c.name for c in table.columns}, table.name
    with engine.begin() as conn:  # a second run changes nothing
        assert migrations.migrate(conn) == migrations.STEPS[-1][0]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
