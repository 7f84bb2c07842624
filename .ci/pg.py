"""Create or drop a scratch PostgreSQL database for CI: `python .ci/pg.py create|drop URL NAME`."""

import sys

import psycopg
from psycopg import sql

action, admin_url, name = sys.argv[1:4]
with psycopg.connect(admin_url, autocommit=True) as connection:
    if action == "create":
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    else:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
print(f"{action}: database {name}")
