/* The glass side of the differential test: a CPU in long mode at CPL 3,
 * with the same pages at the same addresses as the native runner. */
#ifndef GLASS_TESTS_DIFF_INTERP_SIDE_H
#define GLASS_TESTS_DIFF_INTERP_SIDE_H

#include <stdbool.h>

#include "tests/diff/diff.h"

struct interp_side;

/* NULL with a message on failure. */
struct interp_side *interp_side_create(void);
void interp_side_destroy(struct interp_side *s);
/* Run case c on the interpreter; the outcome in r.  run: through
 * interp_run() (block cache, exception delivery), else interp_step(). */
void interp_side_run(struct interp_side *s, const struct diff_case *c, struct diff_result *r, bool run);

#endif
