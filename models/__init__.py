"""Case database: sqlmodel tables and the queries over them."""
