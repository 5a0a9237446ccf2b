/* The gdb remote stub (debugger/gdbstub.h): a socket, the packets gdb
 * sends, and run control through the debugger core (debugger/debugger.h).
 *
 * While the guest runs (dbg_continue), a small thread polls the socket: a
 * byte from gdb (its Ctrl-C, 0x03) or a closed connection, or a new client
 * on the listening socket, calls dbg_interrupt(), which is all it does; the
 * packets themselves are read by the main thread once the guest stopped.
 *
 * Register views follow the guest's mode when gdb reads target.xml; gdb
 * keeps that description for the whole connection, so the 'g' packet keeps
 * its layout too (never "Remote 'g' packet reply is too long") and a mode
 * switch is announced on gdb's console with what to do (docs/gdb.md). */
#include "debugger/gdbstub.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cpu/x86_cpu.h"
#include "debugger/debugger.h"
#include "debugger/gdbstub_monitor.h"
#include "debugger/gdbstub_regs.h"
#include "debugger/gdbstub_rsp.h"
#include "debugger/session.h"
#include "machine/board.h"
#include "machine/options.h"

/* A breakpoint or watchpoint gdb asked for (Z0..Z4), and the debugger
 * core's id for it. */
struct gdb_point {
    int type;               /* 0 sw break, 1 hw break, 2 write, 3 read, 4 access watch */
    uint64_t addr, len;
    int dbg_id;             /* 0 = free */
};

enum serve_end { SERVE_DETACHED, SERVE_CLOSED, SERVE_KILLED, SERVE_EXITED };

struct gdbstub {
    struct dbg_session sess;        /* the REPL's session: `monitor CMD` runs its commands */
    struct debugger *dbg;           /* &sess.d */
    struct machine *m;
    const struct options *opt;
    int listen_fd;
    struct rsp_conn conn;
    enum gdb_arch arch;             /* the description gdb holds */
    enum gdb_arch told;             /* the mode last announced */
    char last_stop[64];             /* the reply to '?' */
    int exit_status;
    struct gdb_point pts[DBG_MAX_BREAKPOINTS + DBG_MAX_WATCHPOINTS];
    char pkt[RSP_PACKET_SIZE + 1];
    char reply[2 * RSP_PACKET_SIZE + 64];
};

static int send_reply(struct gdbstub *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int send_reply(struct gdbstub *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->reply, sizeof(s->reply), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(s->reply))
        return rsp_send_str(&s->conn, "E01");
    return rsp_send_packet(&s->conn, s->reply, (size_t)n);
}

/* Text on gdb's console: 'O' packets of up to CONSOLE_CHUNK bytes each
 * (only while gdb waits for a stop reply or a qRcmd answer). */
#define CONSOLE_CHUNK 1024
static void console_n(struct gdbstub *s, const char *text, size_t len)
{
    char buf[2 * CONSOLE_CHUNK + 2] = "O";
    while (len) {
        size_t n = len < CONSOLE_CHUNK ? len : CONSOLE_CHUNK;
        rsp_hex_encode((const uint8_t *)text, n, buf + 1);
        rsp_send_str(&s->conn, buf);
        text += n;
        len -= n;
    }
}

static void console(struct gdbstub *s, const char *text)
{
    console_n(s, text, strlen(text));
}

static const char *mode_name(enum gdb_arch a)
{
    return a == GDB_I8086 ? "16-bit code" : a == GDB_I386 ? "32-bit code" : "64-bit code";
}

/* ---- running the guest while watching a socket ------------------------- */

struct watcher {
    struct debugger *dbg;
    int fd;
    int wake[2];
};

static void *watch_socket(void *arg)
{
    struct watcher *w = arg;
    struct pollfd p[2] = { { .fd = w->fd, .events = POLLIN }, { .fd = w->wake[0], .events = POLLIN } };
    for (;;) {
        int r = poll(p, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || p[1].revents)
            return NULL;
        if (p[0].revents) {
            dbg_interrupt(w->dbg);
            return NULL;
        }
    }
}

/* Step once or continue, stopping early when fd has something to read. */
static void run_watching(struct gdbstub *s, int fd, bool step, struct dbg_stop *why)
{
    struct watcher w = { .dbg = s->dbg, .fd = fd };
    pthread_t thread;
    bool threaded = false;
    if (!step && pipe(w.wake) == 0) {
        threaded = pthread_create(&thread, NULL, watch_socket, &w) == 0;
        if (!threaded) {
            close(w.wake[0]);
            close(w.wake[1]);
        }
    }
    if (step)
        dbg_stepi(s->dbg, 1, why);
    else
        dbg_continue(s->dbg, why);
    if (threaded) {
        ssize_t ignored = write(w.wake[1], "x", 1);
        (void)ignored;
        pthread_join(thread, NULL);
        close(w.wake[0]);
        close(w.wake[1]);
    }
    s->dbg->interrupt = 0;   /* a Ctrl-C that raced with another stop */
}

/* ---- breakpoints and watchpoints --------------------------------------- */

static struct gdb_point *find_point(struct gdbstub *s, int type, uint64_t addr, uint64_t len)
{
    for (size_t i = 0; i < sizeof(s->pts) / sizeof(s->pts[0]); i++) {
        struct gdb_point *p = &s->pts[i];
        if (p->dbg_id && p->type == type && p->addr == addr && (type < 2 || p->len == len))
            return p;
    }
    return NULL;
}

static const char *insert_point(struct gdbstub *s, int type, uint64_t addr, uint64_t len)
{
    if (find_point(s, type, addr, len))
        return "OK";
    struct gdb_point *slot = find_point(s, type, addr, len);
    for (size_t i = 0; !slot && i < sizeof(s->pts) / sizeof(s->pts[0]); i++)
        if (!s->pts[i].dbg_id)
            slot = &s->pts[i];
    if (!slot)
        return "E28";                   /* ENOSPC */
    int id;
    if (type <= 1) {
        struct dbg_breakpoint bp = { .kind = BK_LINEAR, .value = addr, .enabled = true,
                                     .from_gdb = true };
        id = dbg_break_add(s->dbg, &bp);
    } else {
        static const enum dbg_watch_access access[] = { WATCH_WRITE, WATCH_READ, WATCH_ACCESS };
        struct dbg_watchpoint wp = { .start = addr, .len = len, .access = access[type - 2],
                                     .enabled = true, .from_gdb = true };
        id = dbg_watch_add(s->dbg, &wp);
    }
    if (id <= 0)
        return "E28";
    *slot = (struct gdb_point){ .type = type, .addr = addr, .len = len, .dbg_id = id };
    return "OK";
}

static const char *remove_point(struct gdbstub *s, int type, uint64_t addr, uint64_t len)
{
    struct gdb_point *p = find_point(s, type, addr, len);
    if (p) {
        dbg_delete(s->dbg, p->dbg_id);
        p->dbg_id = 0;
    }
    return "OK";
}

static void remove_all_points(struct gdbstub *s)
{
    for (size_t i = 0; i < sizeof(s->pts) / sizeof(s->pts[0]); i++) {
        if (s->pts[i].dbg_id)
            dbg_delete(s->dbg, s->pts[i].dbg_id);
        s->pts[i].dbg_id = 0;
    }
}

/* Z/z TYPE,ADDR,KIND */
static void handle_point(struct gdbstub *s, const char *p, bool insert)
{
    uint64_t type, addr, len;
    p++;
    if (rsp_parse_hex(&p, &type) < 0 || *p++ != ',' || rsp_parse_hex(&p, &addr) < 0 ||
        *p++ != ',' || rsp_parse_hex(&p, &len) < 0 || type > 4) {
        rsp_send_str(&s->conn, type > 4 ? "" : "E22");
        return;
    }
    rsp_send_str(&s->conn, insert ? insert_point(s, (int)type, addr, len)
                                  : remove_point(s, (int)type, addr, len));
}

/* ---- stops ------------------------------------------------------------ */

static struct gdb_point *point_by_id(struct gdbstub *s, int dbg_id)
{
    for (size_t i = 0; i < sizeof(s->pts) / sizeof(s->pts[0]); i++)
        if (s->pts[i].dbg_id && s->pts[i].dbg_id == dbg_id)
            return &s->pts[i];
    return NULL;
}

/* Tell gdb's user when the guest's mode no longer matches the description
 * gdb holds (once per change). */
static void announce_mode(struct gdbstub *s)
{
    enum gdb_arch now = gdb_arch_for_cpu(dbg_cpu(s->dbg));
    if (now == s->told)
        return;
    s->told = now;
    char text[512];
    if (now == s->arch) {
        snprintf(text, sizeof(text), "glass: the guest runs %s again, as gdb's description (%s) says.\n",
                 mode_name(now), gdb_arch_name(now));
    } else if ((now == GDB_AMD64) != (s->arch == GDB_AMD64)) {
        snprintf(text, sizeof(text),
                 "glass: the guest now runs %s; gdb holds the %s register layout, "
                 "so registers are shown %s. For the %s layout: disconnect, then "
                 "target remote again (glass stays stopped; docs/gdb.md).\n",
                 mode_name(now), gdb_arch_name(s->arch),
                 now == GDB_AMD64 ? "truncated to 32 bits" : "with 64-bit names",
                 gdb_arch_name(now));
    } else {
        snprintf(text, sizeof(text),
                 "glass: the guest now runs %s: `set architecture %s` to disassemble "
                 "its code (the registers are the same).\n",
                 mode_name(now), gdb_arch_name(now));
    }
    console(s, text);
}

/* Send the stop reply for why; true when the machine has ended. */
static bool report_stop(struct gdbstub *s, const struct dbg_stop *why)
{
    int tid = why->vcpu + 1;
    const char *kind = "";
    char extra[48] = "";
    int sig = 5;                        /* SIGTRAP */
    struct gdb_point *p;

    switch (why->reason) {
    case STOP_MACHINE_EXIT:
        s->exit_status = why->exit_status;
        send_reply(s, "W%02x", why->exit_status & 0xff);
        return true;
    case STOP_BREAKPOINT:   /* gdb's own (Z0/Z1), or one set by `monitor break` */
        p = point_by_id(s, why->bp_id);
        kind = !p ? "" : p->type == 1 ? "hwbreak:;" : "swbreak:;";
        break;
    case STOP_WATCHPOINT:
        p = point_by_id(s, why->wp_id);
        if (!p)
            break;          /* set by `monitor watch`: gdb does not know it */
        snprintf(extra, sizeof(extra), "%s:%llx;",
                 p->type == 2 ? "watch" : p->type == 3 ? "rwatch" : "awatch",
                 (unsigned long long)why->addr);
        kind = extra;
        break;
    case STOP_INTERRUPTED:
        sig = 2;                        /* SIGINT */
        break;
    case STOP_HALTED:
        console(s, "glass: the vCPU halted with nothing to wake it (HLT, interrupts off).\n");
        break;
    case STOP_ERROR:
        console(s, "glass: the accelerator stopped with an error: ");
        console(s, why->exit.error.message ? why->exit.error.message : "unknown");
        console(s, "\n");
        break;
    case STOP_STEP_DONE:
        break;
    }
    announce_mode(s);
    snprintf(s->last_stop, sizeof(s->last_stop), "T%02xthread:%x;%s", sig, tid, kind);
    rsp_send_str(&s->conn, s->last_stop);
    return false;
}

/* c, s, vCont: run and report.  true when the machine has ended. */
static bool resume(struct gdbstub *s, bool step)
{
    struct dbg_stop why;
    /* A Ctrl-C already read with the resume packet. */
    if (memchr(s->conn.in + s->conn.in_pos, 0x03, s->conn.in_len - s->conn.in_pos))
        dbg_interrupt(s->dbg);
    run_watching(s, s->conn.fd, step, &why);
    return report_stop(s, &why);
}

/* vCont;ACTION[:TID];... : a step anywhere in the list steps (the other
 * vCPUs wait: glass steps one vCPU at a time); else continue. */
static bool handle_vcont(struct gdbstub *s, const char *p)
{
    bool step = false;
    for (p += 5; *p == ';'; ) {
        p++;
        if (*p == 's' || *p == 'S') {
            step = true;
            const char *colon = strchr(p, ':'), *semi = strchr(p, ';');
            uint64_t tid;
            if (colon && (!semi || colon < semi)) {
                const char *t = colon + 1;
                if (rsp_parse_hex(&t, &tid) == 0 && tid >= 1 && (int)tid <= s->m->nvcpus)
                    s->dbg->cur_vcpu = (int)tid - 1;
            }
        }
        p = strchr(p, ';');
        if (!p)
            break;
    }
    return resume(s, step);
}

/* ---- registers and memory --------------------------------------------- */

static void handle_g(struct gdbstub *s)
{
    uint8_t regs[GDB_REGS_MAX_BYTES];
    size_t n = gdb_regs_pack(s->arch, dbg_cpu(s->dbg), regs);
    rsp_hex_encode(regs, n, s->reply);
    rsp_send_str(&s->conn, s->reply);
}

static void handle_G(struct gdbstub *s, const char *p, size_t len)
{
    uint8_t regs[GDB_REGS_MAX_BYTES];
    int n = len - 1 <= 2 * sizeof(regs) ? rsp_hex_decode(p + 1, len - 1, regs) : -1;
    if (n < 0 || gdb_regs_unpack(s->arch, dbg_cpu(s->dbg), regs, (size_t)n) < 0) {
        rsp_send_str(&s->conn, "E22");
        return;
    }
    dbg_cpu_changed(s->dbg);
    rsp_send_str(&s->conn, "OK");
}

static void handle_p(struct gdbstub *s, const char *p)
{
    uint64_t regno;
    uint8_t val[16];
    p++;
    int n = rsp_parse_hex(&p, &regno) == 0 && regno < 1000
            ? gdb_reg_get(s->arch, dbg_cpu(s->dbg), (int)regno, val) : -1;
    if (n < 0) {
        rsp_send_str(&s->conn, "E45");
        return;
    }
    rsp_hex_encode(val, (size_t)n, s->reply);
    rsp_send_str(&s->conn, s->reply);
}

static void handle_P(struct gdbstub *s, const char *p)
{
    uint64_t regno;
    uint8_t val[16];
    p++;
    if (rsp_parse_hex(&p, &regno) < 0 || *p++ != '=' || strlen(p) > 2 * sizeof(val)) {
        rsp_send_str(&s->conn, "E22");
        return;
    }
    int n = rsp_hex_decode(p, strlen(p), val);
    if (n < 0 || regno >= 1000 ||
        gdb_reg_set(s->arch, dbg_cpu(s->dbg), (int)regno, val, (size_t)n) < 0) {
        rsp_send_str(&s->conn, "E22");
        return;
    }
    dbg_cpu_changed(s->dbg);
    rsp_send_str(&s->conn, "OK");
}

/* m ADDR,LEN: linear addresses, through the guest's page tables. */
static void handle_m(struct gdbstub *s, const char *p)
{
    uint64_t addr, len;
    uint8_t buf[RSP_PACKET_SIZE / 2];
    p++;
    if (rsp_parse_hex(&p, &addr) < 0 || *p++ != ',' || rsp_parse_hex(&p, &len) < 0) {
        rsp_send_str(&s->conn, "E22");
        return;
    }
    if (len > sizeof(buf) - 8)
        len = sizeof(buf) - 8;
    long n = dbg_read_linear(s->dbg, addr, buf, len);
    if (n <= 0 && len) {
        rsp_send_str(&s->conn, "E14");      /* EFAULT: nothing mapped there */
        return;
    }
    rsp_hex_encode(buf, n > 0 ? (size_t)n : 0, s->reply);
    rsp_send_str(&s->conn, s->reply);
}

/* M ADDR,LEN:HEX and X ADDR,LEN:BINARY */
static void handle_write(struct gdbstub *s, char *p, size_t plen, bool binary)
{
    uint64_t addr, len;
    const char *q = p + 1;
    if (rsp_parse_hex(&q, &addr) < 0 || *q++ != ',' || rsp_parse_hex(&q, &len) < 0 ||
        *q++ != ':') {
        rsp_send_str(&s->conn, "E22");
        return;
    }
    uint8_t *data = (uint8_t *)p + (q - p);
    size_t dlen = plen - (size_t)(q - p);
    long n;
    if (binary) {
        dlen = rsp_unescape(data, dlen);
    } else {
        n = rsp_hex_decode((const char *)data, dlen, data);
        dlen = n < 0 ? 0 : (size_t)n;
    }
    if (dlen != len) {
        rsp_send_str(&s->conn, "E22");
        return;
    }
    n = len ? dbg_write_linear(s->dbg, addr, data, len) : 0;
    rsp_send_str(&s->conn, n == (long)len ? "OK" : "E14");
}

/* ---- queries ---------------------------------------------------------- */

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static void handle_xfer_features(struct gdbstub *s, const char *p)
{
    const char *annex = p + strlen("qXfer:features:read:");
    const char *colon = strchr(annex, ':');
    uint64_t off, len;
    if (!colon || (size_t)(colon - annex) != strlen("target.xml") ||
        strncmp(annex, "target.xml", 10)) {
        rsp_send_str(&s->conn, "E00");
        return;
    }
    p = colon + 1;
    if (rsp_parse_hex(&p, &off) < 0 || *p++ != ',' || rsp_parse_hex(&p, &len) < 0) {
        rsp_send_str(&s->conn, "E22");
        return;
    }
    if (off == 0) {     /* gdb (re)reads the description: follow the guest's mode */
        s->arch = gdb_arch_for_cpu(dbg_cpu(s->dbg));
        s->told = s->arch;
    }
    const char *xml = gdb_target_xml(s->arch);
    size_t total = strlen(xml);
    if (off >= total) {
        rsp_send_str(&s->conn, "l");
        return;
    }
    if (len > RSP_PACKET_SIZE - 8)
        len = RSP_PACKET_SIZE - 8;
    size_t used;
    size_t n = rsp_escape((const uint8_t *)xml + off, total - off, s->reply + 1, len, &used);
    s->reply[0] = off + used < total ? 'm' : 'l';
    rsp_send_packet(&s->conn, s->reply, n + 1);
}

/* monitor CMD (qRcmd,HEX): the stub's own `mode` and `step-irq`, else any
 * REPL command (debugger/gdbstub_monitor.c); its output as 'O' packets. */
static void handle_monitor(struct gdbstub *s, const char *p)
{
    char cmd[1024];
    const char *hex = p + strlen("qRcmd,");
    size_t hlen = strlen(hex);
    int n = hlen < 2 * sizeof(cmd) ? rsp_hex_decode(hex, hlen, (uint8_t *)cmd) : -1;
    if (n < 0) {
        rsp_send_str(&s->conn, "E22");
        return;
    }
    cmd[n] = '\0';
    char out[512];
    struct x86_cpu *cpu = dbg_cpu(s->dbg);
    if (!strcmp(cmd, "step-irq on") || !strcmp(cmd, "step-irq off")) {
        s->dbg->step_irqs_masked = !strcmp(cmd, "step-irq off");
        snprintf(out, sizeof(out), "stepping %s interrupts\n",
                 s->dbg->step_irqs_masked ? "with masked" : "takes");
    } else if (!strcmp(cmd, "step-irq")) {
        snprintf(out, sizeof(out), "step-irq is %s\n", s->dbg->step_irqs_masked ? "off" : "on");
    } else if (!strcmp(cmd, "mode")) {
        snprintf(out, sizeof(out),
                 "vCPU %d: %s, %d-bit code, CS:IP %04x:%llx (linear %llx); gdb's description: %s\n",
                 s->dbg->cur_vcpu, dbg_cpu_mode_name(cpu), x86_code_bits(cpu),
                 cpu->seg[S_CS].selector, (unsigned long long)cpu->rip,
                 (unsigned long long)(x86_code64(cpu) ? cpu->rip : cpu->seg[S_CS].base + cpu->rip),
                 gdb_arch_name(s->arch));
    } else {
        if (!strcmp(cmd, "help") || !*cmd)
            console(s, "glass monitor: the debugger's commands below, but not the ones that run\n"
                       "the guest or select a vCPU (gdb's continue, stepi, thread N do that)\n"
                       "nor trace; and the stub's own:\n"
                       "  mode              the vCPU's mode and the register view gdb has\n"
                       "  step-irq on|off   deliver interrupts while stepping (default off)\n");
        char *text;
        size_t len;
        gdb_monitor_run(&s->sess, *cmd ? cmd : "help", &text, &len);
        if (text)
            console_n(s, text, len);
        free(text);
        rsp_send_str(&s->conn, "OK");
        return;
    }
    console(s, out);
    rsp_send_str(&s->conn, "OK");
}

static void handle_thread_info(struct gdbstub *s)
{
    size_t len = 0;
    for (int i = 0; i < s->m->nvcpus; i++)
        len += (size_t)snprintf(s->reply + len, sizeof(s->reply) - len, "%c%x", i ? ',' : 'm', i + 1);
    rsp_send_packet(&s->conn, s->reply, len);
}

static void handle_extra_info(struct gdbstub *s, const char *p)
{
    uint64_t tid;
    p += strlen("qThreadExtraInfo,");
    if (rsp_parse_hex(&p, &tid) < 0 || tid < 1 || (int)tid > s->m->nvcpus) {
        rsp_send_str(&s->conn, "E22");
        return;
    }
    char text[64];
    snprintf(text, sizeof(text), "vCPU %d, %s", (int)tid - 1,
             dbg_cpu_mode_name(dbg_vcpu_cpu(s->dbg, (int)tid - 1)));
    rsp_hex_encode((const uint8_t *)text, strlen(text), s->reply);
    rsp_send_str(&s->conn, s->reply);
}

/* H{g,c}TID: which vCPU later packets act on (0 and -1: any). */
static void handle_H(struct gdbstub *s, const char *p)
{
    if (p[2] != '-' && p[2] != '0') {
        const char *t = p + 2;
        uint64_t tid;
        if (rsp_parse_hex(&t, &tid) < 0 || tid < 1 || tid > 0x10000 ||
            dbg_select_vcpu(s->dbg, (int)tid - 1) < 0) {
            rsp_send_str(&s->conn, "E22");
            return;
        }
    }
    rsp_send_str(&s->conn, "OK");
}

static bool starts(const char *p, const char *prefix)
{
    return !strncmp(p, prefix, strlen(prefix));
}

/* One packet; returns -1 to go on serving, else how serving ends. */
static int handle_packet(struct gdbstub *s, char *p, size_t len)
{
    switch (p[0]) {
    case '?': rsp_send_str(&s->conn, s->last_stop); return -1;
    case 'g': handle_g(s); return -1;
    case 'G': handle_G(s, p, len); return -1;
    case 'p': handle_p(s, p); return -1;
    case 'P': handle_P(s, p); return -1;
    case 'm': handle_m(s, p); return -1;
    case 'M': handle_write(s, p, len, false); return -1;
    case 'X': handle_write(s, p, len, true); return -1;
    case 'Z': handle_point(s, p, true); return -1;
    case 'z': handle_point(s, p, false); return -1;
    case 'H': handle_H(s, p); return -1;
    case 'T': rsp_send_str(&s->conn, "OK"); return -1;
    case 'c': case 's': {
        uint64_t addr;
        const char *a = p + 1;
        if (rsp_parse_hex(&a, &addr) == 0) {
            uint8_t pc[8];
            int n = gdb_reg_get(s->arch, dbg_cpu(s->dbg), s->arch == GDB_AMD64 ? 16 : 8, pc);
            memcpy(pc, &addr, (size_t)n);
            gdb_reg_set(s->arch, dbg_cpu(s->dbg), s->arch == GDB_AMD64 ? 16 : 8, pc, (size_t)n);
            dbg_cpu_changed(s->dbg);
        }
        return resume(s, p[0] == 's') ? SERVE_EXITED : -1;
    }
    case 'D':
        remove_all_points(s);
        rsp_send_str(&s->conn, "OK");
        return SERVE_DETACHED;
    case 'k':
        return SERVE_KILLED;
    }
    if (starts(p, "vCont?")) {
        rsp_send_str(&s->conn, "vCont;c;C;s;S");
    } else if (starts(p, "vCont;")) {
        return handle_vcont(s, p) ? SERVE_EXITED : -1;
    } else if (starts(p, "vKill")) {
        rsp_send_str(&s->conn, "OK");
        return SERVE_KILLED;
    } else if (starts(p, "qSupported")) {
        send_reply(s, "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;"
                   "QStartNoAckMode+;vContSupported+", RSP_PACKET_SIZE);
    } else if (starts(p, "QStartNoAckMode")) {
        rsp_send_str(&s->conn, "OK");
        s->conn.noack = true;
    } else if (starts(p, "qXfer:features:read:")) {
        handle_xfer_features(s, p);
    } else if (starts(p, "qAttached")) {
        rsp_send_str(&s->conn, "1");    /* quitting gdb detaches, as from QEMU */
    } else if (starts(p, "qC")) {
        send_reply(s, "QC%x", s->dbg->cur_vcpu + 1);
    } else if (starts(p, "qfThreadInfo")) {
        handle_thread_info(s);
    } else if (starts(p, "qsThreadInfo")) {
        rsp_send_str(&s->conn, "l");
    } else if (starts(p, "qThreadExtraInfo,")) {
        handle_extra_info(s, p);
    } else if (starts(p, "qOffsets")) {
        rsp_send_str(&s->conn, "Text=0;Data=0;Bss=0");
    } else if (starts(p, "qSymbol")) {
        rsp_send_str(&s->conn, "OK");
    } else if (starts(p, "qRcmd,")) {
        handle_monitor(s, p);
    } else {
        rsp_send_str(&s->conn, "");     /* not supported */
    }
    return -1;
}

/* Serve one connected gdb until it goes. */
static enum serve_end serve(struct gdbstub *s, int fd)
{
    rsp_init(&s->conn, fd);
    s->conn.abort_flag = &s->m->stop;
    s->arch = gdb_arch_for_cpu(dbg_cpu(s->dbg));
    s->told = s->arch;
    for (;;) {
        int n = rsp_read_packet(&s->conn, s->pkt, sizeof(s->pkt));
        if (n == RSP_EOF)
            return SERVE_CLOSED;
        if (n == RSP_INTERRUPT)
            continue;                   /* already stopped */
        int end = handle_packet(s, s->pkt, (size_t)n);
        if (end >= 0)
            return (enum serve_end)end;
    }
}

/* ---- the socket -------------------------------------------------------- */

static int open_listener(const char *host, uint16_t port)
{
    char service[8];
    snprintf(service, sizeof(service), "%u", port);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE }, *res;
    int err = getaddrinfo(host, service, &hints, &res);
    if (err) {
        fprintf(stderr, "glass: -gdb: cannot resolve '%s': %s\n", host, gai_strerror(err));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
        errno = err;
    }
    freeaddrinfo(res);
    if (fd < 0)
        fprintf(stderr, "glass: -gdb: cannot listen on %s:%u: %s\n", host, port, strerror(errno));
    return fd;
}

/* The next gdb, or -1 when glass is told to end (a signal) meanwhile. */
static int accept_client(struct gdbstub *s)
{
    struct pollfd p = { .fd = s->listen_fd, .events = POLLIN };
    int fd, r;
    while ((r = poll(&p, 1, 200)) <= 0) {
        if (s->m->stop)
            return -1;
        if (r < 0 && errno != EINTR)
            return -1;
    }
    do {
        fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

/* Let the guest run until it ends (true, status in s) or a gdb connects. */
static bool run_until_client(struct gdbstub *s)
{
    for (;;) {
        struct dbg_stop why;
        run_watching(s, s->listen_fd, false, &why);
        switch (why.reason) {
        case STOP_MACHINE_EXIT:
            s->exit_status = why.exit_status;
            return true;
        case STOP_ERROR:
            fprintf(stderr, "glass: %s\n", why.exit.error.message ? why.exit.error.message
                                                                  : "accelerator error");
            s->exit_status = 1;
            return true;
        case STOP_INTERRUPTED:
            snprintf(s->last_stop, sizeof(s->last_stop), "T02thread:%x;", why.vcpu + 1);
            return false;
        case STOP_HALTED: {
            /* Nothing will wake it: wait for gdb (or a signal ending glass). */
            struct pollfd p = { .fd = s->listen_fd, .events = POLLIN };
            if (poll(&p, 1, 100) > 0)
                return false;
            if (s->m->stop) {
                s->exit_status = s->m->exit_status;
                return true;
            }
            break;
        }
        default:
            break;                      /* a stop nobody asked for: go on */
        }
    }
}

int gdbstub_main(struct machine *m, const struct options *opt)
{
    struct gdbstub *s = calloc(1, sizeof(*s));
    if (!s)
        return 1;
    dbg_session_init(&s->sess, m, opt, NULL);    /* symbols of -kernel, quietly */
    s->dbg = &s->sess.d;
    s->m = m;
    s->opt = opt;
    const char *host = opt->gdb_host ? opt->gdb_host : "127.0.0.1";
    s->listen_fd = open_listener(host, opt->gdb_port);
    if (s->listen_fd < 0) {
        dbg_session_free(&s->sess);
        free(s);
        return 1;
    }
    fprintf(stderr, "glass: waiting for gdb on %s:%u (target remote %s:%u)%s\n", host,
            opt->gdb_port, host, opt->gdb_port, opt->start_stopped ? "" : "; the guest runs meanwhile");
    snprintf(s->last_stop, sizeof(s->last_stop), "T05thread:%x;", s->dbg->cur_vcpu + 1);

    bool ended = !opt->start_stopped && run_until_client(s);
    while (!ended) {
        int fd = accept_client(s);
        if (fd < 0 && s->m->stop) {
            s->exit_status = s->m->exit_status;
            break;
        }
        if (fd < 0) {
            fprintf(stderr, "glass: gdb stub: accept: %s\n", strerror(errno));
            s->exit_status = 1;
            break;
        }
        enum serve_end end = serve(s, fd);
        close(fd);
        switch (end) {
        case SERVE_KILLED:
            s->exit_status = 0;
            ended = true;
            break;
        case SERVE_EXITED:
            ended = true;
            break;
        case SERVE_DETACHED:
            ended = run_until_client(s);
            break;
        case SERVE_CLOSED:
            /* Stay stopped: gdb may come back (`disconnect` + `target
             * remote` re-reads the description) and re-inserts its
             * breakpoints then. */
            remove_all_points(s);
            break;
        }
    }
    close(s->listen_fd);
    int status = s->exit_status;
    dbg_session_free(&s->sess);
    free(s);
    return status;
}
