"""Storage: SQLAlchemy tables, small repositories, the engine and Alembic migrations."""
