#!/usr/bin/env python3
"""A code-execution tool for an AI agent, over orch's HTTP API, with nothing but the standard library.

The agent's model calls run_code(code, language); what comes back is the short text a model reads
best: the output, trimmed, and how the run ended. Each call gets a fresh sandbox (no network, capped
memory and time), from the server's warm pool when it has one (a few milliseconds).

    orch serve --tokens tokens.txt --pool python=auto &
    ORCH_URL=http://127.0.0.1:8420 ORCH_TOKEN=... python3 examples/agent_tool.py
"""
import json
import os
import time
import urllib.error
import urllib.request

ORCH_URL = os.environ.get("ORCH_URL", "http://127.0.0.1:8420")
ORCH_TOKEN = os.environ.get("ORCH_TOKEN", "")

# What the model is told about the tool (the JSON-schema shape most agent frameworks take).
TOOL_SPEC = {
    "name": "run_code",
    "description": "Run a program in a fresh sandbox without network and return its output.",
    "parameters": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "the whole program"},
            "language": {"type": "string", "enum": ["python", "javascript", "bash"]},
        },
        "required": ["code"],
    },
}


def _post(path, body, attempts=5):
    data = json.dumps(body).encode()
    for attempt in range(attempts):
        req = urllib.request.Request(ORCH_URL + path, data=data, headers={"Content-Type": "application/json"})
        if ORCH_TOKEN:
            req.add_header("Authorization", "Bearer " + ORCH_TOKEN)
        try:
            with urllib.request.urlopen(req, timeout=body.get("timeout", 30) + 30) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            # The server is busy (its or this tenant's concurrency limit): wait as it asks, then retry.
            if e.code == 429 and attempt + 1 < attempts:
                time.sleep(float(e.headers.get("Retry-After") or 1))
                continue
            detail = json.load(e).get("error", {})
            raise RuntimeError("orch refused the run (%d %s): %s" % (e.code, detail.get("code"), detail.get("message")))
    raise RuntimeError("orch stayed busy")


def run_code(code, language="python", timeout=10, limit=4000):
    """Runs `code`; returns the text the model sees."""
    try:
        r = _post("/v1/run", {"language": language, "code": code, "timeout": timeout, "memory": "256m"})
    except (RuntimeError, urllib.error.URLError) as e:
        return "tool error: %s" % e
    parts = []
    for name in ("stdout", "stderr"):
        text = r[name]
        if len(text) > limit:
            text = text[:limit] + "\n[... %d more characters]" % (len(text) - limit)
        elif r[name + "_truncated"]:
            text += "\n[... output cut at the server's limit]"
        if text:
            parts.append("%s:\n%s" % (name, text.rstrip("\n")))
    ending = {
        "ok": "exited 0",
        "error": "exited %s" % r["exit_code"],
        "timeout": "killed: it ran past %d s" % timeout,
        "oom": "killed: it ran out of memory (256 MiB)",
    }.get(r["status"], r["status"])
    parts.append("[%s, %d ms]" % (ending, r["duration_ms"]))
    return "\n".join(parts)


if __name__ == "__main__":
    # What a model's calls could look like, and what it would read back.
    for call in (
        {"code": "import math\nprint(math.factorial(20))"},
        {"code": "const xs = [3, 1, 2]; console.log(xs.sort().join(','))", "language": "javascript"},
        {"code": "print(1 / 0)"},
        {"code": "while True: pass", "timeout": 2},
    ):
        print(">>> run_code(%s)" % ", ".join("%s=%r" % kv for kv in call.items()))
        print(run_code(**call))
