# examples/examples.mk - build rules for the example guests.
#
# Included from the top-level Makefile, which defines BUILD; on its own:
#     make -f examples/examples.mk BUILD=build-examples examples
#
# Produces, in $(BUILD)/examples/:
#     bootsector.img   raw disk image, one 512-byte boot sector
#     protected.elf    multiboot ELF32 kernel
#     longmode.bin     multiboot flat binary (a.out kludge), 64-bit inside
#     cpuheavy.elf     multiboot ELF32 kernel, the 32-bit benchmark
#     cpuheavy64.bin   multiboot flat binary, the 64-bit benchmark
#
# Tools: nasm, gcc (-m32 and -m64, i.e. gcc-multilib), ld, objcopy.

BUILD ?= build

# Included early in a Makefile, this file must not steal its default goal.
ex_saved_default_goal := $(.DEFAULT_GOAL)

EX_SRC := examples
EX_OUT := $(BUILD)/examples
EX_OBJ := $(EX_OUT)/obj

EXAMPLES_IMAGES := \
	$(EX_OUT)/bootsector.img \
	$(EX_OUT)/protected.elf \
	$(EX_OUT)/longmode.bin \
	$(EX_OUT)/cpuheavy.elf \
	$(EX_OUT)/cpuheavy64.bin

EX_NASM ?= nasm
EX_CC ?= gcc
EX_LD ?= ld
EX_OBJCOPY ?= objcopy

# Freestanding kernels: no libc, no libgcc, no PIC, no stack protector, no
# CET ENDBR instructions, and no SSE/x87 (-mgeneral-regs-only), so the
# guests need only integer instructions.  -march is pinned so that every
# host's gcc emits the same instruction set.  -fno-tree-loop-distribute-
# patterns stops gcc from turning our own memset/strlen loops into calls
# to themselves.
EX_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror \
	-ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector \
	-fcf-protection=none -mgeneral-regs-only \
	-fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
	-I$(EX_SRC)/common
EX_CFLAGS32 := $(EX_CFLAGS) -m32 -march=i686 -mtune=generic
EX_CFLAGS64 := $(EX_CFLAGS) -m64 -march=x86-64 -mtune=generic \
	-mno-red-zone -mcmodel=small

# ld >= 2.39 warns about RWX segments; our kernels have one on purpose.
EX_LD_NOWARN := $(shell $(EX_LD) --help 2>/dev/null | grep -q -- --no-warn-rwx-segments && echo --no-warn-rwx-segments)
EX_LDFLAGS := -nostdlib -z noexecstack -z max-page-size=0x1000 --build-id=none $(EX_LD_NOWARN)

EX_COMMON_C := $(EX_SRC)/common/uart.c $(EX_SRC)/common/string.c \
	$(EX_SRC)/common/udiv64.c
EX_COMMON_H := $(wildcard $(EX_SRC)/common/*.h)

.PHONY: examples
examples: $(EXAMPLES_IMAGES)

# ---- C and assembly, 32-bit and 64-bit ------------------------------------
# Objects go to obj/32/ or obj/64/ after the source's path, so one source
# (common/uart.c) can be built both ways.

$(EX_OBJ)/32/%.o: $(EX_SRC)/%.c $(EX_COMMON_H)
	@mkdir -p $(dir $@)
	$(EX_CC) $(EX_CFLAGS32) -c $< -o $@

$(EX_OBJ)/64/%.o: $(EX_SRC)/%.c $(EX_COMMON_H)
	@mkdir -p $(dir $@)
	$(EX_CC) $(EX_CFLAGS64) -c $< -o $@

$(EX_OBJ)/32/%.o: $(EX_SRC)/%.asm
	@mkdir -p $(dir $@)
	$(EX_NASM) -f elf32 -o $@ $<

$(EX_OBJ)/64/%.o: $(EX_SRC)/%.asm
	@mkdir -p $(dir $@)
	$(EX_NASM) -f elf64 -o $@ $<

EX_COMMON32 := $(patsubst $(EX_SRC)/%.c,$(EX_OBJ)/32/%.o,$(EX_COMMON_C))
EX_COMMON64 := $(patsubst $(EX_SRC)/%.c,$(EX_OBJ)/64/%.o,$(EX_COMMON_C))

# ---- bootsector: one 512-byte sector ---------------------------------------

$(EX_OUT)/bootsector.img: $(EX_SRC)/bootsector/boot.asm
	@mkdir -p $(dir $@)
	$(EX_NASM) -f bin -o $@ $<

# ---- protected: ELF32 multiboot kernel --------------------------------------

EX_PROTECTED_OBJS := $(EX_OBJ)/32/protected/entry.o \
	$(EX_OBJ)/32/protected/kernel.o $(EX_COMMON32)

$(EX_OUT)/protected.elf: $(EX_PROTECTED_OBJS) $(EX_SRC)/protected/link.ld
	$(EX_LD) -m elf_i386 $(EX_LDFLAGS) -T $(EX_SRC)/protected/link.ld \
		-o $@ $(EX_PROTECTED_OBJS)

# ---- longmode: 64-bit, linked as ELF64, shipped as a flat binary ----------
# objcopy -O binary writes from the first section to the end of .data;
# the multiboot header's load_end_addr (__load_end) must be exactly there,
# or the loader would read past the end of the file: checked below.

EX_LONGMODE_OBJS := $(EX_OBJ)/64/longmode/entry.o \
	$(EX_OBJ)/64/longmode/kernel64.o $(EX_COMMON64)

# $(call ex_flat_binary,elf,bin): ELF64 -> flat binary, size-checked.
define ex_flat_binary
	$(EX_OBJCOPY) -O binary $(1) $(2)
	@want=$$(( 0x$$(nm $(1) | awk '$$3 == "__load_end" { print $$1 }') - 0x100000 )); \
	have=$$(wc -c < $(2)); \
	if [ "$$want" -ne "$$have" ]; then \
		echo "$(2): $$have bytes, but the multiboot header says $$want" >&2; \
		rm -f $(2); exit 1; \
	fi
endef

$(EX_OBJ)/longmode.elf: $(EX_LONGMODE_OBJS) $(EX_SRC)/longmode/link.ld
	$(EX_LD) -m elf_x86_64 $(EX_LDFLAGS) -T $(EX_SRC)/longmode/link.ld \
		-o $@ $(EX_LONGMODE_OBJS)

$(EX_OUT)/longmode.bin: $(EX_OBJ)/longmode.elf
	$(call ex_flat_binary,$<,$@)

# ---- cpuheavy: the benchmark, 32-bit ELF -----------------------------------

EX_CPUHEAVY_OBJS := $(EX_OBJ)/32/cpuheavy/entry.o \
	$(EX_OBJ)/32/cpuheavy/main.o $(EX_OBJ)/32/cpuheavy/workload.o \
	$(EX_COMMON32)

$(EX_OBJ)/32/cpuheavy/main.o $(EX_OBJ)/32/cpuheavy/workload.o \
$(EX_OBJ)/64/cpuheavy/main.o $(EX_OBJ)/64/cpuheavy/workload.o: \
	$(EX_SRC)/cpuheavy/workload.h

$(EX_OUT)/cpuheavy.elf: $(EX_CPUHEAVY_OBJS) $(EX_SRC)/protected/link.ld
	$(EX_LD) -m elf_i386 $(EX_LDFLAGS) -T $(EX_SRC)/protected/link.ld \
		-o $@ $(EX_CPUHEAVY_OBJS)

# ---- cpuheavy64: the same C in long mode, entered like longmode -----------

EX_CPUHEAVY64_OBJS := $(EX_OBJ)/64/longmode/entry.o \
	$(EX_OBJ)/64/cpuheavy/main.o $(EX_OBJ)/64/cpuheavy/workload.o \
	$(EX_COMMON64)

$(EX_OBJ)/cpuheavy64.elf: $(EX_CPUHEAVY64_OBJS) $(EX_SRC)/longmode/link.ld
	$(EX_LD) -m elf_x86_64 $(EX_LDFLAGS) -T $(EX_SRC)/longmode/link.ld \
		-o $@ $(EX_CPUHEAVY64_OBJS)

$(EX_OUT)/cpuheavy64.bin: $(EX_OBJ)/cpuheavy64.elf
	$(call ex_flat_binary,$<,$@)

.PHONY: examples-clean
examples-clean:
	rm -rf $(EX_OUT)

.DEFAULT_GOAL := $(ex_saved_default_goal)
