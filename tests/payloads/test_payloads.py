"""The data converter and codecs, end to end through a WorkflowEnvironment (dev server over
loopback HTTP; S3 is moto's server)."""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from aiobotocore.session import get_session  # type: ignore[import-untyped]

from swfasync import Client, IdReusePolicy
from swfasync._engine.failures import decode_failure, encode_failure
from swfasync.converter import (
    AesGcmCodec,
    DataConverter,
    JsonPayloadConverter,
    PayloadError,
    PayloadTooLargeError,
    S3Offload,
    ZlibCodec,
)
from swfasync.exceptions import (
    ApplicationError,
    ConfigurationError,
    WorkflowDecisionFailedError,
    WorkflowIdConflictError,
)
from swfasync.testing import WorkflowEnvironment

from . import workflows as w

KEY = bytes(range(32))
S3_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def s3_offload(bucket: str, endpoint: str, threshold: int | None = None) -> S3Offload:
    return S3Offload(
        bucket,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        threshold=threshold,
    )


def encrypting() -> DataConverter:
    return DataConverter(codecs=[ZlibCodec(), AesGcmCodec(KEY, key_id="k1")])


async def test_pydantic_models_as_input_activity_result_and_signal() -> None:
    async with WorkflowEnvironment(
        workflows=[w.Shipping], activities=[w.quote_for], task_list="payloads"
    ) as env:
        handle = await env.client.start_workflow(
            w.Shipping, w.Address(street="1 Rue", city="Lyon"), id="ship-1"
        )
        await handle.signal(w.Shipping.approve, w.Approval(by="ana", note="ok"))
        quote = await handle.result()
    assert isinstance(quote, w.Quote)
    assert quote == w.Quote(
        cents=400,
        currency="EUR",
        valid_until=datetime(2030, 1, 1, tzinfo=UTC),
        approved_by="ana",
    )


async def test_pydantic_validation_failure_is_a_payload_error() -> None:
    converter = JsonPayloadConverter()
    text = converter.encode({"cents": -1, "currency": "EUR", "valid_until": "x"}, "result")
    with pytest.raises(PayloadError) as caught:
        converter.decode_result(text, w.Quote)
    assert "Quote" in str(caught.value)


async def test_a_registered_type_travels_as_input_and_activity_result() -> None:
    converter = DataConverter(
        JsonPayloadConverter(encoders={w.Money: str}, decoders={w.Money: w.Money.parse})
    )
    async with WorkflowEnvironment(
        workflows=[w.Invoice],
        activities=[w.add_tax],
        task_list="payloads",
        data_converter=converter,
    ) as env:
        handle = await env.client.start_workflow(w.Invoice, w.Money(1000, "EUR"), id="inv-1")
        assert await handle.result() == w.Money(1200, "EUR")
        started = (await handle.history())[0]
        assert started.attributes.input == '["1000 EUR"]'  # type: ignore[union-attr]


async def test_an_unregistered_type_says_what_to_do() -> None:
    async with WorkflowEnvironment(workflows=[w.Invoice], task_list="payloads") as env:
        with pytest.raises(PayloadError) as caught:
            await env.client.start_workflow(w.Invoice, w.Money(1, "EUR"), id="inv-2")
    message = str(caught.value)
    assert "Money" in message
    assert "register an encoder" in message
    assert "dataclass" in message


async def test_encrypted_execution_leaves_no_plaintext_in_history() -> None:
    w.declined_once.clear()
    converter = encrypting()
    async with WorkflowEnvironment(
        workflows=[w.Vault], activities=[w.charge], task_list="payloads", data_converter=converter
    ) as env:
        handle = await env.client.start_workflow(w.Vault, w.SECRET, id="vault-1")
        await handle.signal("annotate", f"noted {w.SECRET}")
        result = await handle.result()
        assert result == (f"receipt for {w.SECRET}: 1200 / token of {w.SECRET} / noted {w.SECRET}")
        assert await handle.published_state() == {"card": w.SECRET}
        history = json.dumps(await handle.history_json())
        described = await handle.describe()

        # The same execution read by a client without the key: references, no plaintext.
        async with Client.local(env.server.endpoint_url, env.domain) as plain:
            stranger = await plain.get_workflow_handle("vault-1")
            with pytest.raises(PayloadError):
                await stranger.result()

    assert w.declined_once == [w.SECRET]  # the failed attempt's details were decoded too
    assert "4111" not in history
    assert "swfasync-codec" in history
    kinds = {event["eventType"] for event in json.loads(history)["events"]}
    assert {"ActivityTaskFailed", "MarkerRecorded", "WorkflowExecutionSignaled"} <= kinds
    assert "4111" not in (described.latest_execution_context or "")


async def test_the_key_id_travels_with_the_ciphertext() -> None:
    old = AesGcmCodec(b"o" * 16, key_id="old")
    rotated = DataConverter(
        codecs=[AesGcmCodec(b"n" * 32, key_id="new", previous_keys={"old": b"o" * 16})]
    )
    stored = await DataConverter(codecs=[old]).encode({"a": 1}, "input")
    assert await rotated.decode_result(stored, dict) == {"a": 1}
    with pytest.raises(PayloadError, match="'old'"):
        await DataConverter(codecs=[AesGcmCodec(b"n" * 32, key_id="new")]).decode_result(
            stored, dict
        )
    tampered = stored.replace(stored[-6:-2], "AAAA")
    with pytest.raises(PayloadError):
        await rotated.decode_result(tampered, dict)


async def test_limits_are_checked_on_what_swf_receives() -> None:
    converter = DataConverter(codecs=[AesGcmCodec(KEY)])
    # 30,000 characters fit as JSON; encrypted and in base64 they do not.
    incompressible = secrets.token_hex(15_000)
    async with WorkflowEnvironment(
        workflows=[w.Echo, w.SendsTooMuch], task_list="payloads", data_converter=converter
    ) as env:
        with pytest.raises(PayloadTooLargeError) as caught:
            await env.client.start_workflow(w.Echo, incompressible, id="echo-1")
        assert caught.value.field == "input"
        assert caught.value.limit == 32_768
        assert caught.value.size is not None
        assert caught.value.size > 32_768

        # In workflow code the decision task fails, recorded with the size and the limit.
        handle = await env.client.start_workflow(w.SendsTooMuch, 30_000, id="too-much")
        with pytest.raises(WorkflowDecisionFailedError) as failed:
            await handle.result()
    assert failed.value.failure.error_type == "PayloadTooLargeError"
    assert "32768" in failed.value.failure.message
    assert "ScheduleActivityTask input" in failed.value.failure.message


async def test_compression_keeps_a_large_but_compressible_payload_within_limits() -> None:
    converter = DataConverter(codecs=[ZlibCodec()])
    async with WorkflowEnvironment(
        workflows=[w.Echo], task_list="payloads", data_converter=converter
    ) as env:
        text = "abc" * 40_000  # 120,000 characters of JSON
        handle = await env.client.start_workflow(w.Echo, text, id="echo-2")
        assert await handle.result() == text


@pytest.fixture
async def bucket(moto_server: str) -> str:
    name = f"payloads-{uuid.uuid4().hex[:12]}"
    async with get_session().create_client(
        "s3", endpoint_url=moto_server, region_name="us-east-1", **S3_CREDENTIALS
    ) as s3:
        await s3.create_bucket(Bucket=name)
    return name


async def test_a_5_mb_activity_result_round_trips_through_s3(moto_server: str, bucket: str) -> None:
    offload = s3_offload(bucket, moto_server)
    converter = DataConverter(offload=offload)
    async with WorkflowEnvironment(
        workflows=[w.Report],
        activities=[w.big_report],
        task_list="payloads",
        data_converter=converter,
    ) as env:
        handle = await env.client.start_workflow(w.Report, "seed", id="report-1")
        result = await handle.result()
        events = (await handle.history_json())["events"]
    expected = await w.big_report("seed")
    assert result["size"] == w.BIG
    assert result["sha256"] == __import__("hashlib").sha256(expected.encode()).hexdigest()
    completed = next(ev for ev in events if ev["eventType"] == "ActivityTaskCompleted")
    reference = json.loads(completed["activityTaskCompletedEventAttributes"]["result"])
    assert reference["swfasync-s3"].startswith(f"s3://{bucket}/")
    assert reference["size"] > w.BIG
    # The object is really in the bucket, and really the payload.
    key = reference["swfasync-s3"].split("/", 3)[3]
    async with get_session().create_client(
        "s3", endpoint_url=moto_server, region_name="us-east-1", **S3_CREDENTIALS
    ) as s3:
        response = await s3.get_object(Bucket=bucket, Key=key)
        async with response["Body"] as body:
            stored = await body.read()
    assert json.loads(stored) == expected


async def test_offload_without_a_store_names_the_reference(moto_server: str, bucket: str) -> None:
    offload = s3_offload(bucket, moto_server, threshold=100)
    stored = await DataConverter(offload=offload).encode("y" * 500, "result")
    assert stored.startswith('{"swfasync-s3":')
    with pytest.raises(PayloadError, match=f"s3://{bucket}/"):
        await DataConverter().decode_result(stored, str)
    fresh = s3_offload(bucket, moto_server)
    assert await DataConverter(offload=fresh).decode_result(stored, str) == "y" * 500


def test_importing_swfasync_does_not_import_optional_packages() -> None:
    code = (
        "import sys, swfasync, swfasync.converter, swfasync.testing;"
        "bad = [m for m in ('pydantic', 'cryptography') if m in sys.modules];"
        "assert not bad, bad"
    )
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}
    )
    assert done.returncode == 0, done.stderr


def test_converter_public_names() -> None:
    import swfasync.converter

    assert swfasync.converter.__all__ == (
        "AesGcmCodec",
        "DataConverter",
        "JsonPayloadConverter",
        "PayloadCodec",
        "PayloadError",
        "PayloadTooLargeError",
        "S3Offload",
        "ZlibCodec",
    )


async def test_idempotent_starts_compare_the_plain_input_not_the_ciphertext() -> None:
    async with WorkflowEnvironment(
        workflows=[w.Echo], task_list="payloads", data_converter=encrypting()
    ) as env:
        first = await env.client.start_workflow(
            w.Echo, "same", id="echo-idem", id_reuse_policy=IdReusePolicy.IDEMPOTENT
        )
        again = await env.client.start_workflow(
            w.Echo, "same", id="echo-idem", id_reuse_policy=IdReusePolicy.IDEMPOTENT
        )
        assert again.run_id == first.run_id
        assert not again.newly_started
        with pytest.raises(WorkflowIdConflictError):
            await env.client.start_workflow(
                w.Echo, "other", id="echo-idem", id_reuse_policy=IdReusePolicy.IDEMPOTENT
            )


async def test_a_child_is_signalled_by_method_reference_with_encrypted_payloads() -> None:
    async with WorkflowEnvironment(
        workflows=[w.Parent, w.Waiter], task_list="payloads", data_converter=encrypting()
    ) as env:
        handle = await env.client.start_workflow(w.Parent, "Bartholomew", id="parent-1")
        assert await handle.result() == ["Bartholomew"]
        child_id = "parent-1#1"
        child = await env.client.get_workflow_handle(child_id, workflow=w.Waiter)
        assert await child.result() == ["Bartholomew"]
        assert "Bartholomew" not in json.dumps(await child.history_json())


def test_failure_details_use_the_converter_for_registered_types() -> None:
    converter = JsonPayloadConverter(encoders={w.Money: str})
    error = ApplicationError("over budget", w.Money(1500, "EUR"))
    _, details = encode_failure(error, converter.enc_hook)
    assert decode_failure(None, details).details == ["1500 EUR"]
    # Without the converter's hook the details are shed, never the failure.
    _, bare = encode_failure(error)
    assert decode_failure(None, bare).message == "over budget"


async def test_heartbeat_details_are_encrypted_and_reach_the_workflow_decoded() -> None:
    async with WorkflowEnvironment(
        workflows=[w.Stalled],
        activities=[w.stalls],
        task_list="payloads",
        data_converter=encrypting(),
    ) as env:
        handle = await env.client.start_workflow(w.Stalled, w.SECRET, id="stalled-1")
        details = await handle.result()
        history = json.dumps(await handle.history_json())
    assert json.loads(details) == [{"progress": f"checked {w.SECRET}"}]
    assert "4111" not in history
    assert '"timeoutType": "HEARTBEAT"' in history


@pytest.mark.parametrize(
    "make",
    [
        lambda: AesGcmCodec(b"short"),
        lambda: AesGcmCodec(KEY, key_id=""),
        lambda: AesGcmCodec(KEY, key_id="clé"),
        lambda: AesGcmCodec(KEY, previous_keys={"old": b"x" * 7}),
        lambda: ZlibCodec(level=12),
        lambda: DataConverter(codecs=[ZlibCodec(), ZlibCodec()]),
    ],
    ids=["key-size", "empty-key-id", "non-ascii-key-id", "old-key-size", "zlib-level", "twice"],
)
def test_a_misconfigured_codec_is_refused_at_once(make: Callable[[], object]) -> None:
    with pytest.raises(ConfigurationError):
        make()


async def test_a_codec_with_a_name_swf_payloads_cannot_carry_is_refused() -> None:
    class Shouting:
        name = "LOUD NAME"

        async def encode(self, data: bytes) -> bytes:
            return data.upper()

        async def decode(self, data: bytes) -> bytes:
            return data.lower()

    with pytest.raises(ConfigurationError, match="LOUD NAME"):
        DataConverter(codecs=[Shouting()])


async def test_a_type_registered_later_reaches_a_converter_with_codecs() -> None:
    payloads = JsonPayloadConverter()
    converter = DataConverter(payloads, codecs=[ZlibCodec()])
    with pytest.raises(PayloadError, match="Money"):
        await converter.encode(w.Money(5, "EUR"), "input")
    payloads.register(w.Money, encode=str, decode=w.Money.parse)
    stored = await converter.encode([w.Money(5, "EUR")], "input")
    assert stored.startswith('{"swfasync-codec":["zlib"]')
    assert await converter.decode_args(stored, [w.Money]) == [w.Money(5, "EUR")]
