"""The person ledger (一人一档) and the reports up the chain, on SQLite or PostgreSQL.

Pure logic (folding dispatch events into incidents, matching a new incident to
a known person, sweep ranking, report aggregation) and the storage it needs.
Imports only `core` and `geo`; the consumer that feeds it lives in `agents.ledger`.
"""
