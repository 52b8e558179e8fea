"""The ``simpleflow`` benchmark's other side: the same workloads written for simpleflow.

Nothing here is imported by swfasync's own environment: the modules run in
``.venv-simpleflow`` (simpleflow's pinned botocore differs from aiobotocore's), in the
decider and activity-worker processes that ``benchmarks.bench_simpleflow`` starts.
"""
