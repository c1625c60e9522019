"""Chat stream throughput: `coze chat -m`, the official cozepy and curl on one stream.

Started by scripts/bench-chat.sh (which builds `coze` and the venv). Serves, from a local
server on 127.0.0.1, one `/v3/chat` stream of N one-character `conversation.message.delta`
events in Coze's chat framing (`event:<name>\\ndata:<json>\\n\\n`, chunked transfer encoding,
about 316 bytes per delta), wrapped in the events a real chat sends around them, and times
each consumer reading the whole stream. Each consumer runs `--runs` times; the best run
counts. Reported per consumer: wall time, CPU time (user + system of the child process, the
figure to compare when other work shares the machine) and delta events per second of both.
"""

import argparse
import http.server
import json
import os
import resource
import socketserver
import subprocess
import sys
import threading
import time

BOT = "7437864979573637138"
CONV = "7437865324962611210"
CHAT = "7437865392784474118"
MSG = "7437865392784506886"
SECTION = "7437865324962611210"
EVENTS_PER_CHUNK = 32


def chat(status):
    return {
        "id": CHAT,
        "conversation_id": CONV,
        "bot_id": BOT,
        "created_at": 1731571217,
        "completed_at": 1731571230 if status == "completed" else None,
        "last_error": {"code": 0, "msg": ""},
        "status": status,
        "usage": {"token_count": 0, "output_count": 0, "input_count": 0},
        "section_id": SECTION,
    }


def frame(event, data):
    return b"event:" + event.encode() + b"\ndata:" + json.dumps(
        data, separators=(",", ":"), ensure_ascii=False
    ).encode() + b"\n\n"


def delta(ch):
    return frame(
        "conversation.message.delta",
        {
            "id": MSG,
            "conversation_id": CONV,
            "bot_id": BOT,
            "role": "assistant",
            "type": "answer",
            "content": ch,
            "content_type": "text",
            "chat_id": CHAT,
            "section_id": SECTION,
            "created_at": 1731571217,
            "updated_at": 1731571217,
        },
    )


def build_body(n):
    """The stream as a list of HTTP chunks (each a whole number of events)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz "
    events = [frame("conversation.chat.created", chat("created")),
              frame("conversation.chat.in_progress", chat("in_progress"))]
    events += [delta(alphabet[i % len(alphabet)]) for i in range(n)]
    answer = "".join(alphabet[i % len(alphabet)] for i in range(n))
    events.append(frame("conversation.message.completed", {
        "id": MSG, "conversation_id": CONV, "bot_id": BOT, "role": "assistant",
        "type": "answer", "content": answer, "content_type": "text", "chat_id": CHAT,
        "section_id": SECTION, "created_at": 1731571217, "updated_at": 1731571230}))
    events.append(frame("conversation.chat.completed", chat("completed")))
    events.append(b'event:done\ndata:"[DONE]"\n\n')
    chunks = []
    for i in range(0, len(events), EVENTS_PER_CHUNK):
        payload = b"".join(events[i:i + EVENTS_PER_CHUNK])
        chunks.append(b"%x\r\n" % len(payload) + payload + b"\r\n")
    chunks.append(b"0\r\n\r\n")
    return b"".join(chunks), len(delta("a")), answer


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if not self.path.startswith("/v3/chat"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("X-Tt-Logid", "20261201000000BENCH")
        self.end_headers()
        self.wfile.write(self.body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


COZEPY = """
import sys
from cozepy import COZE_CN_BASE_URL, ChatEventType, Coze, Message, TokenAuth
base, bot = sys.argv[1], sys.argv[2]
coze = Coze(auth=TokenAuth("bench-token"), base_url=base)
n = 0
for event in coze.chat.stream(bot_id=bot, user_id="bench",
                              additional_messages=[Message.build_user_question_text("hi")]):
    if event.event == ChatEventType.CONVERSATION_MESSAGE_DELTA:
        n += 1
print(n)
"""


def timed(cmd, env, out):
    """(wall seconds, cpu seconds, exit code) of one run of cmd."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.PIPE, timeout=600)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
    return wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--coze", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--serve", type=float, default=0,
                    help="only serve the stream for this many seconds (for a profiler)")
    args = ap.parse_args()

    body, delta_size, answer = build_body(args.events)
    Handler.body = body
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"stream: {args.events} delta events of {delta_size} bytes, "
          f"{len(body) / 1e6:.1f} MB, served from {base}", flush=True)
    if args.serve:
        time.sleep(args.serve)
        return

    config = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"coze-bench-{os.getpid()}")
    os.makedirs(config, exist_ok=True)
    env = dict(os.environ, COZE_API_TOKEN="bench-token", COZE_API_BASE=base,
               COZE_CONFIG_DIR=config, NO_COLOR="1")
    env.pop("COZE_REGION", None)

    # Correctness first: each consumer must see the whole answer.
    got = subprocess.run([args.coze, "chat", "--bot", BOT, "-m", "hi"], env=env,
                         capture_output=True, timeout=600).stdout.decode()
    if got.strip() != answer.strip():
        sys.exit(f"coze printed {len(got)} characters, expected {len(answer)}")
    got = subprocess.run([args.python, "-c", COZEPY, base, BOT], env=env,
                         capture_output=True, timeout=600).stdout.decode().strip()
    if got != str(args.events):
        sys.exit(f"cozepy saw {got} deltas, expected {args.events}")

    consumers = {
        "coze chat -m (stdout to /dev/null)": [args.coze, "chat", "--bot", BOT, "-m", "hi"],
        f"cozepy {args.python} (iterate chat.stream)": [args.python, "-c", COZEPY, base, BOT],
        "curl -sN (bytes only)": ["curl", "-sN", "-X", "POST", "-H", "Content-Type: application/json",
                                  "-d", "{}", f"{base}/v3/chat", "-o", "/dev/null"],
    }
    results = {}
    with open(os.devnull, "wb") as devnull:
        for name, cmd in consumers.items():
            runs = [timed(cmd, env, devnull) for _ in range(args.runs)]
            results[name] = (min(r[0] for r in runs), min(r[1] for r in runs))
    server.shutdown()

    print(f"{'consumer':44} {'wall s':>8} {'cpu s':>8} {'events/s wall':>14} {'events/s cpu':>14}")
    for name, (wall, cpu) in results.items():
        print(f"{name:44} {wall:8.3f} {cpu:8.3f} {args.events / wall:14,.0f} "
              f"{args.events / max(cpu, 1e-6):14,.0f}")
    coze = results[next(iter(consumers))]
    py = results[list(consumers)[1]]
    print(f"coze vs cozepy: {py[0] / coze[0]:.1f}x (wall), {py[1] / coze[1]:.1f}x (cpu)")


if __name__ == "__main__":
    main()
