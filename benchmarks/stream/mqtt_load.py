#!/usr/bin/env python3
"""MQTT side of benchmarks/stream/run.sh and cost.sh, on plain sockets (MQTT 3.1.1, no client library to install).

  mqtt_load.py run PORT IN_TOPIC OUT_TOPIC N RATE SECONDS
      waits until the consumer answers (one probe request at a time: MQTT drops what is published
      before anyone subscribes), then publishes N fraud requests to IN_TOPIC at QoS 1, RATE per
      second (0 = as fast as the socket takes them), and reads the answers from OUT_TOPIC at QoS 1.
      Each request carries "id":"mI", which the answer returns as source_id; end-to-end latency is
      the answer's arrival minus its request's publish, both on this process's monotonic clock.
      Prints: answers=.. unique=.. span_s=.. throughput_per_s=.. p50_ms=.. p99_ms=.. max_ms=..
      run.sh's latency point uses mqtt_reader.c's paced mode instead (STREAM_MQTT_READER=python: this):
      at tens of thousands a second this Python falls behind beside the consumer and the broker.
  mqtt_load.py ready PORT IN_TOPIC OUT_TOPIC SECONDS
      the probe alone: returns once the consumer answers one (its subscription is in place, and with a
      persistent session the broker queues for it from then on, connected or not)
  mqtt_load.py publish PORT TOPIC N
      publishes N fraud requests at QoS 1 as fast as the socket takes them and returns once the broker
      acknowledged them all (PUBACK): they are in the broker, queued for the subscribers' sessions
  mqtt_load.py collect PORT OUT_TOPIC N SECONDS READY_FILE
      subscribes to OUT_TOPIC at QoS 1, creates READY_FILE, and returns once the answers to requests
      m0..m(N-1) have all arrived. Throughput = answers over the span from the first to the last
      (as load.py report for Redis). Prints: answers=.. unique=.. span_s=.. throughput_per_s=..
"""
import json, os, socket, struct, sys, threading, time

sys.path.insert(0, os.path.dirname(__file__))
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

class PacketReader:
    """MQTT packets from a socket, read in large chunks: at tens of thousands of answers a second, a
    recv per header byte cost this process more CPU than the consumer it measures."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.stream = self.read()

    def packets(self):
        """One sequence for the reader's life (a CONNACK read with one() leaves what came after it)."""
        return self.stream

    def read(self):
        """Yields (header byte, body) for every packet, and (None, None) when those read so far are
        all yielded (before it waits for more); ends when the socket closes."""
        while True:
            chunk = self.sock.recv(1 << 18)
            if not chunk:
                return
            buffer = self.buffer + chunk if self.buffer else chunk
            at, end = 0, len(buffer)
            while end - at >= 2:
                length, shift, i = 0, 0, at + 1
                complete = False
                while i < end and i < at + 5:
                    byte = buffer[i]
                    i += 1
                    length += (byte & 0x7F) << shift
                    shift += 7
                    if not byte & 0x80:
                        complete = True
                        break
                if not complete or i + length > end:
                    break
                yield buffer[at], buffer[i:i + length]
                at = i + length
            self.buffer = buffer[at:]
            yield None, None

    def one(self):
        return next(p for p in self.stream if p[0] is not None)

def connect(port, client_id):
    sock = socket.create_connection(("127.0.0.1", int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # CONNECT: protocol MQTT 3.1.1 (level 4), clean session, keep-alive 60 s.
    sock.sendall(packet(0x10, string("MQTT") + bytes([4, 0x02]) + struct.pack(">H", 60) + string(client_id)))
    reader = PacketReader(sock)
    header, body = reader.one()
    if header >> 4 != 2 or body[1] != 0:
        raise RuntimeError("CONNACK refused: %r" % body)
    return sock, reader

class Answers:
    """Reads the answers' topic on a thread of its own, acknowledging each QoS 1 delivery (the
    PUBACKs of one read go out in one write)."""

    def __init__(self, port, topic):
        self.sock, self.reader = connect(port, "bench-answers-%d" % time.time_ns())
        self.sock.sendall(packet(0x82, struct.pack(">H", 1) + string(topic) + bytes([1])))
        header, body = self.reader.one()
        if header >> 4 != 9 or body[2] > 1:
            raise RuntimeError("SUBACK refused: %r" % body)
        self.lock = threading.Lock()
        self.arrived = {}  # source_id -> monotonic arrival time of its first answer
        self.count = 0
        self.first = 0  # answers whose source_id arrived for the first time (len(arrived), kept by the reader)
        self.times = []
        self.changed = threading.Condition(self.lock)
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        acks = []
        for header, body in self.reader.packets():
            if header is None:
                if acks:
                    self.sock.sendall(b"".join(acks))
                    acks.clear()
                with self.lock:
                    self.changed.notify_all()
                continue
            if header >> 4 != 3:
                continue
            qos = (header >> 1) & 3
            topic_length = struct.unpack(">H", body[:2])[0]
            offset = 2 + topic_length
            if qos:
                acks.append(packet(0x40, body[offset:offset + 2]))
                offset += 2
            now = time.monotonic()
            # The source id is the answer's first field (AnswerJson): no need to parse the whole answer.
            head = body[offset:offset + 80]
            at = head.find(b'"source_id":"')
            source = head[at + 13:head.index(b'"', at + 13)].decode() if at >= 0 else json.loads(body[offset:]).get("source_id")
            with self.lock:
                self.count += 1
                self.times.append(now)
                if source not in self.arrived:
                    self.arrived[source] = now
                    self.first += 1

    def has(self, source):
        with self.lock:
            return source in self.arrived

    def wait_for(self, sources, until):
        """Waits until every source has an answer; returns how many have one. The sources are
        looked up only once as many distinct answers as there are sources have come: looking up all
        of them at every read (100,000 at a time, thousands of reads) cost this process more CPU per
        answer than the consumer it measures, on the same two cores."""
        with self.lock:
            checked_at = -1
            while True:
                if self.first >= len(sources) and self.first != checked_at or time.monotonic() > until:
                    checked_at = self.first
                    have = sum(1 for k in sources if k in self.arrived)
                    if have >= len(sources) or time.monotonic() > until:
                        return have
                self.changed.wait(0.1)

class Publisher:
    """Publishes at QoS 1; the PUBACKs are counted on a thread of its own."""

    def __init__(self, port):
        self.sock, self.reader = connect(port, "bench-requests-%d" % time.time_ns())
        self.packet_id = 0
        self.acked = 0
        self.lock = threading.Condition()
        threading.Thread(target=self.drain, daemon=True).start()

    def drain(self):
        for header, _ in self.reader.packets():
            if header is not None and header >> 4 == 4:
                with self.lock:
                    self.acked += 1
                    self.lock.notify_all()

    def encode(self, topic, payload):
        self.packet_id = self.packet_id % 65535 + 1
        return packet(0x32, string(topic) + struct.pack(">H", self.packet_id) + payload.encode())

    def publish(self, topic, payload):
        self.sock.sendall(self.encode(topic, payload))

    def wait_acked(self, n, until):
        with self.lock:
            while self.acked < n:
                if time.monotonic() > until:
                    sys.exit("the broker acknowledged %d of %d requests" % (self.acked, n))
                self.lock.wait(0.1)

def wait_ready(answers, publisher, topic_in, until):
    """Probes (ids probe-K) until the consumer's shared subscription answers one."""
    probe = 0
    while True:
        probe += 1
        publisher.publish(topic_in, request(probe).replace('"id":"m%d"' % probe, '"id":"probe-%d"' % probe))
        wait = time.monotonic() + 0.5
        while time.monotonic() < wait and not any(answers.has("probe-%d" % k) for k in range(1, probe + 1)):
            time.sleep(0.005)
        if any(answers.has("probe-%d" % k) for k in range(1, probe + 1)):
            return
        if time.monotonic() > until:
            sys.exit("the consumer never answered a probe")

def ready(port, topic_in, topic_out, seconds):
    wait_ready(Answers(port, topic_out), Publisher(port), topic_in, time.monotonic() + float(seconds))

def publish(port, topic, n):
    n = int(n)
    publisher = Publisher(port)
    for start in range(0, n, 1000):
        publisher.sock.sendall(b"".join(publisher.encode(topic, request(i)) for i in range(start, min(n, start + 1000))))
    publisher.wait_acked(n, time.monotonic() + 600)

def summary(answers, since, keys):
    with answers.lock:
        times = [t for t in answers.times if t >= since]
        unique = sum(1 for k in keys if k in answers.arrived)
    span = (max(times) - min(times)) or 0.001
    return "answers=%d unique=%d span_s=%.3f throughput_per_s=%.0f" % (len(times), unique, span, len(times) / span)

def collect(port, topic_out, n, seconds, ready_file):
    n = int(n)
    answers = Answers(port, topic_out)
    since = time.monotonic()
    open(ready_file, "w").close()
    keys = ["m%d" % i for i in range(n)]
    have = answers.wait_for(keys, since + float(seconds))
    if have < n:
        sys.exit("only %d of %d answers after %s s" % (have, n, seconds))
    print(summary(answers, since, keys))

def run(port, topic_in, topic_out, n, rate, seconds):
    n, rate, seconds = int(n), float(rate), float(seconds)
    answers = Answers(port, topic_out)
    publisher = Publisher(port)
    until = time.monotonic() + seconds
    wait_ready(answers, publisher, topic_in, until)

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

    have = answers.wait_for(list(sent), until)
    if have < n:
        sys.exit("only %d of %d answers after %s s" % (have, n, seconds))

    with answers.lock:
        latencies = sorted((answers.arrived[k] - t) * 1000 for k, t in sent.items())
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print("%s p50_ms=%.1f p99_ms=%.1f max_ms=%.1f" % (summary(answers, start, sent), pick(0.5), pick(0.99), latencies[-1]))

if __name__ == "__main__":
    {"run": run, "ready": ready, "publish": publish, "collect": collect}[sys.argv[1]](*sys.argv[2:])
