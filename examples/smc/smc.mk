# examples/smc/smc.mk - the self-modifying-code example (kernel.c says what
# it checks).  Included by the top Makefile after examples/examples.mk,
# whose EX_ variables and pattern rules it uses.  Produces, in
# $(BUILD)/examples/:
#     smc.elf        multiboot ELF32 kernel
#     smc.elf.disk   its data disk (-drive file=@IMAGE@.disk in qemu.args):
#                    two sectors of code the kernel loads by IDE PIO

EX_SMC_OBJS := $(EX_OBJ)/32/smc/entry.o $(EX_OBJ)/32/smc/kernel.o $(EX_COMMON32)

$(EX_OUT)/smc.elf: $(EX_SMC_OBJS) $(EX_SRC)/smc/link.ld $(EX_OUT)/smc.elf.disk
	$(EX_LD) -m elf_i386 $(EX_LDFLAGS) -T $(EX_SRC)/smc/link.ld -o $@ $(EX_SMC_OBJS)

$(EX_OUT)/smc.elf.disk: $(EX_SRC)/smc/disk.asm
	@mkdir -p $(dir $@)
	$(EX_NASM) -f bin -o $@ $<

EXAMPLES_IMAGES += $(EX_OUT)/smc.elf
examples: $(EX_OUT)/smc.elf
