/* What the debugger sees of the translator (translate/bt.h, `info tb`,
 * `info tbstats`): blocks by RIP, their IR (rebuilt by the frontend from
 * the decoded instructions the block keeps) and the hottest blocks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "translate/bt.h"
#include "translate/bt_internal.h"

static void fill(const struct bt_vcpu *bt, const struct bt_block *b, struct bt_block_info *o)
{
    *o = (struct bt_block_info){
        .rip = b->rip, .gpa = (b->gpa & ~(uint64_t)(BT_PAGE - 1)) | (b->rip & (BT_PAGE - 1)),
        .bits = b->mode & BT_MODE_BITS, .insn_rip = b->insn_rip,
        .user = !!(b->mode & BT_MODE_USER), .insns = b->n, .native = b->native,
        .guest_bytes = b->bytes, .execs = b->execs, .guest_code = b->host,
        .host_code = bt->code.rw + b->entry_off, .host_bytes = b->code_bytes,
        .host_addr = b->entry,
    };
}

static const struct bt_block *find(const struct bt_vcpu *bt, uint64_t rip)
{
    const struct bt_block *inside = NULL;
    for (const struct bt_block *b = bt->all; b; b = b->all_next) {
        if (!b->valid)
            continue;
        if (b->rip == rip)
            return b;
        for (int i = 1; i < b->n && !inside; i++)
            if (b->insn_rip[i] == rip)
                inside = b;
    }
    return inside;
}

int bt_block_lookup(struct bt_vcpu *bt, uint64_t rip, struct bt_block_info *out)
{
    const struct bt_block *b = find(bt, rip);
    if (!b)
        return -1;
    fill(bt, b, out);
    return 0;
}

int bt_block_ir(struct bt_vcpu *bt, uint64_t rip,
                void (*line)(void *opaque, int gi, const char *text), void *opaque)
{
    const struct bt_block *b = find(bt, rip);
    if (!b)
        return -1;
    struct ir_block *ir = malloc(sizeof(*ir));
    if (!ir)
        return -1;
    bt_frontend(ir, b->insn, b->insn_rip, b->n, b->mode);
    for (int i = 0; i < ir->n; i++) {
        char text[160];
        ir_format(&ir->op[i], text, sizeof(text));
        line(opaque, ir->op[i].gi, text);
    }
    free(ir);
    return 0;
}

int bt_hot_blocks(struct bt_vcpu *bt, struct bt_block_info *out, int n)
{
    int have = 0;
    for (const struct bt_block *b = bt->all; b; b = b->all_next) {
        if (!b->valid || !b->execs)
            continue;
        int i = have < n ? have++ : n;
        if (i == n && b->execs <= out[n - 1].execs)
            continue;
        if (i == n)
            i = n - 1;
        while (i > 0 && out[i - 1].execs < b->execs) {
            out[i] = out[i - 1];
            i--;
        }
        fill(bt, b, &out[i]);
    }
    return have;
}

void bt_cache_usage(struct bt_vcpu *bt, uint64_t *valid_blocks, uint64_t *cache_size)
{
    uint64_t v = 0;
    for (const struct bt_block *b = bt->all; b; b = b->all_next)
        v += b->valid;
    *valid_blocks = v;
    *cache_size = bt->code.size;
}

/* GLASS_BT_PERFMAP=1: each translated block as a line of the Linux perf
 * JIT map /tmp/perf-PID.map ("START SIZE NAME", hex), so samples of
 * `perf record` (or of any tool reading that file) name the guest code
 * they fell in: bt:RIP. */
void bt_perfmap_note(const struct bt_block *b)
{
    static FILE *map;
    static int state;   /* 0 unknown, 1 writing, -1 off */

    if (state == 0) {
        state = -1;
        if (getenv("GLASS_BT_PERFMAP")) {
            char path[64];
            snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
            map = fopen(path, "a");
            if (map)
                state = 1;
            else
                fprintf(stderr, "glass: bt: cannot write %s\n", path);
        }
    }
    if (state > 0) {
        fprintf(map, "%" PRIxPTR " %zx bt:%#" PRIx64 "\n", b->entry, b->code_bytes, b->rip);
        fflush(map);
    }
}
