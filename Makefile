# glass: build, run, test.  See README.md.
#   make run    install missing Debian packages, build, boot the example guest
#   make test   the same set-up, then every test, then again under ASan+UBSan
BUILD ?= build
CC ?= gcc
SAN ?= 0

DEB_PACKAGES := build-essential pkg-config libcapstone-dev libsdl2-dev \
    libreadline-dev check nasm gcc-multilib
PKGS := capstone readline check

OPT ?= -O2
ifeq ($(SAN),1)
  OPT := -O1
endif
WARN := -Wall -Wextra -Werror
CFLAGS_BASE := -std=gnu11 -g $(OPT) $(WARN) -D_GNU_SOURCE -I. -pthread \
    -fno-strict-aliasing
ifeq ($(SAN),1)
  CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer \
      -fno-sanitize-recover=undefined
  LDFLAGS_SAN := -fsanitize=address,undefined
endif
PKG_CFLAGS = $(shell pkg-config --cflags capstone 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs capstone readline 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)
CFLAGS := $(CFLAGS_BASE) $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS := $(PKG_LIBS) -lm $(LDFLAGS_SAN)

# Every .c in these directories is part of glass; machine/main.c has main().
SRC_DIRS := cpu mem devices machine debugger translate vmx
LIB_SRC := $(filter-out machine/main.c,$(wildcard $(addsuffix /*.c,$(SRC_DIRS))))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
GLASS := $(if $(filter build,$(BUILD)),glass,$(BUILD)/glass)

.PHONY: all run test deps check-unit check-guest check-diff check-asan clean examples bench
all: $(GLASS) examples

-include examples/examples.mk
-include examples/smc/smc.mk
-include examples/fuzzports/fuzzports.mk
-include examples/teach/teach.mk
-include tests/diff/diff.mk

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(GLASS): $(BUILD)/machine/main.o $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

-include $(LIB_OBJ:.o=.d) $(BUILD)/machine/main.d

# Install what is missing (Debian), through sudo when not root.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

run: deps
	$(MAKE) all
	./glass -nographic -no-reboot -m 128 \
	    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	    -drive file=$(BUILD)/examples/bootsector.img,format=raw,index=0,media=disk; \
	  echo "(guest exit status $$?)"

check-unit: $(UNIT_BIN)
	@pass=0; fail=0; for t in $(UNIT_BIN); do \
	  if $$t; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAIL $$t"; fi; \
	done; echo "unit: $$pass passed, $$fail failed"; [ $$fail = 0 ]

check-guest: $(GLASS) examples teach
	BUILD=$(BUILD) bash tests/guest/run_examples.sh ./$(GLASS) interp bt
	BUILD=$(BUILD) bash tests/guest/run_teach.sh ./$(GLASS) interp bt
	sh tests/guest/bad_input.sh ./$(GLASS)
	BUILD=$(BUILD) bash tests/guest/run_debugger_scripts.sh ./$(GLASS)
	BUILD=$(BUILD) bash tests/guest/test_gdb.sh ./$(GLASS) interp
	BUILD=$(BUILD) bash tests/guest/test_gdb.sh ./$(GLASS) bt
	BUILD=$(BUILD) bash tests/guest/test_accel_switch.sh ./$(GLASS)
	BUILD=$(BUILD) bash tests/guest/run_kvm.sh ./$(GLASS)

# The whole suite for one build (BUILD, SAN).
check-all: check-unit check-guest check-diff

test: deps
	$(MAKE) check-all
	$(MAKE) BUILD=build-san SAN=1 check-all

# bench/run.sh's "host-native" row: the cpuheavy workload (and the guests'
# own string routines) compiled for the host with cpuheavy64's own flags
# (examples/examples.mk), linked as a non-PIE host program.
$(BUILD)/bench/cpuheavy-native: bench/cpuheavy_native.c \
    examples/cpuheavy/workload.c examples/cpuheavy/workload.h \
    examples/common/string.c examples/common/string.h examples/examples.mk
	@mkdir -p $(dir $@)
	$(EX_CC) $(filter-out -nostdlib,$(EX_CFLAGS64)) -c examples/cpuheavy/workload.c \
	    -o $@-workload.o
	$(EX_CC) $(filter-out -nostdlib,$(EX_CFLAGS64)) -c examples/common/string.c -o $@-string.o
	$(CC) -std=gnu11 -O2 $(WARN) -I. -no-pie -o $@ bench/cpuheavy_native.c \
	    $@-workload.o $@-string.o

bench: $(GLASS) examples teach $(BUILD)/bench/cpuheavy-native

clean:
	rm -rf build build-* glass
