# examples/fuzzports/fuzzports.mk - the device-fuzzing guest of issue 3
# (examples/fuzzports/kernel.c says what it does and what it leaves out).
# Included by the top Makefile after examples/examples.mk, whose EX_
# variables and pattern rules it uses; it reuses the protected example's
# entry.asm (multiboot header, GDT load, exception stubs) and link.ld.
# Produces, in $(BUILD)/examples/:
#     fuzzports.elf  multiboot ELF32 kernel
# On its own:
#     make -f examples/examples.mk -f examples/fuzzports/fuzzports.mk \
#         BUILD=build examples

EX_FUZZPORTS_OBJS := $(EX_OBJ)/32/protected/entry.o \
	$(EX_OBJ)/32/fuzzports/kernel.o $(EX_COMMON32)

$(EX_OUT)/fuzzports.elf: $(EX_FUZZPORTS_OBJS) $(EX_SRC)/protected/link.ld
	$(EX_LD) -m elf_i386 $(EX_LDFLAGS) -T $(EX_SRC)/protected/link.ld \
		-o $@ $(EX_FUZZPORTS_OBJS)

EXAMPLES_IMAGES += $(EX_OUT)/fuzzports.elf
examples: $(EX_OUT)/fuzzports.elf
