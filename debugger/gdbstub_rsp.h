/* The GDB Remote Serial Protocol's framing ("$data#cs", acks, escapes),
 * over one connected socket.  Used by the gdb stub (debugger/gdbstub.c);
 * pure enough to be tested over a socketpair (tests/unit/test_gdbstub.c).
 * Reference: the GDB manual, appendix E "GDB Remote Serial Protocol". */
#ifndef GLASS_DEBUGGER_GDBSTUB_RSP_H
#define GLASS_DEBUGGER_GDBSTUB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSP_PACKET_SIZE 0x4000      /* what qSupported announces (PacketSize) */

/* rsp_read_packet results besides a length. */
#define RSP_EOF (-1)                /* the peer closed the connection */
#define RSP_INTERRUPT (-2)          /* a bare 0x03 byte (gdb's Ctrl-C) */

struct rsp_conn {
    int fd;
    bool noack;                     /* after QStartNoAckMode */
    volatile int *abort_flag;       /* when set nonzero, reads give up (RSP_EOF) */
    uint8_t in[4096];
    size_t in_len, in_pos;
};

void rsp_init(struct rsp_conn *c, int fd);

/* The modulo-256 sum of the bytes. */
uint8_t rsp_checksum(const void *data, size_t len);

/* Read one packet's payload (still escaped, NUL-terminated) into buf;
 * acknowledges it ('+', or '-' and reads again on a bad checksum unless in
 * no-ack mode).  Returns its length, RSP_EOF or RSP_INTERRUPT. */
int rsp_read_packet(struct rsp_conn *c, char *buf, size_t cap);

/* Frame and send a payload as given (the caller escaped binary data), then
 * wait for gdb's '+' unless in no-ack mode (resending on '-').  0 or -1. */
int rsp_send_packet(struct rsp_conn *c, const char *data, size_t len);
int rsp_send_str(struct rsp_conn *c, const char *s);

/* Binary data as the protocol carries it: '#', '$', '}' and '*' become
 * '}' then the byte XOR 0x20, so a reply never holds a run-length marker.
 * Returns the bytes written to out (at most cap), *used = input consumed. */
size_t rsp_escape(const uint8_t *in, size_t len, char *out, size_t cap, size_t *used);
/* The reverse, in place; returns the new length. */
size_t rsp_unescape(uint8_t *buf, size_t len);

/* Hex helpers: two lower-case digits a byte. */
void rsp_hex_encode(const uint8_t *in, size_t len, char *out);   /* writes 2*len + NUL */
int rsp_hex_decode(const char *in, size_t len, uint8_t *out);    /* bytes, or -1 */
/* A hex number at *p, moved past it: -1 when there are no digits. */
int rsp_parse_hex(const char **p, uint64_t *value);

#endif
