"""Data access: the only package that talks to AWS.

- :mod:`~newsdesk.dal.keys` — every partition and sort key of the single table, and its indexes
- :mod:`~newsdesk.dal.clients` — the lazily created boto3 clients
- :mod:`~newsdesk.dal.items` — plain values to and from DynamoDB attribute values
- :mod:`~newsdesk.dal.articles` — article records and their revision history
- :mod:`~newsdesk.dal.archive` — the S3 archive: raw request bytes and normalized articles
- :mod:`~newsdesk.dal.partners` — partners and their API keys
- :mod:`~newsdesk.dal.engagement` — dedupe records, view and comment counters, the rankings item
- :mod:`~newsdesk.dal.snapshots` — the public snapshot bucket and the hash records beside it

Domain modules (ninjs, engagement rules, trending, snapshots) import nothing from here; handlers
and services wire a store to the rules. Every store takes an optional client (tests and the local
stack pass their own); without one it uses :mod:`~newsdesk.dal.clients`.
"""
