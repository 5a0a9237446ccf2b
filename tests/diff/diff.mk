# The differential test (tests/diff/, README.md there): included by the top
# Makefile.
#   make check-diff   the CI run: a fixed seed, 400,000 instructions, 64-bit
#                     and 32-bit alternating (200,000 each)
#   make diff-long    millions: DIFF_SEED=... DIFF_COUNT=... to choose
#
# The native runner executes random instructions with signal handlers and
# every register (RSP too) set by the test: it is built without sanitizers,
# whatever SAN says; the test itself links the glass objects as usual.
DIFF_DIR := $(BUILD)/tests/diff
DIFF_TEST := $(DIFF_DIR)/diff-test
DIFF_RUNNER := $(DIFF_DIR)/diff-runner
DIFF_GEN_SRC := tests/diff/gen.c tests/diff/gen_operand.c tests/diff/gen_alu.c \
    tests/diff/gen_shift.c tests/diff/gen_bits.c tests/diff/gen_move.c \
    tests/diff/gen_stack.c tests/diff/gen_string.c tests/diff/gen_branch.c \
    tests/diff/gen_misc.c
DIFF_TEST_SRC := tests/diff/diff_main.c $(DIFF_GEN_SRC) tests/diff/native.c \
    tests/diff/interp_side.c tests/diff/compare.c
DIFF_RUNNER_SRC := tests/diff/runner.c tests/diff/runner_stub.S
DIFF_HDR := $(wildcard tests/diff/*.h)
DIFF_RUNNER_CFLAGS := -std=gnu11 -g -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I. -fno-sanitize=all
DIFF_SEED ?= 1
DIFF_COUNT ?= 5000000
DIFF_CI_SEED := 20240601
DIFF_CI_COUNT := 400000

.PHONY: check-diff diff-long

$(DIFF_RUNNER): $(DIFF_RUNNER_SRC) $(DIFF_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(DIFF_RUNNER_CFLAGS) -o $@ $(DIFF_RUNNER_SRC)

$(DIFF_TEST): $(DIFF_TEST_SRC) $(DIFF_HDR) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(DIFF_TEST_SRC) $(LIB_OBJ) $(LDLIBS)

check-diff: $(DIFF_TEST) $(DIFF_RUNNER)
	$(DIFF_TEST) --seed $(DIFF_CI_SEED) --count $(DIFF_CI_COUNT)

diff-long: $(DIFF_TEST) $(DIFF_RUNNER)
	$(DIFF_TEST) --seed $(DIFF_SEED) --count $(DIFF_COUNT) --show 50
