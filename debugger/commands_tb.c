/* The translator's views (docs/translator.md): `info tb [ADDR]` shows one
 * translated block three ways, guest code, IR and host code; `info
 * tbstats` what the translator has done.  Only while bt runs the guest. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/x86_cpu.h"
#include "debugger/disas.h"
#include "debugger/session.h"
#include "machine/board.h"
#include "translate/bt.h"

#define HOT_BLOCKS 10

/* The current vCPU's translator, or NULL after saying why not. */
static struct bt_vcpu *translator(struct dbg_session *s)
{
    struct machine *m = s->m;
    if (m->accel != &accel_bt || !m->vcpu[s->d.cur_vcpu].accel_state) {
        fprintf(s->out, "the translator is not running: accel bt\n");
        return NULL;
    }
    return m->vcpu[s->d.cur_vcpu].accel_state;
}

/* Guest instruction i of block b, disassembled; its length, or <= 0.  A
 * block's instructions all lie in its first one's page. */
static int guest_insn(struct dbg_session *s, const struct bt_block_info *b, int i, char *text,
                      size_t len)
{
    uint64_t rip = b->insn_rip[i];
    const uint8_t *code = b->guest_code + (int64_t)(rip - b->rip);
    size_t room = 4096 - (size_t)(rip & 4095);
    return disas_one((int)b->bits, code, room < 15 ? room : 15, rip, &s->syms, text, len);
}

struct ir_printer {
    struct dbg_session *s;
    const struct bt_block_info *b;
    int last_gi;
};

static void print_ir_line(void *opaque, int gi, const char *text)
{
    struct ir_printer *p = opaque;
    if (gi != p->last_gi) {
        /* the guest instruction the following ops come from */
        char insn[128] = "?";
        guest_insn(p->s, p->b, gi, insn, sizeof(insn));
        fprintf(p->s->out, "  ; [%d] %#" PRIx64 ": %s\n", gi, p->b->insn_rip[gi], insn);
        p->last_gi = gi;
    }
    fprintf(p->s->out, "      %s\n", text);
}

DBG_CMD(cmd_info_tb)
{
    (void)suffix;
    struct bt_vcpu *bt = translator(s);
    if (!bt)
        return -1;
    uint64_t rip = s->m->vcpu[s->d.cur_vcpu].cpu.rip;
    if (argc > 1) {
        char buf[256];
        if (dbg_eval_address(s, dbg_join(argc, argv, 1, buf, sizeof(buf)), &rip) < 0)
            return -1;
    }
    struct bt_block_info b;
    if (bt_block_lookup(bt, rip, &b) < 0) {
        fprintf(s->out, "no translated block at %#" PRIx64 " (not run yet, invalidated, or run "
                "on the interpreter: real mode, 16-bit code, non-flat segments)\n", rip);
        return -1;
    }
    fprintf(s->out, "block %#" PRIx64 " (guest-physical %#" PRIx64 "), %u-bit%s: %d instructions "
            "(%d native), %d guest bytes -> %zu host bytes at %#" PRIx64 ", entered %" PRIu64
            " times\n", b.rip, b.gpa, b.bits, b.user ? " CPL 3" : "", b.insns, b.native,
            b.guest_bytes, b.host_bytes, b.host_addr, b.execs);

    fprintf(s->out, "guest code:\n");
    for (int i = 0; i < b.insns; i++) {
        char text[128];
        int len = guest_insn(s, &b, i, text, sizeof(text));
        fprintf(s->out, "  %#" PRIx64 ": %s\n", b.insn_rip[i], text);
        if (len <= 0)
            break;
    }

    fprintf(s->out, "IR:\n");
    struct ir_printer p = { s, &b, -1 };
    bt_block_ir(bt, b.rip, print_ir_line, &p);

    fprintf(s->out, "host code (x86-64):\n");
    size_t off = 0;
    while (off < b.host_bytes) {
        char text[128];
        int len = disas_one(64, b.host_code + off, b.host_bytes - off, b.host_addr + off, NULL,
                            text, sizeof(text));
        fprintf(s->out, "  %#" PRIx64 ": %s\n", b.host_addr + off, text);
        off += len > 0 ? (size_t)len : 1;
    }
    return 0;
}

DBG_CMD(cmd_info_tbstats)
{
    (void)argc;
    (void)argv;
    (void)suffix;
    struct bt_vcpu *bt = translator(s);
    if (!bt)
        return -1;
    struct bt_info in;
    uint64_t valid, size;
    bt_get_info(bt, &in);
    bt_cache_usage(bt, &valid, &size);
    uint64_t insns = s->m->vcpu[s->d.cur_vcpu].cpu.insn_count;
    fprintf(s->out, "blocks: %" PRIu64 " translated, %" PRIu64 " valid now, %" PRIu64
            " invalidated (guest code written, or translated again)\n", in.blocks, valid, in.invalidations);
    fprintf(s->out, "code cache: %" PRIu64 " of %" PRIu64 " KiB used (%.1f%%), %" PRIu64
            " flushes\n", in.code_bytes / 1024, size / 1024,
            size ? 100.0 * (double)in.code_bytes / (double)size : 0.0, in.flushes);
    fprintf(s->out, "chain links patched: %" PRIu64 ", dispatcher entries: %" PRIu64 "\n",
            in.links, in.dispatches);
    fprintf(s->out, "instructions translated: %" PRIu64 " native, %" PRIu64 " through the "
            "interpreter's handlers; %" PRIu64 " run on the interpreter; %" PRIu64 " retired in "
            "all\n", in.native_insns, in.helper_insns, in.interp_insns, insns);
    fprintf(s->out, "exceptions and INT n raised by instructions and delivered: %" PRIu64 "\n",
            s->m->vcpu[s->d.cur_vcpu].cpu.fault_count);
    struct bt_block_info hot[HOT_BLOCKS];
    int n = bt_hot_blocks(bt, hot, HOT_BLOCKS);
    fprintf(s->out, "hottest blocks (entries, RIP, instructions, first instruction):\n");
    for (int i = 0; i < n; i++) {
        char text[128];
        disas_one((int)hot[i].bits, hot[i].guest_code, (size_t)hot[i].guest_bytes, hot[i].rip,
                  &s->syms, text, sizeof(text));
        fprintf(s->out, "  %12" PRIu64 "  %#" PRIx64 "  %2d  %s\n", hot[i].execs, hot[i].rip,
                hot[i].insns, text);
    }
    return 0;
}
