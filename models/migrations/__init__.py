"""Alembic migrations of the case database (driven from code: see models.db.migrate)."""
