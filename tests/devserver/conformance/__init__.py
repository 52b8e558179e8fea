"""Conformance of the dev server to Amazon SWF, as botocore's model and other clients see it.

Harness:
    validation.py   OutputValidator (botocore's ParamValidator made complete for outputs:
                    enums, max lengths, integer bounds, epoch timestamps) and the wire check
                    of status, headers and faults.
    clients.py      aiobotocore, boto3 and the AWS CLI behind one call signature, each
                    validating every response where that client sees it.
    coverage.py     the session's record of operations, decisions, events and faults seen.
    decider.py      a decider and activity worker driven by hand, and history normalisation.
    scenarios.py    scenarios shared by several tests (three clients, moto comparison).
    servers.py      the dev server in a thread; moto's server in a subprocess.

Tests: ``test_three_clients`` (one scenario, three clients), ``test_differential_moto``,
scenario modules that between them produce every event type, ``test_faults``,
``test_validation`` and ``test_hooks`` (the harness itself), and ``test_zz_coverage``, which
runs last and fails a full run that left any part of the model unexercised.

``SWF_CONFORMANCE_ENDPOINT=http://127.0.0.1:PORT pytest tests/devserver/conformance`` runs
the suite against another SWF implementation (coverage is then not enforced).
"""
