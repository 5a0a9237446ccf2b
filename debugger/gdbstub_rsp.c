/* The GDB Remote Serial Protocol's framing: see gdbstub_rsp.h. */
#include "debugger/gdbstub_rsp.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

void rsp_init(struct rsp_conn *c, int fd)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
}

uint8_t rsp_checksum(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum;
}

/* The next byte from the socket, or -1 at EOF or an error. */
static int next_byte(struct rsp_conn *c)
{
    if (c->in_pos == c->in_len) {
        /* Wait in slices, so that glass ending (a signal) is noticed. */
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        int r;
        while ((r = poll(&p, 1, 200)) <= 0) {
            if (c->abort_flag && *c->abort_flag)
                return -1;
            if (r < 0 && errno != EINTR)
                return -1;
        }
        ssize_t n;
        do {
            n = read(c->fd, c->in, sizeof(c->in));
        } while (n < 0 && errno == EINTR);
        if (n <= 0)
            return -1;
        c->in_len = (size_t)n;
        c->in_pos = 0;
    }
    return c->in[c->in_pos++];
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int hex_digit(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int rsp_read_packet(struct rsp_conn *c, char *buf, size_t cap)
{
    for (;;) {
        int ch = next_byte(c);
        if (ch < 0)
            return RSP_EOF;
        if (ch == 0x03)
            return RSP_INTERRUPT;
        if (ch != '$')
            continue;                   /* acks, noise between packets */
        size_t len = 0;
        bool overflow = false;
        while ((ch = next_byte(c)) >= 0 && ch != '#') {
            if (len + 1 < cap)
                buf[len++] = (char)ch;
            else
                overflow = true;
        }
        if (ch < 0)
            return RSP_EOF;
        int hi = hex_digit(next_byte(c)), lo = hex_digit(next_byte(c));
        buf[len] = '\0';
        bool good = hi >= 0 && lo >= 0 && !overflow &&
                    rsp_checksum(buf, len) == (uint8_t)(hi << 4 | lo);
        if (c->noack && !overflow)
            return (int)len;
        if (write_all(c->fd, good ? "+" : "-", 1) < 0)
            return RSP_EOF;
        if (good)
            return (int)len;
    }
}

int rsp_send_packet(struct rsp_conn *c, const char *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    uint8_t sum = rsp_checksum(data, len);
    char tail[3] = { '#', digits[sum >> 4], digits[sum & 15] };

    for (int tries = 0; tries < 10; tries++) {
        if (write_all(c->fd, "$", 1) < 0 || write_all(c->fd, data, len) < 0 ||
            write_all(c->fd, tail, 3) < 0)
            return -1;
        if (c->noack)
            return 0;
        int ch;
        while ((ch = next_byte(c)) >= 0 && ch != '+' && ch != '-')
            ;                           /* (a 0x03 here is lost: gdb resends) */
        if (ch < 0)
            return -1;
        if (ch == '+')
            return 0;
    }
    return -1;
}

int rsp_send_str(struct rsp_conn *c, const char *s)
{
    return rsp_send_packet(c, s, strlen(s));
}

static bool needs_escape(uint8_t b)
{
    return b == '#' || b == '$' || b == '}' || b == '*';
}

size_t rsp_escape(const uint8_t *in, size_t len, char *out, size_t cap, size_t *used)
{
    size_t o = 0, i = 0;
    for (; i < len; i++) {
        if (needs_escape(in[i])) {
            if (o + 2 > cap)
                break;
            out[o++] = '}';
            out[o++] = (char)(in[i] ^ 0x20);
        } else {
            if (o + 1 > cap)
                break;
            out[o++] = (char)in[i];
        }
    }
    *used = i;
    return o;
}

size_t rsp_unescape(uint8_t *buf, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '}' && i + 1 < len)
            buf[o++] = buf[++i] ^ 0x20;
        else
            buf[o++] = buf[i];
    }
    return o;
}

void rsp_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

int rsp_hex_decode(const char *in, size_t len, uint8_t *out)
{
    if (len % 2)
        return -1;
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_digit(in[i]), lo = hex_digit(in[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return (int)(len / 2);
}

int rsp_parse_hex(const char **p, uint64_t *value)
{
    const char *s = *p;
    uint64_t v = 0;
    int d, n = 0;
    while ((d = hex_digit((unsigned char)*s)) >= 0) {
        v = v << 4 | (uint64_t)d;
        s++;
        n++;
    }
    if (!n)
        return -1;
    *p = s;
    *value = v;
    return 0;
}
