#!/usr/bin/env python3
"""MQTT side of benchmarks/stream/run.sh, on plain sockets (MQTT 3.1.1, no client library to install).

  mqtt_load.py run PORT IN_TOPIC OUT_TOPIC N RATE SECONDS
      waits until the consumer answers (one probe request at a time: MQTT drops what is published
      before anyone subscribes), then publishes N fraud requests to IN_TOPIC at QoS 1, RATE per
      second (0 = as fast as the socket takes them), and reads the answers from OUT_TOPIC at QoS 1.
      Each request carries "id":"mI", which the answer returns as source_id; end-to-end latency is
      the answer's arrival minus its request's publish, both on this process's monotonic clock.
      Prints: answers=.. unique=.. span_s=.. throughput_per_s=.. p50_ms=.. p99_ms=.. max_ms=..
"""
import json, socket, struct, sys, threading, time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from load import request  # the same requests as the Redis run

def encode_length(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)

def string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b

def packet(kind, body):
    return bytes([kind]) + encode_length(len(body)) + body

def read_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("the broker closed the connection")
        data += chunk
    return bytes(data)

def read_packet(sock):
    header = read_exact(sock, 1)[0]
    length, shift = 0, 0
    while True:
        byte = read_exact(sock, 1)[0]
        length += (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return header, read_exact(sock, length)

def connect(port, client_id):
    sock = socket.create_connection(("127.0.0.1", int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # CONNECT: protocol MQTT 3.1.1 (level 4), clean session, keep-alive 60 s.
    sock.sendall(packet(0x10, string("MQTT") + bytes([4, 0x02]) + struct.pack(">H", 60) + string(client_id)))
    header, body = read_packet(sock)
    if header >> 4 != 2 or body[1] != 0:
        raise RuntimeError("CONNACK refused: %r" % body)
    return sock

class Answers:
    """Reads the answers' topic on a thread of its own, acknowledging each QoS 1 delivery."""

    def __init__(self, port, topic):
        self.sock = connect(port, "bench-answers-%d" % time.time_ns())
        self.sock.sendall(packet(0x82, struct.pack(">H", 1) + string(topic) + bytes([1])))
        header, body = read_packet(self.sock)
        if header >> 4 != 9 or body[2] > 1:
            raise RuntimeError("SUBACK refused: %r" % body)
        self.lock = threading.Lock()
        self.arrived = {}  # source_id -> monotonic arrival time of its first answer
        self.count = 0
        self.times = []
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        while True:
            header, body = read_packet(self.sock)
            if header >> 4 != 3:
                continue
            qos = (header >> 1) & 3
            topic_length = struct.unpack(">H", body[:2])[0]
            offset = 2 + topic_length
            if qos:
                self.sock.sendall(packet(0x40, body[offset:offset + 2]))
                offset += 2
            now = time.monotonic()
            source = json.loads(body[offset:]).get("source_id")
            with self.lock:
                self.count += 1
                self.times.append(now)
                self.arrived.setdefault(source, now)

    def has(self, source):
        with self.lock:
            return source in self.arrived

class Publisher:
    """Publishes at QoS 1; the PUBACKs are read (and dropped) on a thread of its own."""

    def __init__(self, port):
        self.sock = connect(port, "bench-requests-%d" % time.time_ns())
        self.packet_id = 0
        threading.Thread(target=self.drain, daemon=True).start()

    def drain(self):
        while True:
            read_packet(self.sock)

    def publish(self, topic, payload):
        self.packet_id = self.packet_id % 65535 + 1
        self.sock.sendall(packet(0x32, string(topic) + struct.pack(">H", self.packet_id) + payload.encode()))

def run(port, topic_in, topic_out, n, rate, seconds):
    n, rate, seconds = int(n), float(rate), float(seconds)
    answers = Answers(port, topic_out)
    publisher = Publisher(port)
    until = time.monotonic() + seconds
    probe = 0
    while True:  # until the consumer's shared subscription answers
        probe += 1
        publisher.publish(topic_in, request(probe).replace('"id":"m%d"' % probe, '"id":"probe-%d"' % probe))
        wait = time.monotonic() + 0.5
        while time.monotonic() < wait and not any(answers.has("probe-%d" % k) for k in range(1, probe + 1)):
            time.sleep(0.005)
        if any(answers.has("probe-%d" % k) for k in range(1, probe + 1)):
            break
        if time.monotonic() > until:
            sys.exit("the consumer never answered a probe in %s s" % seconds)

    # Built before the clock starts, and sent by ticks (every publish due by then in one go), as
    # load.py produce does: building and sending one at a time fell short of the pace on a loaded machine.
    payloads = [request(i) for i in range(n)]
    sent = {}
    start = time.monotonic()
    i = 0
    while i < n:
        due = n if rate <= 0 else min(n, int((time.monotonic() - start) * rate) + 1)
        if due <= i:
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
            continue
        for k in range(i, due):
            sent["m%d" % k] = time.monotonic()
            publisher.publish(topic_in, payloads[k])
        i = due
    if rate > 0:
        took = time.monotonic() - start
        print("published %d in %.3f s: %.0f/s (asked %.0f/s)" % (n, took, n / took if took else 0, rate), file=sys.stderr)

    while True:
        with answers.lock:
            have = sum(1 for k in sent if k in answers.arrived)
        if have >= n:
            break
        if time.monotonic() > until:
            sys.exit("only %d of %d answers after %s s" % (have, n, seconds))
        time.sleep(0.05)

    with answers.lock:
        latencies = sorted((answers.arrived[k] - t) * 1000 for k, t in sent.items())
        times = [t for t in answers.times if t >= start]
    span = (max(times) - min(times)) or 0.001
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print("answers=%d unique=%d span_s=%.3f throughput_per_s=%.0f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f"
          % (len(times), len(latencies), span, len(times) / span, pick(0.5), pick(0.99), latencies[-1]))

if __name__ == "__main__":
    {"run": run}[sys.argv[1]](*sys.argv[2:])
