"""`make fuzz`: schemathesis against the OpenAPI document the local stack serves.

``runner`` starts the local stack on loopback, loads ``GET /v1/openapi.json`` from it, and sends
requests that schemathesis generates for every operation (positive and negative ninjs documents from
the embedded ninjs 2.2 schema, its coverage cases, and malformed bodies of our own), checking every
answer with all of schemathesis' checks and with the suite's own contract check
(tests/support/openapi_contract). ``steer`` makes the generated requests reach past the key check
and the 404s: real keys, ids of stored articles, their ETags, documents completed to Newsdesk's
profile. ``report`` keeps the figures. ``python -m tests.fuzz`` is the full run; ``test_fuzz`` a short
one inside ``make test``.
"""
