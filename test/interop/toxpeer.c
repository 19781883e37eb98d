/*
 * A small c-toxcore peer for gitswarm's interop tests and benchmarks, built by the test setup
 * against Debian's libtoxcore-dev (`cc toxpeer.c $(pkg-config --cflags --libs toxcore)`).
 *
 *   toxpeer peer [seconds]   one Tox, UDP only, no LAN discovery (TOXPEER_LAN=1: on), no hole
 *                            punching (TOXPEER_PUNCH=1: on); TOXPEER_NOUDP=1: TCP only. Prints
 *                            "ID <tox id>", "DHT <dht pk>", "PORT <udp port>", then events;
 *                            reads commands on stdin (one per line):
 *                              friend <real pk hex>          tox_friend_add_norequest
 *                              add <tox id> <message>        tox_friend_add (a friend request)
 *                              autoaccept on|off             accept friend requests (default off)
 *                              bootstrap <port> <dht pk hex> [host]  tox_bootstrap (127.0.0.1 by default)
 *                              relay <port> <dht pk hex> [host]      tox_add_tcp_relay
 *                              lossless <n> <size>           send n custom lossless packets (id 160)
 *                              lossy <n> <size>              send n custom lossy packets (id 200)
 *                              message <text>                send a text message
 *                              sendfile <bytes>              send friend 0 a file (c-toxcore's file transfer);
 *                                                            a file offered is accepted: "FILE <bytes> <ms> <complete> <ok>"
 *                              echo on|off                   echo back packets and messages (default on)
 *                              delete                        delete the friend (kills the connection)
 *                              quit
 *                            Events: "FRIEND <n> CONNECTION <none|tcp|udp>", "MESSAGE <text>",
 *                            "REQUEST <pk hex> <message>", "SELF CONNECTION <none|tcp|udp>",
 *                            "LOSSLESS <len> <seq>" (seq = bytes 1..4 big-endian), "LOSSY <len> <seq>",
 *                            "SENT lossless <n>", "NAME <len>", "STATUS ...", "ERR <what>".
 *   toxpeer bench <seconds>  two Tox instances in this process befriend each other and one
 *                            sends 1373-byte custom lossless packets to the other as fast as
 *                            c-toxcore allows; prints "BENCH <second> <bytes>" each second and
 *                            "TOTAL <bytes> <ms>" at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <tox/tox.h>

static int echo = 1;
static int autoaccept = 0;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hex(const uint8_t *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02X", b[i]);
  out[2 * n] = 0;
}

static int unhex(const char *s, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (uint8_t)v;
  }
  return 0;
}

static Tox *new_tox(void) {
  struct Tox_Options *o = tox_options_new(NULL);
  tox_options_set_ipv6_enabled(o, false);
  /* TOXPEER_NOUDP=1: TCP relays only, as a client behind a network that drops UDP. */
  tox_options_set_udp_enabled(o, getenv("TOXPEER_NOUDP") == NULL);
  /* TOXPEER_LAN=1 (the network lab, inside a namespace): LAN discovery on, as a client ships. */
  tox_options_set_local_discovery_enabled(o, getenv("TOXPEER_LAN") != NULL);
  /* TOXPEER_PUNCH=1 (the network lab's NATs): hole punching on, as a client ships. */
  tox_options_set_hole_punching_enabled(o, getenv("TOXPEER_PUNCH") != NULL);
  tox_options_set_start_port(o, 33445);
  tox_options_set_end_port(o, 34445);
  Tox_Err_New err;
  Tox *t = tox_new(o, &err);
  tox_options_free(o);
  if (!t) {
    fprintf(stderr, "tox_new failed: %d\n", err);
    exit(2);
  }
  return t;
}

static uint32_t seq_of(const uint8_t *d, size_t len) {
  return len >= 5 ? ((uint32_t)d[1] << 24) | ((uint32_t)d[2] << 16) | ((uint32_t)d[3] << 8) | d[4] : 0;
}

static void on_connection(Tox *t, uint32_t f, TOX_CONNECTION s, void *u) {
  (void)t; (void)u;
  printf("FRIEND %u CONNECTION %s\n", f, s == TOX_CONNECTION_NONE ? "none" : s == TOX_CONNECTION_TCP ? "tcp" : "udp");
  fflush(stdout);
}

static void on_message(Tox *t, uint32_t f, TOX_MESSAGE_TYPE type, const uint8_t *m, size_t len, void *u) {
  (void)u;
  printf("MESSAGE %.*s\n", (int)len, m);
  fflush(stdout);
  if (echo) tox_friend_send_message(t, f, type, m, len, NULL);
}

static void on_lossless(Tox *t, uint32_t f, const uint8_t *d, size_t len, void *u) {
  (void)u;
  printf("LOSSLESS %zu %u\n", len, seq_of(d, len));
  if (echo) {
    Tox_Err_Friend_Custom_Packet err;
    while (!tox_friend_send_lossless_packet(t, f, d, len, &err) && err == TOX_ERR_FRIEND_CUSTOM_PACKET_SENDQ) {
      tox_iterate(t, NULL);
      usleep(1000);
    }
  }
}

static void on_lossy(Tox *t, uint32_t f, const uint8_t *d, size_t len, void *u) {
  (void)u;
  printf("LOSSY %zu %u\n", len, seq_of(d, len));
  fflush(stdout);
  if (echo) tox_friend_send_lossy_packet(t, f, d, len, NULL);
}

static void on_request(Tox *t, const uint8_t *pk, const uint8_t *m, size_t len, void *u) {
  (void)u;
  char h[65];
  hex(pk, 32, h);
  printf("REQUEST %s %.*s\n", h, (int)len, m);
  if (autoaccept) {
    Tox_Err_Friend_Add err;
    uint32_t f = tox_friend_add_norequest(t, pk, &err);
    printf("FRIEND_ADDED %u %d\n", f, err);
  }
  fflush(stdout);
}

static void on_self(Tox *t, TOX_CONNECTION s, void *u) {
  (void)t; (void)u;
  printf("SELF CONNECTION %s\n", s == TOX_CONNECTION_NONE ? "none" : s == TOX_CONNECTION_TCP ? "tcp" : "udp");
  fflush(stdout);
}

static void on_name(Tox *t, uint32_t f, const uint8_t *n, size_t len, void *u) {
  (void)t; (void)f; (void)n; (void)u;
  printf("NAME %zu\n", len);
  fflush(stdout);
}

static void send_packets(Tox *t, int lossless, int n, int size) {
  uint8_t buf[TOX_MAX_CUSTOM_PACKET_SIZE];
  if (size < 5) size = 5;
  if (size > TOX_MAX_CUSTOM_PACKET_SIZE) size = TOX_MAX_CUSTOM_PACKET_SIZE;
  int sent = 0;
  uint64_t deadline = now_ms() + 60000;
  for (int i = 0; i < n && now_ms() < deadline;) {
    memset(buf, (uint8_t)i, size);
    buf[0] = lossless ? 160 : 200;
    buf[1] = (uint8_t)(i >> 24); buf[2] = (uint8_t)(i >> 16); buf[3] = (uint8_t)(i >> 8); buf[4] = (uint8_t)i;
    Tox_Err_Friend_Custom_Packet err;
    bool ok = lossless ? tox_friend_send_lossless_packet(t, 0, buf, size, &err) : tox_friend_send_lossy_packet(t, 0, buf, size, &err);
    if (ok) {
      i++;
      sent++;
    } else if (err == TOX_ERR_FRIEND_CUSTOM_PACKET_SENDQ) {
      tox_iterate(t, NULL);
      usleep(1000);
    } else {
      printf("ERR send %d\n", err);
      break;
    }
  }
  printf("SENT %s %d\n", lossless ? "lossless" : "lossy", sent);
  fflush(stdout);
}

static void peer_files(Tox *t);
static void peer_sendfile(Tox *t, uint64_t size);
static int peer_file_active = 0;

static void command(Tox *t, char *line) {
  line[strcspn(line, "\r\n")] = 0;
  uint8_t key[32];
  if (!strncmp(line, "friend ", 7)) {
    if (unhex(line + 7, key, 32)) return (void)printf("ERR bad key\n");
    Tox_Err_Friend_Add err;
    uint32_t f = tox_friend_add_norequest(t, key, &err);
    printf("FRIEND_ADDED %u %d\n", f, err);
  } else if (!strncmp(line, "add ", 4)) {
    uint8_t addr[TOX_ADDRESS_SIZE];
    const char *msg = strlen(line) > 4 + 2 * TOX_ADDRESS_SIZE + 1 ? line + 4 + 2 * TOX_ADDRESS_SIZE + 1 : "hi";
    if (strlen(line) < 4 + 2 * TOX_ADDRESS_SIZE || unhex(line + 4, addr, TOX_ADDRESS_SIZE)) return (void)printf("ERR bad address\n");
    Tox_Err_Friend_Add err;
    uint32_t f = tox_friend_add(t, addr, (const uint8_t *)msg, strlen(msg), &err);
    printf("FRIEND_ADDED %u %d\n", f, err);
  } else if (!strncmp(line, "autoaccept ", 11)) {
    autoaccept = !strcmp(line + 11, "on");
  } else if (!strncmp(line, "bootstrap ", 10)) {
    unsigned port;
    char k[65], host[64] = "127.0.0.1";
    if (sscanf(line + 10, "%u %64s %63s", &port, k, host) < 2 || unhex(k, key, 32)) return (void)printf("ERR bad bootstrap\n");
    Tox_Err_Bootstrap err;
    tox_bootstrap(t, host, (uint16_t)port, key, &err);
    printf("BOOTSTRAPPED %d\n", err);
  } else if (!strncmp(line, "relay ", 6)) {
    unsigned port;
    char k[65], host[64] = "127.0.0.1";
    if (sscanf(line + 6, "%u %64s %63s", &port, k, host) < 2 || unhex(k, key, 32)) return (void)printf("ERR bad relay\n");
    Tox_Err_Bootstrap err;
    tox_add_tcp_relay(t, host, (uint16_t)port, key, &err);
    printf("RELAY %d\n", err);
  } else if (!strncmp(line, "lossless ", 9) || !strncmp(line, "lossy ", 6)) {
    int n, size;
    int lossless = line[4] == 'l';
    if (sscanf(strchr(line, ' ') + 1, "%d %d", &n, &size) == 2) send_packets(t, lossless, n, size);
  } else if (!strncmp(line, "sendfile ", 9)) {
    peer_sendfile(t, strtoull(line + 9, NULL, 10));
  } else if (!strncmp(line, "message ", 8)) {
    tox_friend_send_message(t, 0, TOX_MESSAGE_TYPE_NORMAL, (const uint8_t *)line + 8, strlen(line + 8), NULL);
  } else if (!strncmp(line, "echo ", 5)) {
    echo = !strcmp(line + 5, "on");
  } else if (!strcmp(line, "delete")) {
    tox_friend_delete(t, 0, NULL);
    printf("DELETED\n");
  } else if (!strcmp(line, "quit")) {
    exit(0);
  }
  fflush(stdout);
}

static int peer(int seconds) {
  Tox *t = new_tox();
  uint8_t addr[TOX_ADDRESS_SIZE], dht[TOX_PUBLIC_KEY_SIZE];
  char s[2 * TOX_ADDRESS_SIZE + 1];
  tox_self_get_address(t, addr);
  hex(addr, TOX_ADDRESS_SIZE, s);
  printf("ID %s\n", s);
  tox_self_get_dht_id(t, dht);
  hex(dht, TOX_PUBLIC_KEY_SIZE, s);
  printf("DHT %s\n", s);
  printf("PORT %u\n", tox_self_get_udp_port(t, NULL));
  fflush(stdout);
  tox_callback_friend_connection_status(t, on_connection);
  tox_callback_friend_message(t, on_message);
  tox_callback_friend_lossless_packet(t, on_lossless);
  tox_callback_friend_lossy_packet(t, on_lossy);
  tox_callback_friend_name(t, on_name);
  tox_callback_friend_request(t, on_request);
  tox_callback_self_connection_status(t, on_self);
  peer_files(t);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  char line[4096];
  size_t have = 0;
  uint64_t end = now_ms() + (uint64_t)seconds * 1000;
  while (now_ms() < end) {
    tox_iterate(t, NULL);
    ssize_t r = read(0, line + have, sizeof line - 1 - have);
    if (r == 0) break; /* stdin closed: the test is done with us */
    if (r > 0) {
      have += (size_t)r;
      line[have] = 0;
      char *nl;
      while ((nl = strchr(line, '\n'))) {
        *nl = 0;
        command(t, line);
        size_t used = (size_t)(nl - line) + 1;
        memmove(line, nl + 1, have - used + 1);
        have -= used;
      }
    }
    fflush(stdout);
    /* A file in flight wants c-toxcore iterated often (as a client would, by its interval). */
    uint32_t wait = tox_iteration_interval(t) * 1000;
    usleep(peer_file_active ? (wait > 500 ? 500 : wait) : (wait > 5000 ? 5000 : wait));
  }
  tox_kill(t);
  return 0;
}

/* Two instances in this process, friends of each other, b bootstrapped from a; returns once
 * both see the friend connected (prints CONNECTED <ms>), or 1 after 60 s. */
static int connect_pair(Tox *a, Tox *b) {
  uint8_t pka[32], pkb[32], dhta[32];
  tox_self_get_public_key(a, pka);
  tox_self_get_public_key(b, pkb);
  tox_self_get_dht_id(a, dhta);
  tox_friend_add_norequest(a, pkb, NULL);
  tox_friend_add_norequest(b, pka, NULL);
  tox_bootstrap(b, "127.0.0.1", tox_self_get_udp_port(a, NULL), dhta, NULL);
  uint64_t start = now_ms();
  while (tox_friend_get_connection_status(a, 0, NULL) == TOX_CONNECTION_NONE || tox_friend_get_connection_status(b, 0, NULL) == TOX_CONNECTION_NONE) {
    tox_iterate(a, NULL);
    tox_iterate(b, NULL);
    usleep(1000);
    if (now_ms() - start > 60000) return printf("ERR no connection\n"), 1;
  }
  printf("CONNECTED %llu\n", (unsigned long long)(now_ms() - start));
  fflush(stdout);
  return 0;
}

static uint64_t bench_bytes = 0;
static void bench_recv(Tox *t, uint32_t f, const uint8_t *d, size_t len, void *u) {
  (void)t; (void)f; (void)d; (void)u;
  bench_bytes += len;
}

static int bench(int seconds) {
  Tox *a = new_tox(), *b = new_tox();
  tox_callback_friend_lossless_packet(b, bench_recv);
  if (connect_pair(a, b)) return 1;
  uint64_t start;
  uint8_t buf[TOX_MAX_CUSTOM_PACKET_SIZE];
  memset(buf, 7, sizeof buf);
  buf[0] = 160;
  start = now_ms();
  uint64_t last = 0, second = 0, next = start + 1000;
  while (now_ms() < start + (uint64_t)seconds * 1000) {
    for (int i = 0; i < 64; i++)
      if (!tox_friend_send_lossless_packet(a, 0, buf, sizeof buf, NULL)) break;
    tox_iterate(a, NULL);
    tox_iterate(b, NULL);
    if (now_ms() >= next) {
      printf("BENCH %llu %llu\n", (unsigned long long)++second, (unsigned long long)(bench_bytes - last));
      fflush(stdout);
      last = bench_bytes;
      next += 1000;
    }
    uint32_t sleep = tox_iteration_interval(a);
    if (sleep > 1) usleep(1000);
  }
  printf("TOTAL %llu %llu\n", (unsigned long long)bench_bytes, (unsigned long long)(now_ms() - start));
  tox_kill(a);
  tox_kill(b);
  return 0;
}

/* File-transfer bench: a sends `size` bytes with c-toxcore's own file transfer (tox_file_send,
 * chunk requests answered from a pattern), b accepts and counts; both in this process, for at
 * most `seconds`. Prints FILE <bytes> <ms> <complete 0|1> <checksum ok 0|1>. */
static uint64_t fb_size = 0, fb_received = 0;
static int fb_done = 0, fb_bad = 0;
static uint8_t fb_byte(uint64_t pos) { return (uint8_t)((pos * 2654435761u) >> 13); }
static void fb_chunk_request(Tox *t, uint32_t f, uint32_t file, uint64_t pos, size_t len, void *u) {
  (void)u;
  if (len == 0) return;
  static uint8_t buf[TOX_MAX_CUSTOM_PACKET_SIZE];
  for (size_t i = 0; i < len; i++) buf[i] = fb_byte(pos + i);
  tox_file_send_chunk(t, f, file, pos, buf, len, NULL);
}
static void fb_recv(Tox *t, uint32_t f, uint32_t file, uint32_t kind, uint64_t size, const uint8_t *name, size_t name_len, void *u) {
  (void)kind; (void)size; (void)name; (void)name_len; (void)u;
  tox_file_control(t, f, file, TOX_FILE_CONTROL_RESUME, NULL);
}
static void fb_recv_chunk(Tox *t, uint32_t f, uint32_t file, uint64_t pos, const uint8_t *d, size_t len, void *u) {
  (void)t; (void)f; (void)file; (void)u;
  if (len == 0) { fb_done = 1; return; }
  for (size_t i = 0; i < len; i += 97) if (d[i] != fb_byte(pos + i)) fb_bad = 1;
  fb_received += len;
}

/* Files in peer mode: "sendfile <bytes>" sends a pattern file to friend 0 with c-toxcore's file
 * transfer; a file offered to us is accepted, and when it ends we print
 * FILE <bytes> <ms since accepted> <complete 0|1> <pattern ok 0|1>. */
static uint64_t pf_accepted_at = 0, pf_expected = 0;
static void pf_recv(Tox *t, uint32_t f, uint32_t file, uint32_t kind, uint64_t size, const uint8_t *name, size_t name_len, void *u) {
  fb_received = 0; fb_done = 0; fb_bad = 0; pf_expected = size; peer_file_active = 1;
  pf_accepted_at = now_ms();
  fb_recv(t, f, file, kind, size, name, name_len, u);
}
static void pf_recv_chunk(Tox *t, uint32_t f, uint32_t file, uint64_t pos, const uint8_t *d, size_t len, void *u) {
  fb_recv_chunk(t, f, file, pos, d, len, u);
  if (fb_done) {
    peer_file_active = 0;
    printf("FILE %llu %llu %d %d\n", (unsigned long long)fb_received, (unsigned long long)(now_ms() - pf_accepted_at), fb_received == pf_expected, !fb_bad);
    fflush(stdout);
  }
}
static void pf_recv_control(Tox *t, uint32_t f, uint32_t file, Tox_File_Control c, void *u) {
  (void)t; (void)f; (void)file; (void)u;
  if (c == TOX_FILE_CONTROL_CANCEL) peer_file_active = 0;
}
static void pf_chunk_request(Tox *t, uint32_t f, uint32_t file, uint64_t pos, size_t len, void *u) {
  if (len == 0) peer_file_active = 0; /* the receiver has it all */
  fb_chunk_request(t, f, file, pos, len, u);
}
static void peer_files(Tox *t) {
  tox_callback_file_chunk_request(t, pf_chunk_request);
  tox_callback_file_recv(t, pf_recv);
  tox_callback_file_recv_chunk(t, pf_recv_chunk);
  tox_callback_file_recv_control(t, pf_recv_control);
}
static void peer_sendfile(Tox *t, uint64_t size) {
  const uint8_t name[] = "bench.bin";
  Tox_Err_File_Send err;
  tox_file_send(t, 0, TOX_FILE_KIND_DATA, size, NULL, name, sizeof name - 1, &err);
  peer_file_active = 1;
  printf("SENDING %d\n", err);
}

static int filebench(uint64_t size, int seconds) {
  Tox *a = new_tox(), *b = new_tox();
  tox_callback_file_chunk_request(a, fb_chunk_request);
  tox_callback_file_recv(b, fb_recv);
  tox_callback_file_recv_chunk(b, fb_recv_chunk);
  if (connect_pair(a, b)) return 1;
  uint64_t start;
  fb_size = size;
  const uint8_t name[] = "bench.bin";
  Tox_Err_File_Send err;
  tox_file_send(a, 0, TOX_FILE_KIND_DATA, size, NULL, name, sizeof name - 1, &err);
  if (err != TOX_ERR_FILE_SEND_OK) return printf("ERR file_send %d\n", err), 1;
  start = now_ms();
  while (!fb_done && now_ms() < start + (uint64_t)seconds * 1000) {
    tox_iterate(a, NULL);
    tox_iterate(b, NULL);
    if (tox_iteration_interval(a) > 1) usleep(500);
  }
  printf("FILE %llu %llu %d %d\n", (unsigned long long)fb_received, (unsigned long long)(now_ms() - start), fb_done && fb_received == fb_size, !fb_bad);
  tox_kill(a);
  tox_kill(b);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 2 && !strcmp(argv[1], "bench")) return bench(argc >= 3 ? atoi(argv[2]) : 10);
  if (argc >= 2 && !strcmp(argv[1], "peer")) return peer(argc >= 3 ? atoi(argv[2]) : 300);
  if (argc >= 3 && !strcmp(argv[1], "filebench")) return filebench(strtoull(argv[2], NULL, 10), argc >= 4 ? atoi(argv[3]) : 120);
  fprintf(stderr, "usage: toxpeer peer [seconds] | toxpeer bench [seconds] | toxpeer filebench <bytes> [seconds]\n");
  return 2;
}
