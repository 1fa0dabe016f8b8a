"""Protocol-level students for benchmarks/classroom.py: a real browser's journey, recorded as the
messages it sent the server, replayed by many light websocket clients.

Why: 30 headless chromiums drawing Plotly maps on the server's own two cores measure chromium, not the
server. A replayed student sends what a browser sends (every rerun with its widget states, one websocket
per page load, reconnecting to its own session as a reloaded tab does) and fetches every image the
answers name, but draws nothing. Its latency is action -> the script finished -> the images fetched.

Streamlit's wire protocol: BackMsg / ForwardMsg protobufs on /_stcore/stream; the Sec-WebSocket-Protocol
header carries "streamlit", an XSRF token (checked only for requests with an Origin header) and the
session to reconnect to.
"""
from __future__ import annotations

import asyncio
import re
import time
import urllib.request
from dataclasses import dataclass, field

THINK_S = 1.0           # a student's pause between two actions
ANSWER_TIMEOUT_S = 180
MEDIA = re.compile(rb"/media/[0-9a-f]+\.(?:png|jpe?g|webp|gif|svg)")


@dataclass
class Recording:
    """The rerun messages a browser sent, one list per websocket (page load): raw BackMsg bytes."""
    connections: list[list[bytes]] = field(default_factory=list)

    def attach(self, page) -> None:
        """Record the Playwright page's Streamlit websockets from now on."""
        def on_socket(ws):
            if "/_stcore/stream" not in ws.url:
                return
            frames: list[bytes] = []
            self.connections.append(frames)
            ws.on("framesent",
                  lambda payload: frames.append(payload if isinstance(payload, bytes) else payload.encode()))
        page.on("websocket", on_socket)

    def journey(self) -> list[list[bytes]]:
        """What was recorded so far, frozen: per page load, the user's reruns (see reruns)."""
        return [reruns(list(frames)) for frames in self.connections]


def reruns(frames: list[bytes]) -> list[bytes]:
    """The rerun_script messages a user caused, without the browser's list of messages it has cached
    (a replayed client has none, so the server sends it everything, as to a new browser). Timer reruns
    (a fragment's run_every, is_auto_rerun) are left out: a replayed student does not poll."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    out = []
    for frame in frames:
        msg = BackMsg.FromString(frame)
        if msg.WhichOneof("type") == "rerun_script" and not msg.rerun_script.is_auto_rerun:
            msg.rerun_script.ClearField("cached_message_hashes")
            out.append(msg.SerializeToString())
    return out


def describe(message: bytes, previous: bytes | None) -> str:
    """What a recorded rerun did, for a table: a page load (the first message of a connection, previous None),
    or a fragment's or the whole page's rerun and the widgets (user keys) whose value changed."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    rerun = BackMsg.FromString(message).rerun_script
    if previous is None:
        return f"load {rerun.page_name or 'the default page'}"

    def states(raw):
        return {w.id.rsplit("-", 1)[-1]: w.SerializeToString()
                for w in BackMsg.FromString(raw).rerun_script.widget_states.widgets}

    now, before = states(message), states(previous)
    changed = sorted(k.removesuffix("__events") for k, v in now.items() if before.get(k) != v and k != "None")
    return f"{'fragment' if rerun.fragment_id else 'page'} rerun: {', '.join(changed)[:40] or 'no widget'}"


class ReplayStudent:
    """One replayed student: its action latencies (s), errors, and whether the server dropped it."""

    def __init__(self, url: str, journey: list[list[bytes]], name: str):
        self.http, self.ws_url, self.recorded, self.name = url, "ws" + url[4:] + "/_stcore/stream", journey, name
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.session: str | None = None
        self.socket = None
        self._reader: asyncio.Task | None = None
        self._answer: asyncio.Event | None = None
        self._media: set[bytes] = set()

    async def journey(self, stop: asyncio.Event | None = None) -> None:
        """Every recorded page load and action once, or until stop is set; the connection stays open
        (an open tab)."""
        import websockets

        for actions in self.recorded:
            if stop is not None and stop.is_set():
                return
            await self.close()
            protocols = ["streamlit", "none"] + ([self.session] if self.session else [])
            try:   # a saturated server is slow to answer even the handshake: as patient as for an answer
                self.socket = await websockets.connect(self.ws_url, subprotocols=protocols, max_size=None,
                                                       open_timeout=ANSWER_TIMEOUT_S)
            except Exception as exc:
                self.errors.append(f"{self.name}: could not connect: {type(exc).__name__}: {str(exc)[:80]}")
                return
            self._reader = asyncio.create_task(self._read(self.socket))
            for message in actions:
                if stop is not None and stop.is_set():
                    return
                await self._act(message)
                await asyncio.sleep(THINK_S)

    async def _act(self, message: bytes) -> None:
        self._answer, self._media = asyncio.Event(), set()
        start = time.perf_counter()
        await self.socket.send(message)
        try:
            await asyncio.wait_for(self._answer.wait(), ANSWER_TIMEOUT_S)
            await asyncio.gather(*(asyncio.to_thread(self._fetch, url) for url in self._media))
        except Exception as exc:   # counted; the journey goes on
            self.errors.append(f"{self.name}: {type(exc).__name__}: {str(exc)[:100]}")
            return
        self.latencies.append(time.perf_counter() - start)

    def _fetch(self, path: bytes) -> None:
        with urllib.request.urlopen(self.http + path.decode(), timeout=ANSWER_TIMEOUT_S) as r:
            r.read()

    async def _read(self, socket) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        try:
            async for data in socket:
                msg = ForwardMsg.FromString(data)
                kind = msg.WhichOneof("type")
                if kind == "new_session":
                    self.session = msg.new_session.initialize.session_id
                elif kind == "delta":
                    self._media.update(MEDIA.findall(data))
                    element = msg.delta.new_element
                    if msg.delta.WhichOneof("type") == "new_element" and element.WhichOneof("type") == "exception":
                        self.errors.append(f"{self.name}: exception on the page: {element.exception.message[:100]}")
                elif kind == "script_finished" and self._answer is not None:
                    if msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        self._answer.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if socket is self.socket:
                self.errors.append(f"{self.name}: connection lost: {type(exc).__name__}")

    async def alive(self) -> bool:
        """The open tab still answers a rerun of its page."""
        if self.socket is None:
            return False
        before = len(self.errors)
        try:
            await self._act(self.recorded[-1][-1])
        except Exception:
            return False
        return len(self.errors) == before

    async def close(self) -> None:
        socket, self.socket = self.socket, None
        if socket is not None:
            await socket.close()
        if self._reader is not None:
            self._reader.cancel()
