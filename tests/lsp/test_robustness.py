"""Hostile requests over stdio: malformed parameters, positions past the end, unknown URIs and
methods, broken JSON, cancellation. Each gets an error or null, and the server answers on."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import Future
from pathlib import Path

import pytest
from lsp_session import STEP_TIMEOUT, hover_text, session
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcMethodNotFound

pytestmark = pytest.mark.asyncio


def _write(s, payload: bytes) -> None:
    s.client._server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(payload) + payload)


async def raw_request(s, method: str, params) -> object:
    """Send a request exactly as given (the typed client would refuse to build it)."""
    msg_id = f"raw-{uuid.uuid4().hex}"
    future: Future = Future()
    s.client.protocol._request_futures[msg_id] = future
    message = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}
    _write(s, json.dumps(message).encode())
    return await asyncio.wait_for(asyncio.wrap_future(future), STEP_TIMEOUT)


async def _still_answers(s, sample: Path) -> None:
    square = sample / "pkg/square.py"
    assert "pkg.base.Shape" in hover_text(await s.hover(square, 5, 15))


async def test_malformed_parameters_get_an_error_and_the_server_goes_on(sample: Path):
    square = sample / "pkg/square.py"
    async with session(sample) as s:
        s.open(square)
        position = {"line": 5, "character": 15}
        document = {"uri": square.as_uri()}
        # Parameters that cannot be read as the method's type: InvalidParams.
        bad = [
            (types.TEXT_DOCUMENT_HOVER, {"textDocument": document, "position": "5:15"}),
            (types.TEXT_DOCUMENT_HOVER, {"textDocument": 42, "position": position}),
            (types.TEXT_DOCUMENT_HOVER, None),
            (types.TEXT_DOCUMENT_DEFINITION, {"position": position}),
            (types.WORKSPACE_EXECUTE_COMMAND, {"command": {"nested": True}}),
        ]
        for method, params in bad:
            with pytest.raises(JsonRpcException) as error:
                await raw_request(s, method, params)
            assert isinstance(error.value, JsonRpcInvalidParams), (method, error.value)
            await _still_answers(s, sample)
        # Values the protocol library coerces (None → "None"): answered with nothing useful,
        # but answered.
        odd = [
            (types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, {"textDocument": {"uri": None}}),
            (types.WORKSPACE_SYMBOL, {"query": ["not", "a", "string"]}),
            (types.TEXT_DOCUMENT_HOVER, {"textDocument": document, "position": {"line": 5.5}}),
        ]
        for method, params in odd:
            outcome = await _raw_or_error(s, method, params)
            assert outcome is None or outcome == [], (method, outcome)
            await _still_answers(s, sample)
        with pytest.raises(JsonRpcMethodNotFound):
            await raw_request(s, "kwdocs/noSuchMethod", {})
        with pytest.raises(JsonRpcException):
            await s.command("kwdocs.server.noSuchCommand")
        with pytest.raises(JsonRpcException):
            await s.command("kwdocs.server.exportAll", "not an object")
        # Broken JSON and a notification with junk: no answer possible, none needed.
        _write(s, b"{this is not json")
        _write(s, json.dumps({"jsonrpc": "2.0", "method": "textDocument/didOpen"}).encode())
        await _still_answers(s, sample)


async def test_bad_positions_and_unknown_documents_are_null(sample: Path, tmp_path: Path):
    square = sample / "pkg/square.py"
    outside = tmp_path / "elsewhere.py"
    outside.write_text("from pkg.base import Shape\n", encoding="utf-8")
    async with session(sample) as s:
        await s.ready()
        s.open(square)
        positions = [(5, 10_000), (10_000, 0), (2**31 - 1, 2**31 - 1)]
        for line, character in positions:
            assert await s.hover(square, line, character) is None
            assert await s.definition(square, line, character) is None
        for params in ({"line": -1, "character": 0}, {"line": 0, "character": -5}):
            result = await _raw_or_error(
                s,
                types.TEXT_DOCUMENT_HOVER,
                {"textDocument": {"uri": square.as_uri()}, "position": params},
            )
            assert result is None
        for uri in (
            (sample / "missing.py").as_uri(),
            "untitled:Untitled-1",
            "https://example.com/x.py",
            "file:///dev/null",
            "not a uri at all",
        ):
            document = types.TextDocumentIdentifier(uri=uri)
            position = types.Position(line=0, character=0)
            assert (
                await s.request(
                    types.TEXT_DOCUMENT_HOVER,
                    types.HoverParams(text_document=document, position=position),
                )
                is None
            )
            assert (
                await s.request(
                    types.TEXT_DOCUMENT_DEFINITION,
                    types.DefinitionParams(text_document=document, position=position),
                )
                is None
            )
            assert await s.request(
                types.TEXT_DOCUMENT_DOCUMENT_SYMBOL,
                types.DocumentSymbolParams(text_document=document),
            ) in (None, [])
        # A file outside every workspace folder still gets answers from the index.
        s.open(outside)
        assert "pkg.base.Shape" in hover_text(await s.hover(outside, 0, 23))
        await _still_answers(s, sample)


async def _raw_or_error(s, method: str, params) -> object:
    try:
        return await raw_request(s, method, params)
    except JsonRpcException:
        return None


async def test_cancelled_requests_are_answered_once(sample: Path):
    use = sample / "pkg/use.py"
    use.write_text("from pkg.square import Square\n\nSquare().area()\n", encoding="utf-8")
    async with session(sample) as s:
        await s.ready()
        s.open(use)
        params = types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=use.as_uri()),
            position=types.Position(line=2, character=10),
        )
        pending = [
            asyncio.ensure_future(
                s.client.protocol.send_request_async(types.TEXT_DOCUMENT_DEFINITION, params)
            )
            for _ in range(20)
        ]
        await asyncio.sleep(0)
        for msg_id in list(s.client.protocol._request_futures)[:10]:
            s.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        done = await asyncio.wait_for(
            asyncio.gather(*pending, return_exceptions=True), STEP_TIMEOUT
        )
        # Every request got exactly one answer: a result or a cancellation error.
        assert len(done) == 20
        for outcome in done:
            assert isinstance(outcome, (list, JsonRpcException)), outcome
        assert any(isinstance(o, list) for o in done)
        await _still_answers(s, sample)


async def test_requests_after_shutdown_get_an_error(sample: Path):
    square = sample / "pkg/square.py"
    async with session(sample) as s:
        await s.ready()
        await asyncio.wait_for(s.client.shutdown_async(None), STEP_TIMEOUT)
        with pytest.raises(JsonRpcException):
            await s.hover(square, 5, 15)
        s.client.exit(None)
        await asyncio.wait_for(s.client._server.wait(), STEP_TIMEOUT)
        assert s.client._server.returncode == 0
