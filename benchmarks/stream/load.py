#!/usr/bin/env python3
"""Redis side of benchmarks/stream/run.sh, on a plain socket (no client library to install).

  load.py produce PORT STREAM N [RATE]   XADD N fraud requests (field 'request'); RATE per second, 0 = as fast as possible
  load.py wait PORT STREAM N SECONDS     until the stream holds N entries
  load.py ready PORT STREAM GROUP CONSUMER SECONDS
                                         until CONSUMER has read from STREAM in GROUP (XINFO CONSUMERS
                                         lists it after its first XREADGROUP): the consumer is reading
  load.py report PORT SINK [SKIP]        throughput and end-to-end latency from the answers' ids:
                                         each answer entry's id time minus its source_id's id time (ms resolution);
                                         the sink's first SKIP entries (an earlier run's answers) are left out
"""
import random, socket, sys, time

def connect(port):
    s = socket.create_connection(("127.0.0.1", int(port)))
    return s, s.makefile("rb")

def command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

def reply(f):
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind in (b"+", b":"):
        return rest
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [reply(f) for _ in range(n)]
    raise RuntimeError("unexpected reply %r" % line)

def request(i):
    rnd = random.Random(i)
    data = ",".join("%.6f" % (rnd.random() * 2 - 1) for _ in range(30))
    return '{"id":"m%d","inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":[%s]}]}' % (i, data)

def produce(port, stream, n, rate=0):
    s, f = connect(port)
    n, rate = int(n), float(rate)
    # Built before the clock starts: at a few thousand a second, building each request (30 random
    # numbers formatted) and waiting for its reply before the next cost this process more than the
    # pace allowed on a loaded machine, and the paced run fell short of its rate (asked 5,886/s, got
    # 3,867/s). Now each tick sends every request that is due by then in one write, then reads the
    # replies: the rate holds while the producer keeps up on average, and each request is sent at most
    # one tick (a scheduler slice) late.
    commands = [command("XADD", stream, "*", "request", request(i)) for i in range(n)]
    chunk = 500
    start = time.perf_counter()
    i = 0
    while i < n:
        if rate > 0:
            due = min(n, int((time.perf_counter() - start) * rate) + 1)
            if due <= i:
                time.sleep(max(0.0, start + i / rate - time.perf_counter()))
                continue
            k = min(chunk, due - i)
        else:
            k = min(chunk, n - i)
        s.sendall(b"".join(commands[i:i + k]))
        for _ in range(k):
            reply(f)
        i += k
    took = time.perf_counter() - start
    if rate > 0:
        # Say so when the producer itself could not keep the pace (the run's rate is then not the one asked).
        print("produced %d in %.3f s: %.0f/s (asked %.0f/s)" % (n, took, n / took if took else 0, rate), file=sys.stderr)

def wait(port, stream, n, seconds):
    s, f = connect(port)
    until = time.time() + float(seconds)
    while True:
        s.sendall(command("XLEN", stream))
        have = int(reply(f))
        if have >= int(n):
            return
        if time.time() > until:
            sys.exit("only %d of %s answers after %s s" % (have, n, seconds))
        time.sleep(0.05)

def ready(port, stream, group, consumer, seconds):
    s, f = connect(port)
    until = time.time() + float(seconds)
    while True:
        s.sendall(command("XINFO", "CONSUMERS", stream, group))
        try:
            consumers = reply(f)
        except RuntimeError:  # no stream or group yet
            consumers = []
        if any(dict(zip(c[::2], c[1::2])).get(b"name") == consumer.encode() for c in consumers):
            return
        if time.time() > until:
            sys.exit("consumer %s did not read %s in %s s" % (consumer, stream, seconds))
        time.sleep(0.05)

def ms(entry_id):
    return int(entry_id.split(b"-")[0])

def report(port, sink, skip=0):
    s, f = connect(port)
    start, times, latencies, seen, order = b"-", [], [], set(), []
    skip = int(skip)
    while True:
        s.sendall(command("XRANGE", sink, start, "+", "COUNT", 10000))
        page = reply(f)
        if not page:
            break
        for entry_id, fields in page:
            if skip > 0:
                skip -= 1
                continue
            values = dict(zip(fields[::2], fields[1::2]))
            source = values.get(b"source_id")
            times.append(ms(entry_id))
            if source and source not in seen:
                seen.add(source)
                order.append(source)
                latencies.append(ms(entry_id) - ms(source))
        start = b"(" + page[-1][0]
    span = (max(times) - min(times)) / 1000 or 0.001
    # Where the slow answers are (a diagnosis, not a second figure): the tail without the first
    # second of requests, and when the slowest request was produced, from the first request.
    first = min(ms(s) for s in seen)
    later = sorted(l for s, l in zip(order, latencies) if ms(s) - first >= 1000)
    worst = max(range(len(latencies)), key=lambda i: latencies[i])
    worst_at = (ms(order[worst]) - first) / 1000
    latencies.sort()
    print("answers=%d unique=%d span_s=%.3f throughput_per_s=%.0f p50_ms=%d p99_ms=%d max_ms=%d p99_after_first_s_ms=%s worst_at_s=%.2f"
          % (len(times), len(seen), span, len(times) / span, pick(latencies, 0.5), pick(latencies, 0.99), latencies[-1],
             pick(later, 0.99) if later else "-", worst_at))

def pick(values, q):
    return values[min(len(values) - 1, int(q * len(values)))]

if __name__ == "__main__":
    {"produce": produce, "wait": wait, "ready": ready, "report": report}[sys.argv[1]](*sys.argv[2:])
