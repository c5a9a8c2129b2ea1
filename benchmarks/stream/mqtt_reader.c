/* The answers' reader of benchmarks/stream/run.sh and cost.sh in C: what `wrk` is to the REST side;
 * also the producer of run.sh's MQTT latency point.
 *
 *   mqtt_reader PORT TOPIC N SECONDS READY_FILE [QOS [COALESCE_BYTES [IN_TOPIC RATE REQUESTS_FILE]]]
 *
 * The same as `mqtt_load.py collect` (whose Python cost 12-13 us of CPU per answer on the two cores it
 * measures, more than half of what the broker spends): connects to 127.0.0.1:PORT (MQTT 3.1.1, clean
 * session), subscribes to TOPIC at QOS (0 or 1; 1 when not given), creates READY_FILE, and returns once
 * the answers to requests m0..m(N-1) (their "source_id", the answer's first field) have all arrived,
 * acknowledging every QoS 1 delivery (the PUBACKs of one read leave in one write).
 *
 * The reader's QoS is its own subscription's, not the consumer's: the consumer publishes its answers at
 * QoS 1 either way, and acknowledges a request only after the broker's PUBACK for its answer. At QoS 0
 * the broker sends the answers to the reader without waiting for, or reading, a PUBACK each (one packet
 * fewer per answer for it to read); the reader still checks that every id arrived, so a lost answer
 * fails the run (it times out naming how many arrived) rather than raising the rate.
 *
 * COALESCE_BYTES (0, the default: off) is what `wrk` gets from its many answers per read: once the
 * first answer is in, the socket's SO_RCVLOWAT is set to it, so the reader is woken when that many bytes
 * are waiting, or after 2 ms, rather than for each answer that arrives (on an idle core, a wake-up per
 * answer cost the reader about 11 us of CPU each). The first answer is timed when it arrives; the last at
 * most about 2 ms late (or the time to fill COALESCE_BYTES), which lengthens the span: the rate it
 * reports can only be lower for it.
 *
 * Throughput = answers over the span from the first to the last, each timed when the read that brought
 * it returned (CLOCK_MONOTONIC). Prints:
 *   answers=.. unique=.. span_s=.. throughput_per_s=..
 *
 * Paced (IN_TOPIC RATE REQUESTS_FILE given): the end-to-end latency at RATE requests per second, what
 * `mqtt_load.py run` measured until its Python could not keep up (at 36,729/s on two cores beside the
 * consumer and mosquitto, its answers lagged the requests from the first second). Once subscribed, the
 * reader also publishes the N requests of REQUESTS_FILE (one JSON request a line, request I carrying
 * "id":"mI"; run.sh writes load.py's) to IN_TOPIC at QoS 1 on a second connection, paced by a 1 ms
 * tick: each tick sends every request due by then in one write (at most a tick late, as load.py
 * produce does), and the broker's PUBACKs are read and counted (all N must come). A request's publish
 * time is when the write that completed its packet returned; an answer's arrival time is when the read
 * that brought it returned, and in this mode the answers' socket is read at every tick as well, so an
 * arrival is timed at most about a tick late with COALESCE_BYTES (less without). Latency = arrival minus
 * publish, both on this process's CLOCK_MONOTONIC, joined by the answer's source id. Prints after the
 * line above:
 *   p50_ms=.. p99_ms=.. max_ms=.. p99_after_first_s_ms=.. worst_at_s=..
 * (as load.py report: the tail without the requests of the first second, and when the slowest request
 * was published, from the first), and on stderr how many were published in how long against the rate
 * asked, and the longest wait between two of its ticks (the tick is 1 ms: longer, and this program
 * was itself kept off the cores, its publishing and reading both late): a producer that fell behind
 * says so.
 * Plain sockets and the C library only: `cc -O2 -o mqtt_reader mqtt_reader.c`.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void fail(const char *what) {
  fprintf(stderr, "mqtt_reader: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
  exit(1);
}

static void refuse(const char *what) {
  errno = 0;
  fail(what);
}

static void send_all(int fd, const unsigned char *data, size_t length) {
  while (length > 0) {
    ssize_t sent = send(fd, data, length, 0);
    if (sent < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    data += sent;
    length -= (size_t)sent;
  }
}

/* A remaining length (MQTT's variable byte integer) written at `out`; returns its bytes. */
static size_t put_length(unsigned char *out, size_t value) {
  size_t o = 0;
  do {
    unsigned char byte = value & 0x7F;
    value >>= 7;
    out[o++] = byte | (value ? 0x80 : 0);
  } while (value);
  return o;
}

/* A packet's remaining length (at most 4 bytes, 7 bits each); 0 when incomplete, -1 when malformed. */
static int remaining_length(const unsigned char *at, size_t available, size_t *length, size_t *header) {
  size_t value = 0;
  for (size_t i = 1; i < 5; i++) {
    if (i >= available) return 0;
    value |= (size_t)(at[i] & 0x7F) << (7 * (i - 1));
    if (!(at[i] & 0x80)) {
      *length = value;
      *header = i + 1;
      return 1;
    }
  }
  return -1;
}

/* Connects to the broker on loopback and sends CONNECT: "MQTT", level 4 (3.1.1), clean session,
 * keep-alive 60 s, client id bench-NAME-cPID. */
static int connect_broker(int port, const char *name) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("connect to the broker");
  char client[64];
  int client_length = snprintf(client, sizeof client, "bench-%s-c%ld", name, (long)getpid());
  unsigned char out[128];
  size_t o = 0;
  out[o++] = 0x10;
  out[o++] = (unsigned char)(10 + 2 + client_length);
  memcpy(out + o, "\0\4MQTT\4\2\0\74", 10);
  o += 10;
  out[o++] = 0;
  out[o++] = (unsigned char)client_length;
  memcpy(out + o, client, (size_t)client_length);
  o += (size_t)client_length;
  send_all(fd, out, o);
  return fd;
}

/* What one connection has read and not yet parsed. */
struct inbox {
  int fd;
  unsigned char *buffer;
  size_t filled, capacity;
};

/* Reads what the socket holds without waiting; returns 0 when nothing was there. */
static int receive(struct inbox *in, const char *whose) {
  ssize_t got = recv(in->fd, in->buffer + in->filled, in->capacity - in->filled, MSG_DONTWAIT);
  if (got < 0) {
    if (errno == EINTR || errno == EAGAIN) return 0;
    fail("recv");
  }
  if (got == 0) {
    errno = 0;
    fprintf(stderr, "mqtt_reader: the broker closed the %s connection\n", whose);
    exit(1);
  }
  in->filled += (size_t)got;
  return 1;
}

/* The next complete packet at *offset (its first byte, its body and the body's length); 0 when none. */
static int next_packet(struct inbox *in, size_t *offset, unsigned char *first, const unsigned char **body, size_t *length) {
  size_t header;
  int complete = remaining_length(in->buffer + *offset, in->filled - *offset, length, &header);
  if (complete < 0) refuse("a malformed packet length from the broker");
  if (!complete || *offset + header + *length > in->filled) return 0;
  *first = in->buffer[*offset];
  *body = in->buffer + *offset + header;
  *offset += header + *length;
  return 1;
}

/* Drops the packets parsed (up to offset), keeping a partial one. */
static void consumed(struct inbox *in, size_t offset) {
  memmove(in->buffer, in->buffer + offset, in->filled - offset);
  in->filled -= offset;
  if (in->filled == in->capacity) refuse("a packet larger than the read buffer (1 MB)");
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pick(const double *sorted, long count, double q) {
  long at = (long)(q * count);
  return sorted[at < count - 1 ? at : count - 1];
}

int main(int argc, char **argv) {
  if (argc < 6 || argc > 11 || argc == 9 || argc == 10) {
    fprintf(stderr, "usage: mqtt_reader PORT TOPIC N SECONDS READY_FILE [QOS [COALESCE_BYTES [IN_TOPIC RATE REQUESTS_FILE]]]\n");
    return 2;
  }
  int qos_asked = argc > 6 ? atoi(argv[6]) : 1;
  int lowat = argc > 7 ? atoi(argv[7]) : 0;
  if ((qos_asked != 0 && qos_asked != 1) || lowat < 0 || lowat > (1 << 19)) {
    fprintf(stderr, "mqtt_reader: expected QOS 0 or 1 and COALESCE_BYTES 0-524288, got '%s' '%s'\n", argc > 6 ? argv[6] : "", argc > 7 ? argv[7] : "");
    return 2;
  }
  int port = atoi(argv[1]);
  const char *topic = argv[2];
  long n = atol(argv[3]);
  double deadline = now() + atof(argv[4]);
  size_t topic_length = strlen(topic);
  if (port <= 0 || port > 65535 || n <= 0 || topic_length == 0 || topic_length > 1024) {
    fprintf(stderr, "mqtt_reader: expected a port (1-65535), a topic and a positive count, got '%s' '%s' '%s'\n", argv[1], argv[2], argv[3]);
    return 2;
  }
  int paced = argc == 11;
  const char *in_topic = paced ? argv[8] : "";
  double rate = paced ? atof(argv[9]) : 0;
  size_t in_topic_length = strlen(in_topic);
  if (paced && (rate <= 0 || in_topic_length == 0 || in_topic_length > 1024)) {
    fprintf(stderr, "mqtt_reader: expected a request topic and a positive rate per second, got '%s' '%s'\n", argv[8], argv[9]);
    return 2;
  }

  /* Paced: the N requests as QoS 1 PUBLISH packets, end to end in one buffer, so that every request
   * due at a tick leaves in one write; ends[i] is where request i's packet ends. */
  unsigned char *requests = NULL;
  size_t *ends = NULL, total = 0;
  double *published = NULL, *arrived = NULL;
  if (paced) {
    FILE *file = fopen(argv[10], "r");
    if (!file) fail("cannot open REQUESTS_FILE");
    ends = malloc((size_t)n * sizeof *ends);
    published = calloc((size_t)n, sizeof *published);
    arrived = calloc((size_t)n, sizeof *arrived);
    size_t capacity = 1 << 20;
    requests = malloc(capacity);
    char *line = NULL;
    size_t line_capacity = 0;
    for (long i = 0; i < n; i++) {
      ssize_t length = getline(&line, &line_capacity, file);
      if (length > 0 && line[length - 1] == '\n') length--;
      if (length <= 0) {
        fprintf(stderr, "mqtt_reader: REQUESTS_FILE '%s' holds %ld requests, expected %ld (one a line)\n", argv[10], i, n);
        return 2;
      }
      size_t body = 2 + in_topic_length + 2 + (size_t)length;
      if (!ends || !published || !arrived || !requests) fail("out of memory");
      while (total + 5 + body > capacity) {
        capacity *= 2;
        requests = realloc(requests, capacity);
        if (!requests) fail("out of memory");
      }
      unsigned char *out = requests + total;
      size_t o = 0;
      unsigned id = (unsigned)(i % 65535) + 1; /* packet ids 1-65535, reused as the Python producer does */
      out[o++] = 0x32;
      o += put_length(out + o, body);
      out[o++] = (unsigned char)(in_topic_length >> 8);
      out[o++] = (unsigned char)in_topic_length;
      memcpy(out + o, in_topic, in_topic_length);
      o += in_topic_length;
      out[o++] = (unsigned char)(id >> 8);
      out[o++] = (unsigned char)id;
      memcpy(out + o, line, (size_t)length);
      o += (size_t)length;
      total += o;
      ends[i] = total;
    }
    free(line);
    fclose(file);
  }

  int fd = connect_broker(port, "answers");
  /* SUBSCRIBE, packet id 1: the topic at QOS. */
  unsigned char out[2048];
  size_t o = 0;
  out[o++] = 0x82;
  o += put_length(out + o, 2 + 2 + topic_length + 1);
  out[o++] = 0;
  out[o++] = 1;
  out[o++] = (unsigned char)(topic_length >> 8);
  out[o++] = (unsigned char)topic_length;
  memcpy(out + o, topic, topic_length);
  o += topic_length;
  out[o++] = (unsigned char)qos_asked;
  send_all(fd, out, o);
  int publisher = paced ? connect_broker(port, "requests") : -1;
  if (paced && fcntl(publisher, F_SETFL, O_NONBLOCK) < 0) fail("fcntl");

  unsigned char *seen = calloc((size_t)n, 1);
  size_t capacity = 1 << 20;
  struct inbox answers = {.fd = fd, .buffer = malloc(capacity), .capacity = capacity};
  struct inbox replies = {.fd = publisher, .buffer = malloc(capacity), .capacity = capacity};
  unsigned char *acks = malloc(capacity);
  if (!seen || !answers.buffer || !replies.buffer || !acks) fail("out of memory");
  long count = 0, unique = 0, sent = 0, acknowledged = 0;
  size_t written = 0, until = 0; /* bytes of `requests` the publisher's socket took, and those due */
  double first = 0, last = 0, start = 0, tick = 0.001;
  double tick_at = 0, longest_gap = 0; /* publishing: the longest time between two turns of the loop */
  int subscribed = 0, coalescing = 0;
  while (unique < n || (paced && acknowledged < n)) {
    double at = now();
    if (at >= deadline) {
      fprintf(stderr, "mqtt_reader: only %ld of %ld answers (and %ld of %ld requests sent, %ld acknowledged) after %s s\n",
              unique, n, sent, paced ? n : 0, acknowledged, argv[4]);
      return 1;
    }
    /* Paced: every request due by now, in one write as far as the socket takes it. */
    int publishing = paced && subscribed && sent < n;
    if (publishing) {
      if (start == 0) start = at;
      if (tick_at != 0 && at - tick_at > longest_gap) longest_gap = at - tick_at;
      tick_at = at;
      long due = (long)((at - start) * rate) + 1;
      until = ends[due < n ? due - 1 : n - 1];
      while (written < until) {
        ssize_t took = send(publisher, requests + written, until - written, 0);
        if (took < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN) break;
          fail("send a request");
        }
        written += (size_t)took;
      }
      double done = now();
      while (sent < n && ends[sent] <= written) published[sent++] = done;
    }
    /* While publishing, the PUBACKs are read at every tick rather than woken for one by one. */
    struct pollfd waits[2] = {{.fd = fd, .events = POLLIN}, {.fd = publisher, .events = publishing ? 0 : POLLIN}};
    if (written < until) waits[1].events |= POLLOUT; /* only for what is due: the socket is writable nearly always */
    int timeout = publishing || (paced && coalescing) ? (int)(tick * 1000) : coalescing ? 2 : deadline - at > 1 ? 1000 : (int)((deadline - at) * 1000) + 1;
    int ready = poll(waits, paced ? 2 : 1, timeout);
    if (ready < 0 && errno != EINTR) fail("poll");
    if (paced && receive(&replies, "requests'")) {
      size_t offset = 0, length;
      unsigned char kind;
      const unsigned char *p;
      while (next_packet(&replies, &offset, &kind, &p, &length)) {
        if (kind >> 4 == 2 && length >= 2 && p[1] != 0) refuse("the broker refused the requests' connection (CONNACK)");
        if (kind >> 4 == 4) acknowledged++;
      }
      consumed(&replies, offset);
    }
    /* Paced, the answers are read at every tick, coalescing or not, so that arrivals are timed to it. */
    if (ready < 0 || !((waits[0].revents & POLLIN) || coalescing || paced)) continue;
    if (!receive(&answers, "answers'")) continue;
    at = now();
    size_t offset = 0, acked = 0, length;
    unsigned char kind;
    const unsigned char *p;
    while (next_packet(&answers, &offset, &kind, &p, &length)) {
      if (kind >> 4 == 2 && length >= 2 && p[1] != 0) {
        refuse("the broker refused the connection (CONNACK)");
      } else if (kind >> 4 == 9) {
        if (length < 3 || p[2] > 1) refuse("the broker refused the subscription (SUBACK)");
        if (!subscribed) {
          FILE *marker = fopen(argv[5], "w");
          if (!marker) fail("cannot create the ready file");
          fclose(marker);
          subscribed = 1;
        }
      } else if (kind >> 4 == 3 && length >= 2) {
        int qos = (kind >> 1) & 3;
        size_t at_payload = 2 + ((size_t)p[0] << 8 | p[1]);
        if (qos) {
          if (at_payload + 2 > length) refuse("a PUBLISH shorter than its topic and packet id");
          acks[acked++] = 0x40;
          acks[acked++] = 2;
          acks[acked++] = p[at_payload];
          acks[acked++] = p[at_payload + 1];
          at_payload += 2;
        }
        count++;
        if (first == 0) first = at;
        last = at;
        /* The source id is the answer's first field (AnswerJson): {"source_id":"mI",... */
        static const char key[] = "\"source_id\":\"m";
        size_t window = length - at_payload < 80 ? length - at_payload : 80;
        const unsigned char *found = window >= sizeof key - 1 ? memmem(p + at_payload, window, key, sizeof key - 1) : NULL;
        if (found) {
          const unsigned char *digit = found + sizeof key - 1, *end = p + length;
          long index = 0;
          int digits = 0;
          while (digit < end && *digit >= '0' && *digit <= '9' && digits < 18) {
            index = index * 10 + (*digit++ - '0');
            digits++;
          }
          if (digits && digit < end && *digit == '"' && index < n && !seen[index]) {
            seen[index] = 1;
            unique++;
            if (paced) arrived[index] = at;
          }
        }
      }
      if (acked + 4 > capacity) {
        send_all(fd, acks, acked);
        acked = 0;
      }
    }
    if (acked) send_all(fd, acks, acked);
    if (lowat > 0 && first != 0 && !coalescing) {
      if (setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat) < 0) fail("SO_RCVLOWAT");
      coalescing = 1;
    }
    consumed(&answers, offset);
  }
  double span = last - first > 0 ? last - first : 0.001;
  printf("answers=%ld unique=%ld span_s=%.3f throughput_per_s=%.0f", count, unique, span, count / span);
  if (paced) {
    double took = published[n - 1] - start;
    fprintf(stderr, "published %ld in %.3f s: %.0f/s (asked %.0f/s), the longest wait between two ticks %.1f ms\n", n, took,
            took > 0 ? n / took : 0, rate, longest_gap * 1000);
    double *latencies = malloc((size_t)n * sizeof *latencies), *later = malloc((size_t)n * sizeof *later);
    if (!latencies || !later) fail("out of memory");
    long worst = 0, later_count = 0;
    for (long i = 0; i < n; i++) {
      latencies[i] = (arrived[i] - published[i]) * 1000;
      if (latencies[i] > latencies[worst]) worst = i;
      if (published[i] - start >= 1) later[later_count++] = latencies[i];
    }
    double worst_ms = latencies[worst], worst_at = published[worst] - start;
    qsort(latencies, (size_t)n, sizeof *latencies, by_value);
    qsort(later, (size_t)later_count, sizeof *later, by_value);
    printf(" p50_ms=%.1f p99_ms=%.1f max_ms=%.1f", pick(latencies, n, 0.5), pick(latencies, n, 0.99), worst_ms);
    if (later_count)
      printf(" p99_after_first_s_ms=%.1f", pick(later, later_count, 0.99));
    else
      printf(" p99_after_first_s_ms=-");
    printf(" worst_at_s=%.2f", worst_at);
  }
  printf("\n");
  return 0;
}
