#!/usr/bin/env python3
"""A gitswarm daemon client using only Python's standard library: JSON-RPC 2.0 over the
node's Unix socket, one JSON object a line each way.

    python3 daemon-client.py <account dir> <conversation id> <text>

prints the account, sends <text> to the conversation, and prints the message as the node
announces it back (own messages are notified too), then shows a typed error."""
import itertools
import json
import socket
import sys


class GitswarmError(Exception):
    """An error answer: JSON-RPC's integer code, gitswarm's stable string code, details."""

    def __init__(self, error):
        data = error.get("data") or {}
        super().__init__(error["message"])
        self.rpc_code = error["code"]
        self.code = data.get("code")
        self.details = data.get("details", {})


class Gitswarm:
    def __init__(self, account_dir):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(f"{account_dir}/node.sock")
        self.stream = self.sock.makefile("rwb")
        self.ids = itertools.count(1)
        self.waiting = []  # notifications that came while waiting for an answer

    def _send(self, frame):
        self.stream.write(json.dumps(frame).encode() + b"\n")
        self.stream.flush()

    def _read(self):
        line = self.stream.readline()
        if not line:
            raise ConnectionError("the node closed the connection")
        return json.loads(line)

    def call(self, method, *params):
        request_id = next(self.ids)
        self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)})
        while True:
            frame = self._read()
            if "method" in frame:
                self.waiting.append(frame)
            elif frame.get("id") == request_id:
                if "error" in frame:
                    raise GitswarmError(frame["error"])
                return frame["result"]

    def notifications(self):
        """Yields (event name, params) as they come."""
        while True:
            frame = self.waiting.pop(0) if self.waiting else self._read()
            yield frame["method"], frame["params"]


def main(account_dir, conversation_id, text):
    node = Gitswarm(account_dir)
    me = node.call("getAccountDetails")
    print(f"account {me['uri']} ({me['displayName']}), Tox ID {me['toxId']}")
    node.call("subscribe", ["swarmMessageReceived"])
    sent = node.call("sendMessage", conversation_id, text)
    for event, (conversation, message) in node.notifications():
        if event == "swarmMessageReceived" and message["id"] == sent:
            print(f"notified: {message['author'][:8]} wrote {message['body']['body']!r} in {conversation[:8]}")
            break
    try:
        node.call("sendMessage", "f" * 40, "to nowhere")
    except GitswarmError as error:
        print(f"error {error.code} ({error.rpc_code}): {error}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
