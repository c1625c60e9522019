"""cozepy's WebSocket clients (chat, speech, transcriptions) against the emulator.

cozepy derives the WebSocket base from the REST base (`https://api.x` -> `wss://ws.x`) and
refuses any base that is not https, so `Coze(base_url="http://127.0.0.1:PORT").websockets` cannot
reach a local server. The build clients take the WebSocket base directly; these tests give them
`ws://127.0.0.1:PORT` (the emulator serves WebSockets on its REST address) and cozepy's own
`Requester` for the token, which is what `coze.websockets` does after its URL rewrite.
"""

from __future__ import annotations

import asyncio
import base64
import io
import queue
import wave
from typing import Any, List, Tuple

import pytest
from cozepy import CozeAPIError, TokenAuth
from cozepy.request import Requester
from cozepy.websockets.audio.speech import (
    InputTextBufferAppendEvent,
    SpeechUpdateEvent,
    WebsocketsAudioSpeechBuildClient,
)
from cozepy.websockets.audio.transcriptions import (
    InputAudioBufferAppendEvent,
    TranscriptionsUpdateEvent,
    WebsocketsAudioTranscriptionsBuildClient,
)
from cozepy.websockets.chat import (
    AsyncWebsocketsChatBuildClient,
    ChatUpdateEvent,
    ConversationMessageCreateEvent,
    WebsocketsChatBuildClient,
)
from cozepy.websockets.ws import InputAudio, OutputAudio, PCMConfig, WebsocketsEventType

WAIT_S = 20


def ws_base(emulator) -> str:
    return emulator.base_url.replace("http://", "ws://", 1)


class Recorder:
    """Every event cozepy hands to its handlers, in order, on a queue."""

    def __init__(self) -> None:
        self.events: "queue.Queue[Tuple[str, Any]]" = queue.Queue()
        self.seen: List[Tuple[str, Any]] = []

    def handlers(self):
        out = {}
        for event_type in WebsocketsEventType:
            if event_type == WebsocketsEventType.CLOSED:
                out[event_type] = lambda cli: self.events.put(("closed", None))
            else:
                out[event_type] = lambda cli, event, t=event_type.value: self.events.put((t, event))
        return out

    def until(self, last: str) -> List[Tuple[str, Any]]:
        got: List[Tuple[str, Any]] = []
        while True:
            try:
                item = self.events.get(timeout=WAIT_S)
            except queue.Empty:
                pytest.fail(f"no {last} within {WAIT_S}s; got {[t for t, _ in got]}")
            got.append(item)
            self.seen.append(item)
            if item[0] == last:
                return got


def of(events, event_type):
    return [e for t, e in events if t == event_type]


def wav_bytes(pcm: bytes, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()


def speak(emulator, text: str, rate: int) -> bytes:
    """PCM of `text` from the WebSocket speech API (cozepy's speech client)."""
    rec = Recorder()
    client = WebsocketsAudioSpeechBuildClient(ws_base(emulator), Requester(auth=TokenAuth(emulator.pat))).create(
        on_event=rec.handlers()
    )
    with client():
        client.speech_update(
            SpeechUpdateEvent.model_validate(
                {"data": SpeechUpdateEvent.Data(output_audio=OutputAudio(codec="pcm", pcm_config=PCMConfig(sample_rate=rate)))}
            )
        )
        assert rec.until("speech.updated")[-1][1].data.output_audio.pcm_config.sample_rate == rate
        for piece in (text[: len(text) // 2], text[len(text) // 2 :]):
            client.input_text_buffer_append(InputTextBufferAppendEvent.Data(delta=piece))
        client.input_text_buffer_complete()
        events = rec.until("speech.audio.completed")
    assert of(events, "input_text_buffer.completed"), [t for t, _ in events]
    assert [t for t, _ in rec.seen][0] == "speech.created"
    updates = of(events, "speech.audio.update")
    assert len(updates) > 1
    return b"".join(u.data.delta for u in updates)


def test_speech_transcribes_back_over_rest(emulator, coze):
    pcm = speak(emulator, "Hello over the socket, 你好", 16000)
    text = coze.audio.transcriptions.create(file=("speech.wav", wav_bytes(pcm, 16000)))
    assert text.text == "Hello over the socket, 你好"


def test_transcriptions_of_speech(emulator):
    pcm = speak(emulator, "round trip", 24000)
    rec = Recorder()
    client = WebsocketsAudioTranscriptionsBuildClient(
        ws_base(emulator), Requester(auth=TokenAuth(emulator.pat))
    ).create(on_event=rec.handlers())
    with client():
        assert rec.until("transcriptions.created")
        client.transcriptions_update(
            TranscriptionsUpdateEvent.Data(
                input_audio=InputAudio(format="pcm", codec="pcm", sample_rate=24000, channel=1, bit_depth=16)
            )
        )
        rec.until("transcriptions.updated")
        for at in range(0, len(pcm), 9600):
            client.input_audio_buffer_append(InputAudioBufferAppendEvent.Data(delta=pcm[at : at + 9600]))
        client.input_audio_buffer_complete()
        events = rec.until("transcriptions.message.completed")
    assert of(events, "input_audio_buffer.completed")
    updates = of(events, "transcriptions.message.update")
    assert updates[-1].data.content == "round trip"
    # Each update is the whole text heard so far.
    assert all("round trip".startswith(u.data.content) for u in updates)


def chat_client(emulator, bot_id: str, rec: Recorder):
    return WebsocketsChatBuildClient(ws_base(emulator), Requester(auth=TokenAuth(emulator.pat))).create(
        bot_id=bot_id, on_event=rec.handlers()
    )


def test_chat_with_text(emulator, bots, coze):
    rec = Recorder()
    client = chat_client(emulator, bots["echo"], rec)
    with client():
        assert rec.until("chat.created")
        client.chat_update(ChatUpdateEvent.Data(chat_config=ChatUpdateEvent.ChatConfig(user_id="py-ws")))
        assert rec.until("chat.updated")[-1][1].data.chat_config.user_id == "py-ws"
        client.conversation_message_create(
            ConversationMessageCreateEvent.Data(role="user", content_type="text", content="hi from cozepy")
        )
        events = rec.until("conversation.chat.completed")
    answer = "".join(e.data.content for e in of(events, "conversation.message.delta"))
    assert answer.startswith('You said: "hi from cozepy".')
    completed = [e.data for e in of(events, "conversation.message.completed")]
    assert completed[0].role == "user" and completed[0].content == "hi from cozepy"
    assert any(m.type == "answer" and m.content == answer for m in completed)
    chat = of(events, "conversation.chat.completed")[0].data
    assert chat.status == "completed" and chat.usage.token_count > 0
    # The chat happened in a real conversation the REST API sees.
    messages = coze.conversations.messages.list(conversation_id=chat.conversation_id)
    assert "hi from cozepy" in [m.content for m in messages]


def test_chat_with_audio_in_and_audio_out(emulator, bots, coze):
    question = speak(emulator, "what is the weather", 24000)
    rec = Recorder()
    client = chat_client(emulator, bots["echo"], rec)
    with client():
        rec.until("chat.created")
        client.chat_update(
            ChatUpdateEvent.Data(
                input_audio=InputAudio(format="pcm", codec="pcm", sample_rate=24000, channel=1, bit_depth=16),
                output_audio=OutputAudio(codec="pcm", pcm_config=PCMConfig(sample_rate=8000)),
            )
        )
        rec.until("chat.updated")
        for at in range(0, len(question), 32000):
            client.input_audio_buffer_append(InputAudioBufferAppendEvent.Data(delta=question[at : at + 32000]))
        client.input_audio_buffer_complete()
        events = rec.until("conversation.chat.completed")
    order = [t for t, _ in events]
    assert order.index("input_audio_buffer.completed") < order.index("conversation.chat.created")
    transcript = of(events, "conversation.audio_transcript.completed")[0].data.content
    assert transcript == "what is the weather"
    answer = "".join(e.data.content for e in of(events, "conversation.message.delta"))
    assert answer.startswith('You said: "what is the weather".')
    deltas = of(events, "conversation.audio.delta")
    assert deltas and all(d.data.content_type == "audio" for d in deltas)
    assert order.index("conversation.audio.completed") < order.index("conversation.chat.completed")
    pcm = b"".join(base64.b64decode(d.data.content) for d in deltas)
    heard = coze.audio.transcriptions.create(file=("answer.wav", wav_bytes(pcm, 8000)))
    assert heard.text == answer


def test_error_event_keeps_the_connection(emulator, bots):
    rec = Recorder()
    client = chat_client(emulator, bots["echo"], rec)
    with client():
        rec.until("chat.created")
        # An output codec the emulator does not produce: cozepy sends it, the server refuses it.
        client.chat_update(ChatUpdateEvent.Data(output_audio=OutputAudio(codec="opus")))
        error = rec.until("error")[-1][1]
        assert isinstance(error.data, CozeAPIError)
        assert error.data.code == 4000 and "pcm" in error.data.msg
        assert error.detail.logid
        client.conversation_message_create(
            ConversationMessageCreateEvent.Data(role="user", content_type="text", content="still there?")
        )
        chat = rec.until("conversation.chat.completed")[-1][1].data
    assert chat.status == "completed"


def test_unknown_bot_is_an_error_event(emulator):
    rec = Recorder()
    client = chat_client(emulator, "7000000000000000001", rec)
    with client():
        error = rec.until("error")[-1][1]
    assert error.data.code == 4200


def test_auth_refused(emulator, bots):
    client = WebsocketsChatBuildClient(ws_base(emulator), Requester(auth=TokenAuth("pat_not_a_token"))).create(
        bot_id=bots["echo"], on_event=Recorder().handlers()
    )
    with pytest.raises(CozeAPIError) as refused:
        client.connect()
    assert "401" in str(refused.value)
    assert refused.value.logid


def test_async_chat_client(emulator, bots):
    """cozepy's asyncio client (another code path: websockets.asyncio) on the same socket."""

    async def run():
        events: "asyncio.Queue[Tuple[str, Any]]" = asyncio.Queue()
        handlers = {}
        for event_type in WebsocketsEventType:
            if event_type == WebsocketsEventType.CLOSED:
                continue

            async def handler(cli, event, t=event_type.value):
                await events.put((t, event))

            handlers[event_type] = handler
        client = AsyncWebsocketsChatBuildClient(ws_base(emulator), Requester(auth=TokenAuth(emulator.pat))).create(
            bot_id=bots["echo"], on_event=handlers
        )

        async def until(last):
            got = []
            while True:
                item = await asyncio.wait_for(events.get(), WAIT_S)
                got.append(item)
                if item[0] == last:
                    return got

        async with client():
            await until("chat.created")
            await client.conversation_message_create(
                ConversationMessageCreateEvent.Data(role="user", content_type="text", content="async hello")
            )
            return await until("conversation.chat.completed")

    events = asyncio.run(run())
    answer = "".join(e.data.content for e in of(events, "conversation.message.delta"))
    assert answer.startswith('You said: "async hello".')
    assert of(events, "conversation.audio.delta")
    assert of(events, "conversation.chat.completed")[0].data.status == "completed"
