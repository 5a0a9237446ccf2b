/* The glass side of the differential test: a CPU in long mode at CPL 3,
 * with the same pages at the same addresses as the native runner. */
#ifndef GLASS_TESTS_DIFF_INTERP_SIDE_H
#define GLASS_TESTS_DIFF_INTERP_SIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/diff/diff.h"

struct interp_side;

/* NULL with a message on failure. */
struct interp_side *interp_side_create(void);
void interp_side_destroy(struct interp_side *s);
enum diff_path {
    DIFF_PATH_STEP,     /* interp_step(): decoded afresh, fault in cpu->pending */
    DIFF_PATH_RUN,      /* interp_run(), 1 instruction: block cache, IDT delivery */
    DIFF_PATH_BT,       /* bt_run(): a translated block, IDT delivery */
    DIFF_NPATHS
};

/* Run case c on glass by `path`; the outcome in r. */
void interp_side_run(struct interp_side *s, const struct diff_case *c, struct diff_result *r,
                     enum diff_path path);
/* Create the translator for DIFF_PATH_BT (and install the code hook that
 * keeps its blocks right).  0, or -1 with a message. */
int interp_side_bt_start(struct interp_side *s);
/* Instructions the translator ran natively, through the interpreter's
 * handlers (IR_INSN) and on the interpreter itself, so far. */
void interp_side_bt_info(struct interp_side *s, uint64_t *native, uint64_t *helper, uint64_t *interp);

#endif
