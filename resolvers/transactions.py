"""How a use case's writes reach the database, as declared on its GraphQL field.

Every mutation runs in one transaction (BEGIN … COMMIT), except a use case whose writes are a
single statement on PostgreSQL (the door: `agora_scan` judges, logs and checks in at once): a
statement is atomic on its own there, so the request runs without BEGIN and COMMIT, two round
trips fewer. Queries never write and run that way too. SQLite keeps a transaction around every
request: there it is also what gives a request's reads one consistent snapshot.

Such a mutation may also be judged with a viewer an earlier request of the process read
(`resolvers.viewer.KeptViewers`): its one statement must then check, as the door's does,
that the viewer's standing has not moved (`Viewer.reused`, `Viewer.standing_version`), and
write nothing otherwise (`kernel.errors.StaleViewer`: the operation runs again).
"""

from __future__ import annotations

# The field metadata key and value that declare "writes in one statement on PostgreSQL".
WRITES = "agora.writes"
ONE_STATEMENT = "one statement"
ONE_STATEMENT_METADATA = {WRITES: ONE_STATEMENT}
