"""What the benchmarks need to drive the functions from outside and to watch their SDK calls.

Everything here works through entry points that survive refactoring: the Lambda handlers named in
template.yaml, the operator CLI, ``newsdesk_ops`` (template loader, local stack, stream poller) and
botocore's event hooks. Nothing here imports the data-access modules of ``newsdesk``, so the same
benchmark runs against the code before and after a restructuring (``python -m bench issue7``).
"""
