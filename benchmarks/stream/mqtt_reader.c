/* The answers' reader of benchmarks/stream/run.sh and cost.sh in C: what `wrk` is to the REST side.
 *
 *   mqtt_reader PORT TOPIC N SECONDS READY_FILE [QOS [COALESCE_BYTES]]
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
 * Plain sockets and the C library only: `cc -O2 -o mqtt_reader mqtt_reader.c`.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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

int main(int argc, char **argv) {
  if (argc < 6 || argc > 8) {
    fprintf(stderr, "usage: mqtt_reader PORT TOPIC N SECONDS READY_FILE [QOS [LOWAT]]\n");
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

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("connect to the broker");

  /* CONNECT: "MQTT", level 4 (3.1.1), clean session, keep-alive 60 s, client id bench-answers-PID. */
  char client[64];
  int client_length = snprintf(client, sizeof client, "bench-answers-c%ld", (long)getpid());
  unsigned char out[2048];
  size_t body = 10 + 2 + (size_t)client_length;
  size_t o = 0;
  out[o++] = 0x10;
  out[o++] = (unsigned char)body;
  memcpy(out + o, "\0\4MQTT\4\2\0\74", 10);
  o += 10;
  out[o++] = 0;
  out[o++] = (unsigned char)client_length;
  memcpy(out + o, client, (size_t)client_length);
  o += (size_t)client_length;
  /* SUBSCRIBE, packet id 1: the topic at QoS 1. */
  size_t subscribe = 2 + 2 + topic_length + 1;
  out[o++] = 0x82;
  if (subscribe < 128) {
    out[o++] = (unsigned char)subscribe;
  } else {
    out[o++] = (unsigned char)(0x80 | (subscribe & 0x7F));
    out[o++] = (unsigned char)(subscribe >> 7);
  }
  out[o++] = 0;
  out[o++] = 1;
  out[o++] = (unsigned char)(topic_length >> 8);
  out[o++] = (unsigned char)topic_length;
  memcpy(out + o, topic, topic_length);
  o += topic_length;
  out[o++] = (unsigned char)qos_asked;
  send_all(fd, out, o);

  unsigned char *seen = calloc((size_t)n, 1);
  size_t capacity = 1 << 20;
  unsigned char *buffer = malloc(capacity);
  unsigned char *acks = malloc(capacity);
  if (!seen || !buffer || !acks) fail("out of memory");
  size_t filled = 0;
  long answers = 0, unique = 0;
  double first = 0, last = 0;
  int subscribed = 0, coalescing = 0;
  while (unique < n) {
    double left = deadline - now();
    if (left <= 0) {
      fprintf(stderr, "mqtt_reader: only %ld of %ld answers after %s s\n", unique, n, argv[4]);
      return 1;
    }
    struct pollfd wait = {.fd = fd, .events = POLLIN};
    int ready = poll(&wait, 1, coalescing ? 2 : left > 1 ? 1000 : (int)(left * 1000) + 1);
    if (ready < 0 && errno != EINTR) fail("poll");
    if (ready < 0 || (ready == 0 && !coalescing)) continue;
    ssize_t got = recv(fd, buffer + filled, capacity - filled, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      fail("recv");
    }
    if (got == 0) {
      errno = 0;
      fail("the broker closed the connection");
    }
    double at = now();
    filled += (size_t)got;
    size_t offset = 0, acked = 0;
    for (;;) {
      size_t length, header;
      int complete = remaining_length(buffer + offset, filled - offset, &length, &header);
      if (complete < 0) {
        errno = 0;
        fail("a malformed packet length from the broker");
      }
      if (!complete || offset + header + length > filled) break;
      const unsigned char *packet = buffer + offset;
      const unsigned char *p = packet + header;
      int kind = packet[0] >> 4;
      if (kind == 2 && length >= 2 && p[1] != 0) {
        errno = 0;
        fail("the broker refused the connection (CONNACK)");
      } else if (kind == 9) {
        if (length < 3 || p[2] > 1) {
          errno = 0;
          fail("the broker refused the subscription (SUBACK)");
        }
        if (!subscribed) {
          FILE *marker = fopen(argv[5], "w");
          if (!marker) fail("cannot create the ready file");
          fclose(marker);
          subscribed = 1;
        }
      } else if (kind == 3 && length >= 2) {
        int qos = (packet[0] >> 1) & 3;
        size_t at_payload = 2 + ((size_t)p[0] << 8 | p[1]);
        if (qos) {
          if (at_payload + 2 > length) {
            errno = 0;
            fail("a PUBLISH shorter than its topic and packet id");
          }
          acks[acked++] = 0x40;
          acks[acked++] = 2;
          acks[acked++] = p[at_payload];
          acks[acked++] = p[at_payload + 1];
          at_payload += 2;
        }
        answers++;
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
          }
        }
      }
      offset += header + length;
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
    memmove(buffer, buffer + offset, filled - offset);
    filled -= offset;
    if (filled == capacity) {
      errno = 0;
      fail("a packet larger than the read buffer (1 MB)");
    }
  }
  double span = last - first > 0 ? last - first : 0.001;
  printf("answers=%ld unique=%ld span_s=%.3f throughput_per_s=%.0f\n", answers, unique, span, answers / span);
  return 0;
}
