#!/usr/bin/env python3
"""engine_recorder.py - a request RECORDER for tests/engine.sh, not a model.

It exists to capture the exact bodies the engine's backends send, so that
tests/engine.sh can compare them with golden JSON built from
fim-protocols.md.  It answers every route with one fixed, canned body in
the family's shape (the shapes of the reference document) and has no
behaviour worth testing against: completions, faults, slots and loading are
tested against the real `trawic serve` process.  The only "behaviours" are
the three canned refusals a real server gives and `trawic serve` cannot:
  --infill-501       POST /infill answers llama.cpp's exact 501 body
                     (a model without FIM tokens);
  --no-insert        POST /api/show lists no "insert" capability;
  --model-id ID      the id GET /v1/models lists.

  engine_recorder.py --port-file F --log FILE [--infill-501] [--no-insert]
      [--model-id ID]

Every POST is appended to FILE as one JSON line {"path": ..., "body": ...}.
Loopback only.  Stops on SIGTERM.
"""
import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--infill-501", action="store_true")
ap.add_argument("--no-insert", action="store_true")
ap.add_argument("--model-id", default="bigcode/starcoder2-3b")
args = ap.parse_args()

lock = threading.Lock()

NOT_SUPPORTED = {"error": {"code": 501, "message": "Infill is not supported by this model: "
                           "prefix token is missing. suffix token is missing. middle token "
                           "is missing. ", "type": "not_supported_error"}}


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            self.answer(200, {"status": "ok"})
        elif self.path == "/props":
            self.answer(200, {"default_generation_settings": {"n_ctx": 4096, "params": {}},
                              "total_slots": 2, "model_alias": "/models/rec.gguf",
                              "model_path": "/models/rec.gguf"})
        elif self.path == "/v1/models":
            self.answer(200, {"object": "list", "data": [
                {"id": args.model_id, "object": "model", "owned_by": "vllm",
                 "max_model_len": 16384}]})
        else:
            self.answer(404, {"error": {"code": 404, "message": "File Not Found",
                                        "type": "not_found_error"}})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"unparsable": raw.decode("latin-1")}
        with lock:
            with open(args.log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"path": self.path, "body": body}) + "\n")
        if self.path == "/infill":
            if args.infill_501:
                self.answer(501, NOT_SUPPORTED)
            else:
                self.answer(200, {"content": "recorded", "stop": True, "stop_type": "eos",
                                  "completion_probabilities": [
                                      {"id": 1, "token": "recorded", "bytes": [],
                                       "logprob": -0.5, "top_logprobs": []}]})
        elif self.path == "/tokenize":
            self.answer(200, {"tokens": [1, 2, 3]})
        elif self.path == "/v1/completions":
            self.answer(200, {"object": "text_completion", "model": args.model_id,
                              "choices": [{"index": 0, "text": "recorded",
                                           "logprobs": {"tokens": ["recorded"],
                                                        "token_logprobs": [-0.5]},
                                           "finish_reason": "stop"}]})
        elif self.path == "/api/show":
            caps = ["completion"] if args.no_insert else ["completion", "insert"]
            self.answer(200, {"template": "{{ .Prompt }}", "capabilities": caps,
                              "model_info": {"general.architecture": "qwen2",
                                             "qwen2.context_length": 32768}})
        elif self.path == "/api/generate":
            self.answer(200, {"model": body.get("model"), "response": "recorded", "done": True,
                              "done_reason": "stop",
                              "logprobs": [{"token": "recorded", "logprob": -0.5}]})
        else:
            self.answer(404, {"error": "not found"})


srv = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
srv.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=srv.shutdown).start())
# Written whole, then renamed: a reader never sees half a port.
with open(args.port_file + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
sys.exit(0)
