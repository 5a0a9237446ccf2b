# examples/teach/teach.mk - the teaching kernel (examples/teach/).
#
# Included from the top-level Makefile after examples/examples.mk (whose
# EX_* tools and flags it uses); on its own:
#     make -f examples/examples.mk -f examples/teach/teach.mk BUILD=build teach
#
# Produces, in $(BUILD)/examples/:
#     teach-kernel.img  the boot disk: boot sector + the kernel (flat binary)
#     teach-fs.img      the second disk: a 64 KiB teachfs with two files
# Run (see examples/teach/qemu.args, tests/guest/run_teach.sh):
#     qemu-system-i386 -serial mon:stdio -display none \
#       -drive file=teach-fs.img,index=1,media=disk,format=raw \
#       -drive file=teach-kernel.img,index=0,media=disk,format=raw -smp 2 -m 512

BUILD ?= build
teach_saved_default_goal := $(.DEFAULT_GOAL)

TEACH_SRC := examples/teach
TEACH_OUT := $(BUILD)/examples
TEACH_OBJ := $(BUILD)/examples/obj/teach

TEACH_IMAGES := $(TEACH_OUT)/teach-kernel.img $(TEACH_OUT)/teach-fs.img

# The same tools and flags as the other examples (examples.mk); defaults
# for when this file is used alone.
EX_NASM ?= nasm
EX_CC ?= gcc
EX_LD ?= ld
EX_OBJCOPY ?= objcopy
TEACH_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -m32 -march=i686 \
	-mtune=generic -ffreestanding -nostdlib -fno-pic -fno-pie \
	-fno-stack-protector -fcf-protection=none -mgeneral-regs-only \
	-fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables
TEACH_LDFLAGS := -m elf_i386 -nostdlib -z noexecstack -z max-page-size=0x1000 \
	--build-id=none $(shell $(EX_LD) --help 2>/dev/null | grep -q -- --no-warn-rwx-segments && echo --no-warn-rwx-segments)

TEACH_KOBJS := $(addprefix $(TEACH_OBJ)/,entry.o main.o console.o trap.o \
	proc.o disk.o smp.o input.o lib.o)

.PHONY: teach teach-clean
teach: $(TEACH_IMAGES)

$(TEACH_OBJ)/%.o: $(TEACH_SRC)/%.c $(TEACH_SRC)/kernel.h
	@mkdir -p $(dir $@)
	$(EX_CC) $(TEACH_CFLAGS) -c $< -o $@

# The user program: a flat binary at 0x40000000, carried inside the kernel.
$(TEACH_OBJ)/user.o: $(TEACH_SRC)/user/user.c $(TEACH_SRC)/user/ulib.h
	@mkdir -p $(dir $@)
	$(EX_CC) $(TEACH_CFLAGS) -c $< -o $@

$(TEACH_OBJ)/user.elf: $(TEACH_OBJ)/user.o $(TEACH_SRC)/user/user.ld
	$(EX_LD) $(TEACH_LDFLAGS) -T $(TEACH_SRC)/user/user.ld -o $@ $<

$(TEACH_OBJ)/user.bin: $(TEACH_OBJ)/user.elf
	$(EX_OBJCOPY) -O binary $< $@

$(TEACH_OBJ)/trampoline.bin: $(TEACH_SRC)/trampoline.asm
	@mkdir -p $(dir $@)
	$(EX_NASM) -f bin -o $@ $<

# entry.asm INCBINs trampoline.bin and user.bin from $(TEACH_OBJ).
$(TEACH_OBJ)/entry.o: $(TEACH_SRC)/entry.asm $(TEACH_OBJ)/trampoline.bin \
		$(TEACH_OBJ)/user.bin
	$(EX_NASM) -f elf32 -i $(TEACH_OBJ)/ -o $@ $<

$(TEACH_OBJ)/kernel.elf: $(TEACH_KOBJS) $(TEACH_SRC)/kernel.ld
	$(EX_LD) $(TEACH_LDFLAGS) -T $(TEACH_SRC)/kernel.ld -o $@ $(TEACH_KOBJS)

$(TEACH_OBJ)/kernel.bin: $(TEACH_OBJ)/kernel.elf
	$(EX_OBJCOPY) -O binary $< $@

# The boot sector learns the kernel's size in sectors at build time.
$(TEACH_OUT)/teach-kernel.img: $(TEACH_OBJ)/kernel.bin $(TEACH_SRC)/boot.asm
	sectors=$$(( ($$(wc -c < $<) + 511) / 512 )); \
	$(EX_NASM) -f bin -DKERNEL_SECTORS=$$sectors -o $(TEACH_OBJ)/boot.bin \
		$(TEACH_SRC)/boot.asm && \
	cat $(TEACH_OBJ)/boot.bin $< > $@.tmp && \
	truncate -s $$(( (sectors + 1) * 512 )) $@.tmp && mv $@.tmp $@

$(TEACH_OUT)/teach-fs.img: $(TEACH_SRC)/fs.asm $(wildcard $(TEACH_SRC)/fs/*)
	@mkdir -p $(dir $@)
	$(EX_NASM) -f bin -i $(TEACH_SRC)/fs/ -o $@ $<

teach-clean:
	rm -rf $(TEACH_OBJ) $(TEACH_IMAGES)

.DEFAULT_GOAL := $(teach_saved_default_goal)
