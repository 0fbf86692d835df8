"""A stand-in vLLM server on loopback: answers in the recorded OpenAI-compatible shapes, keeps the set
of loaded LoRA adapters, and replies to chat completions with whatever the test wants the model to
say (a normal comment, NO_COMMENT, or text that followed a prompt injection)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RECORDING = json.loads((Path(__file__).parent / "recordings" / "vllm_exchange.json").read_text())
BASE = "meta-llama/Meta-Llama-3-8B-Instruct"


class VllmReplay:
    # Names no code: the same words fit any hunk (a reply naming `print` would be dropped, rightly, on
    # every hunk without a print near it: reviews/fit.py).
    def __init__(self, reply: str = "leftover debug output — please use the logger."):
        self.reply = reply
        self.loaded: dict[str, str] = {}
        self.requests: list[tuple[str, str, dict | None]] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body, content_type="application/json"):
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                replay.requests.append(("GET", self.path, None))
                if self.path == "/v1/models":
                    base = RECORDING["interactions"][0]["response"]["json"]["data"][0]
                    cards = [base] + [
                        {"id": n, "object": "model", "root": p, "parent": BASE} for n, p in replay.loaded.items()
                    ]
                    self._send(200, {"object": "list", "data": cards})
                else:
                    self._send(404, {"message": "not found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                replay.requests.append(("POST", self.path, body))
                if self.path == "/v1/load_lora_adapter":
                    replay.loaded[body["lora_name"]] = body["lora_path"]
                    self._send(200, f"Success: LoRA adapter '{body['lora_name']}' added successfully.", "text/plain")
                elif self.path == "/v1/unload_lora_adapter":
                    replay.loaded.pop(body["lora_name"], None)
                    self._send(200, f"Success: LoRA adapter '{body['lora_name']}' removed successfully.", "text/plain")
                elif self.path == "/v1/chat/completions":
                    if body["model"] not in replay.loaded:
                        self._send(
                            404,
                            {
                                "object": "error",
                                "message": f"The model `{body['model']}` does not exist.",
                                "type": "NotFoundError",
                                "code": 404,
                            },
                        )
                        return
                    recorded = next(  # the one-token measure of silence, or a comment
                        i["response"]["json"]
                        for i in RECORDING["interactions"]
                        if i["request"]["path"] == self.path
                        and i["request"].get("logprobs", False) == bool(body.get("logprobs"))
                    )
                    self._send(
                        200,
                        json.loads(
                            json.dumps(recorded)
                            .replace("{model}", body["model"])
                            .replace("{reply}", json.dumps(replay.reply)[1:-1])
                        ),
                    )
                else:
                    self._send(404, {"message": "not found"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def chats(self) -> list[dict]:
        return [b for m, p, b in self.requests if p == "/v1/chat/completions"]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
