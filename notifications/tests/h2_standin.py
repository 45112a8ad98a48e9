"""A local HTTP/2-only server standing in for APNs (h2c, prior knowledge), in a thread.

It speaks nothing but HTTP/2: an HTTP/1.1 request is a protocol error and gets no answer, as at
Apple. Every request is recorded with its pseudo-headers, headers, body and connection number.
"""

import socket
import threading

import h2.config
import h2.connection
import h2.events
import h2.exceptions


class H2StandIn:
    def __init__(self, responses: list[tuple[int, bytes]] | None = None):
        self.requests: list[dict] = []
        self.responses = list(responses or [])
        self.connections = 0
        self.protocol_errors = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self):
        handlers = []
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            handler = threading.Thread(target=self._handle, args=(conn, self.connections), daemon=True)
            handler.start()
            handlers.append(handler)
        for handler in handlers:
            handler.join(timeout=5)

    def _answer(self, h2conn, stream_id: int):
        status, body = self.responses.pop(0) if self.responses else (200, b"")
        headers = [(":status", str(status)), ("apns-id", f"standin-{len(self.requests)}")]
        if body:
            headers.append(("content-length", str(len(body))))
        h2conn.send_headers(stream_id, headers, end_stream=not body)
        if body:
            h2conn.send_data(stream_id, body, end_stream=True)

    def _handle(self, conn: socket.socket, number: int):
        h2conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
        h2conn.initiate_connection()
        conn.sendall(h2conn.data_to_send())
        conn.settimeout(0.2)
        streams: dict[int, dict] = {}
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(65535)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                try:
                    events = h2conn.receive_data(data)
                except h2.exceptions.ProtocolError:
                    self.protocol_errors += 1
                    return
                for event in events:
                    if isinstance(event, h2.events.RequestReceived):
                        headers = {name.decode(): value.decode() for name, value in event.headers}
                        streams[event.stream_id] = {"headers": headers, "body": b"", "connection": number}
                    elif isinstance(event, h2.events.DataReceived):
                        streams[event.stream_id]["body"] += event.data
                        h2conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        self.requests.append(streams.pop(event.stream_id))
                        self._answer(h2conn, event.stream_id)
                conn.sendall(h2conn.data_to_send())
