"""The worker's fast transport sends as botocore is configured to, over loopback only.

A forward proxy (CONNECT and absolute-form requests) and a TLS terminator in front of the
dev server run in this process on 127.0.0.1; the certificates are made here with the
``cryptography`` package. Each test runs a real workflow with an activity through a
``Client`` and a ``Worker`` and looks at what the wire carried: the proxy sees every
request the worker sends through it (the fast transport's own ``User-Agent`` tells its
requests from aiobotocore's), and the TLS endpoint is reached with the CA bundle and
client certificate the configuration names, and refused without them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import structlog
from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from structlog.testing import capture_logs

from swfasync import Client, Worker, activity, workflow
from swfasync._client import transport
from swfasync._client.connection import create_swf_client, make_config
from swfasync._client.fast_transport import USER_AGENT, FastSwfTransport
from swfasync._wire import api
from swfasync.devserver import DevServer
from swfasync.exceptions import ActivityTaskNotFoundError, SwfConnectionError

TASK_LIST = "transport-config"
REGION = "us-east-1"
# What the worker sends, by the fast transport or by aiobotocore.
WORKER_OPERATIONS = frozenset(
    {
        "PollForDecisionTask",
        "RespondDecisionTaskCompleted",
        "PollForActivityTask",
        "RespondActivityTaskCompleted",
    }
)


@activity.defn(start_to_close_timeout=dt.timedelta(seconds=30))
async def transport_echo(text: str) -> str:
    return f"echo {text}"


@workflow.defn(name="TransportEcho", task_list=TASK_LIST)
async def transport_echo_workflow(text: str) -> str:
    return await workflow.execute_activity(transport_echo, text)


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from structlog's defaults, with no warning said yet, and with no
    proxy, CA bundle or AWS settings from the machine's environment."""
    monkeypatch.setattr(transport, "_warned", set())
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "AWS_CA_BUNDLE",
        "REQUESTS_CA_BUNDLE",
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    previous = structlog.get_config()
    was_configured = structlog.is_configured()
    structlog.reset_defaults()
    try:
        yield
    finally:
        structlog.reset_defaults()
        if was_configured:
            structlog.configure(**previous)


# -- a forward proxy on loopback ---------------------------------------------------------------


@dataclass
class Seen:
    """One request as the proxy received it: ``CONNECT host:port`` for a tunnel, else the
    absolute-form request with its headers."""

    method: str
    target: str
    headers: dict[str, str]

    @property
    def operation(self) -> str:
        return self.headers.get("x-amz-target", "").rpartition(".")[2]


@dataclass
class LoopbackProxy:
    """An HTTP proxy: tunnels CONNECT, forwards absolute-form requests (keeping the
    connection for the next one), and records what it was asked."""

    seen: list[Seen] = field(default_factory=list)
    url: str = ""
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def operations(self, user_agent_prefix: str | None = None) -> set[str]:
        return {
            s.operation
            for s in self.seen
            if user_agent_prefix is None
            or s.headers.get("user-agent", "").startswith(user_agent_prefix)
        }

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        try:
            while True:
                head = await read_head(reader)
                if head is None:
                    return
                method, target, headers = head
                self.seen.append(Seen(method, target, headers))
                if method == "CONNECT":
                    host, _, port = target.rpartition(":")
                    up_reader, upstream = await asyncio.open_connection(host, int(port))
                    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    await writer.drain()
                    await pipe_both(reader, writer, up_reader, upstream)
                    return
                url = target.removeprefix("http://")
                authority, _, path = url.partition("/")
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if upstream is None:
                    host, _, port = authority.rpartition(":")
                    up_reader, upstream = await asyncio.open_connection(host, int(port))
                    self._relay(up_reader, writer)
                lines = [f"{method} /{path} HTTP/1.1"]
                lines += [f"{k}: {v}" for k, v in headers.items() if not k.startswith("proxy-")]
                upstream.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await upstream.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            if upstream is not None:
                upstream.close()
            writer.close()

    def _relay(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(copy(source, sink))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def read_head(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]] | None:
    line = await reader.readline()
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return method, target, headers


async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with suppress(ConnectionError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    with suppress(ConnectionError, OSError):
        sink.close()


async def pipe_both(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    upstream: asyncio.StreamWriter,
) -> None:
    await asyncio.gather(copy(reader, upstream), copy(up_reader, writer))


@asynccontextmanager
async def loopback_proxy() -> AsyncIterator[LoopbackProxy]:
    proxy = LoopbackProxy()
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    proxy.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield proxy
    finally:
        server.close()
        for task in list(proxy._tasks):
            task.cancel()


# -- certificates and a TLS endpoint on loopback -----------------------------------------------


@dataclass(frozen=True)
class Pki:
    """A CA made for the test, a server certificate for 127.0.0.1 and a client
    certificate it issued, as PEM files."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer is not None else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if issuer is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
    return builder.sign(issuer_key, hashes.SHA256())


def _write_cert(cert: x509.Certificate, path: Path) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    where = tmp_path_factory.mktemp("pki")
    ca_key = _key()
    ca = _certificate("swfasync test CA", ca_key, None, ca_key, ca=True)
    server_key, client_key = _key(), _key()
    server = _certificate("127.0.0.1", server_key, ca, ca_key, server=True)
    client = _certificate("swfasync worker", client_key, ca, ca_key)
    return Pki(
        ca=_write_cert(ca, where / "ca.pem"),
        server_cert=_write_cert(server, where / "server.pem"),
        server_key=_write_key(server_key, where / "server.key"),
        client_cert=_write_cert(client, where / "client.pem"),
        client_key=_write_key(client_key, where / "client.key"),
    )


@asynccontextmanager
async def tls_endpoint(
    backend_url: str, pki: Pki, *, require_client_cert: bool = False
) -> AsyncIterator[str]:
    """``https://127.0.0.1:port`` terminating TLS with the test CA's certificate and
    relaying the bytes to ``backend_url`` (the dev server)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki.ca)
    backend = backend_url.removeprefix("http://")
    host, _, port = backend.rpartition(":")

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, upstream = await asyncio.open_connection(host, int(port))
        except OSError:
            writer.close()
            return
        await pipe_both(reader, writer, up_reader, upstream)

    server = await asyncio.start_server(relay, "127.0.0.1", 0, ssl=context)
    try:
        yield f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


# -- running a workflow through a configured client -----------------------------------------


@asynccontextmanager
async def dev_server() -> AsyncIterator[DevServer]:
    async with DevServer() as server:
        yield server


async def run_workflow(
    endpoint_url: str, domain: str, *, config: Config | None = None, **client_options: Any
) -> str:
    """One execution with one activity, through a Client and a Worker (fast transport on)
    made with ``config`` merged over the SDK's defaults."""
    merged = make_config() if config is None else make_config().merge(config)
    async with (
        Client.local(
            endpoint_url, domain, config=merged, retry_timeout=10, **client_options
        ) as client,
        Worker(
            client,
            task_list=TASK_LIST,
            workflows=[transport_echo_workflow],
            activities=[transport_echo],
        ),
    ):
        handle = await client.start_workflow(transport_echo_workflow, domain, id=domain)
        result: str = await asyncio.wait_for(handle.result(), 30)
    return result


# -- proxies ------------------------------------------------------------------------------------


async def test_the_configured_proxy_sees_the_workers_requests() -> None:
    async with dev_server() as server, loopback_proxy() as proxy:
        endpoint = server.endpoint_url
        config = Config(proxies={"http": proxy.url})
        assert await run_workflow(endpoint, "proxied", config=config) == "echo proxied"
    # Every call went through the proxy, the worker's by the fast transport.
    assert proxy.operations(USER_AGENT) >= WORKER_OPERATIONS
    assert all(s.target.startswith(endpoint) for s in proxy.seen)


async def test_the_environments_proxy_is_used_unless_no_proxy_covers_the_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with dev_server() as server, loopback_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        assert await run_workflow(server.endpoint_url, "via-env") == "echo via-env"
        assert proxy.operations(USER_AGENT) >= WORKER_OPERATIONS
        proxy.seen.clear()
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert await run_workflow(server.endpoint_url, "bypassed") == "echo bypassed"
        assert proxy.seen == []


async def test_an_explicitly_empty_proxy_map_ignores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``Config(proxies={})`` is botocore's way to say no proxy, whatever the environment."""
    async with dev_server() as server, loopback_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        config = Config(proxies={})
        assert await run_workflow(server.endpoint_url, "direct", config=config) == "echo direct"
    assert proxy.seen == []


# -- TLS: CA bundle and client certificates -----------------------------------------------------


async def test_a_custom_ca_bundle_reaches_a_tls_endpoint(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with dev_server() as server, tls_endpoint(server.endpoint_url, pki) as endpoint:
        monkeypatch.setenv("AWS_CA_BUNDLE", str(pki.ca))
        with capture_logs() as logs:
            assert await run_workflow(endpoint, "tls") == "echo tls"
    # The worker used the fast transport (nothing made it fall back).
    assert not [log for log in logs if log["event"] == "fast_transport_unavailable"]


ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})
KEYS: dict[str, Any] = {
    "region_name": REGION,
    "aws_access_key_id": "AKIDLOCAL",
    "aws_secret_access_key": "local",
}
NO_SUCH_TASK = api.RecordActivityTaskHeartbeatInput(task_token="no-such-token")


async def test_a_tls_endpoint_is_refused_without_the_ca_and_answers_with_it(pki: Pki) -> None:
    config = make_config().merge(ONE_ATTEMPT)
    async with dev_server() as server, tls_endpoint(server.endpoint_url, pki) as endpoint:
        async with (
            create_swf_client(endpoint_url=endpoint, config=config, **KEYS) as client,
            FastSwfTransport(client) as fast,
        ):
            with pytest.raises(SwfConnectionError) as refused:
                await fast.send(NO_SUCH_TASK)
            assert isinstance(refused.value.__cause__, ssl.SSLError)
        async with (
            create_swf_client(
                endpoint_url=endpoint, config=config, verify=str(pki.ca), **KEYS
            ) as client,
            FastSwfTransport(client) as fast,
        ):
            # SWF's own answer, over TLS: the token names no task.
            with pytest.raises(ActivityTaskNotFoundError):
                await fast.send(NO_SUCH_TASK)


async def test_a_client_certificate_is_presented_when_configured(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", str(pki.ca))
    certificate = Config(client_cert=(str(pki.client_cert), str(pki.client_key)))
    async with (
        dev_server() as server,
        tls_endpoint(server.endpoint_url, pki, require_client_cert=True) as endpoint,
    ):
        with capture_logs() as logs:
            assert await run_workflow(endpoint, "mtls", config=certificate) == "echo mtls"
        assert not [log for log in logs if log["event"] == "fast_transport_unavailable"]
        async with (
            create_swf_client(
                endpoint_url=endpoint, config=make_config().merge(ONE_ATTEMPT), **KEYS
            ) as client,
            FastSwfTransport(client) as fast,
        ):
            with pytest.raises(SwfConnectionError):  # no certificate: the server hangs up
                await fast.send(NO_SUCH_TASK)


async def test_a_tls_endpoint_behind_the_proxy_is_tunnelled(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", str(pki.ca))
    async with (
        dev_server() as server,
        tls_endpoint(server.endpoint_url, pki) as endpoint,
        loopback_proxy() as proxy,
    ):
        config = Config(proxies={"https": proxy.url})
        with capture_logs() as logs:
            assert await run_workflow(endpoint, "tunnel", config=config) == "echo tunnel"
    assert not [log for log in logs if log["event"] == "fast_transport_unavailable"]
    authority = endpoint.removeprefix("https://")
    assert proxy.seen
    assert {(s.method, s.target) for s in proxy.seen} == {("CONNECT", authority)}


# -- what the fast transport cannot honour ----------------------------------------------------


async def test_a_setting_it_cannot_honour_is_named_once_and_aiobotocore_sends() -> None:
    config = Config(proxies_config={"proxy_use_forwarding_for_https": True})
    async with dev_server() as server, loopback_proxy() as proxy:
        config = config.merge(Config(proxies={"http": proxy.url}))
        with capture_logs() as logs:
            assert await run_workflow(server.endpoint_url, "f-1", config=config) == "echo f-1"
            assert await run_workflow(server.endpoint_url, "f-2", config=config) == "echo f-2"
    warnings = [log for log in logs if log["event"] == "fast_transport_unavailable"]
    assert [(w["log_level"], w["setting"]) for w in warnings] == [("warning", "proxies_config")]
    # The worker's calls went through aiobotocore, which honours the setting (and the proxy).
    assert proxy.operations() >= WORKER_OPERATIONS
    assert not proxy.operations(USER_AGENT)


# -- refreshable credentials with a real expiry ------------------------------------------------

# A credential_process: each run issues the next key, expiring ``lifetime`` seconds on.
CREDENTIAL_PROCESS = textwrap.dedent(
    """
    import datetime, json, pathlib, sys
    counter = pathlib.Path(sys.argv[1])
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    now = datetime.datetime.now(datetime.timezone.utc)
    expiry = now + datetime.timedelta(seconds=float(sys.argv[2]))
    print(json.dumps({
        "Version": 1,
        "AccessKeyId": f"AKIDPROCESS{n}",
        "SecretAccessKey": f"secret/{n}",
        "SessionToken": f"token{n}",
        "Expiration": expiry.isoformat(),
    }))
    """
)
# botocore refreshes credentials within 15 minutes of their expiry (its advisory window):
# these keys enter it LIFETIME_MARGIN seconds after they are issued.
LIFETIME_MARGIN = 4.0


def access_key(seen: Seen) -> str:
    return seen.headers["authorization"].split("Credential=", 1)[1].split("/", 1)[0]


async def test_refreshable_credentials_with_a_real_expiry_are_refreshed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile's credential_process issues keys with an expiry; once one is due, the
    next request refreshes it and carries the new key, and so does every later one."""
    script = tmp_path / "issue_keys.py"
    script.write_text(CREDENTIAL_PROCESS)
    counter = tmp_path / "issued"
    lifetime = 15 * 60 + LIFETIME_MARGIN
    (tmp_path / "config").write_text(
        f"[profile rotating]\ncredential_process = {sys.executable} {script} {counter} {lifetime}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    async with dev_server() as server, loopback_proxy() as proxy:
        config = make_config().merge(Config(proxies={"http": proxy.url}))
        async with (
            create_swf_client(
                endpoint_url=server.endpoint_url,
                region_name=REGION,
                profile="rotating",
                config=config,
            ) as swf,
            FastSwfTransport(swf) as fast,
        ):
            with suppress(ActivityTaskNotFoundError):
                await fast.send(NO_SUCH_TASK)
            first_key = access_key(proxy.seen[-1])
            await asyncio.sleep(LIFETIME_MARGIN + 0.5)  # the key is due now
            issued_before = int(counter.read_text())
            mark = len(proxy.seen)
            for _ in range(3):
                with suppress(ActivityTaskNotFoundError):
                    await fast.send(NO_SUCH_TASK)
    later = proxy.seen[mark:]
    assert len(later) == 3
    later_keys = {access_key(s) for s in later}
    assert first_key not in later_keys
    # One refresh, on the first request after the key was due, for every later request.
    assert later_keys == {f"AKIDPROCESS{issued_before + 1}"}


async def test_a_running_worker_signs_with_the_refreshed_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same through a Client and a Worker: a due key is refreshed in the background of
    one request (botocore's advisory refresh: the old key is still valid meanwhile), and
    the worker's requests after that carry the new one."""
    script = tmp_path / "issue_keys.py"
    script.write_text(CREDENTIAL_PROCESS)
    counter = tmp_path / "issued"
    lifetime = 15 * 60 + LIFETIME_MARGIN
    (tmp_path / "config").write_text(
        f"[profile rotating]\ncredential_process = {sys.executable} {script} {counter} {lifetime}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))

    def issued() -> int:
        return int(counter.read_text())

    async def run(client: Client, name: str) -> None:
        handle = await client.start_workflow(transport_echo_workflow, name, id=name)
        assert await asyncio.wait_for(handle.result(), 30) == f"echo {name}"

    def worker_keys(seen: list[Seen]) -> list[str]:
        """The keys the worker's requests carried, in the order they reached the proxy."""
        return [
            access_key(s)
            for s in seen
            if s.operation in WORKER_OPERATIONS
            and s.headers.get("user-agent", "").startswith(USER_AGENT)
        ]

    async with dev_server() as server, loopback_proxy() as proxy:
        config = make_config().merge(Config(proxies={"http": proxy.url}))
        async with (
            Client(
                "rotating",
                endpoint_url=server.endpoint_url,
                region_name=REGION,
                profile="rotating",
                config=config,
                retry_timeout=10,
            ) as client,
            Worker(
                client,
                task_list=TASK_LIST,
                workflows=[transport_echo_workflow],
                activities=[transport_echo],
            ),
        ):
            await run(client, "before-expiry")
            old_keys = set(worker_keys(proxy.seen))
            await asyncio.sleep(LIFETIME_MARGIN + 0.5)  # every key issued so far is due
            due = issued()
            mark = len(proxy.seen)
            await run(client, "refreshing")
            # Each of the client's two sessions (its own calls, the worker's) refreshes once.
            for _ in range(400):  # 20 s at most
                if issued() >= due + 2:
                    break
                await asyncio.sleep(0.05)
            assert issued() >= due + 2
            await run(client, "after-refresh")
            since_due = worker_keys(proxy.seen[mark:])
    assert len(old_keys) == 1
    # The counter moves when the credential process starts, not when botocore installs its
    # key: requests during the refresh still carry the old key (the advisory refresh lets
    # them). So the test is on the order: once a new key is used, the old one never is.
    first_new = next(
        (i for i, key in enumerate(since_due) if int(key.removeprefix("AKIDPROCESS")) > due),
        None,
    )
    assert first_new is not None, f"the worker never signed with a refreshed key: {since_due}"
    assert set(since_due[:first_new]) <= old_keys
    assert all(int(key.removeprefix("AKIDPROCESS")) > due for key in since_due[first_new:])
