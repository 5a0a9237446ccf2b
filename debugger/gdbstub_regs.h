/* The gdb stub's register views: which target description gdb gets for the
 * guest's mode, and how struct x86_cpu packs into gdb's 'g' packet for it.
 *
 *   GDB_I8086  16-bit code (real mode, virtual-8086, a 16-bit code
 *              segment): architecture "i8086" with the i386 registers, so
 *              gdb disassembles 16-bit code;
 *   GDB_I386   32-bit code (protected or compatibility mode): "i386";
 *   GDB_AMD64  64-bit mode (CS.L = 1): "i386:x86-64", with fs_base/gs_base;
 *              compatibility mode gets GDB_I386, as its code is 32-bit.
 *
 * i8086 and i386 share one packet layout; only the architecture differs.
 * Outside 64-bit mode the PC (eip) gdb sees is the LINEAR address
 * CS.base + EIP, so breakpoints, `x/i $pc` and symbols work in real mode
 * (docs/gdb.md). */
#ifndef GLASS_DEBUGGER_GDBSTUB_REGS_H
#define GLASS_DEBUGGER_GDBSTUB_REGS_H

#include <stddef.h>
#include <stdint.h>

struct x86_cpu;

enum gdb_arch { GDB_I8086, GDB_I386, GDB_AMD64 };

#define GDB_REGS_MAX_BYTES 1024     /* the largest 'g' packet, in bytes */

/* The view that matches the CPU's current mode. */
enum gdb_arch gdb_arch_for_cpu(const struct x86_cpu *cpu);
const char *gdb_arch_name(enum gdb_arch a);          /* "i8086", ... */

/* The target description (target.xml), NUL-terminated, static storage. */
const char *gdb_target_xml(enum gdb_arch a);

/* The number of registers and the size of a 'g' packet for the view. */
int gdb_reg_count(enum gdb_arch a);
size_t gdb_regs_size(enum gdb_arch a);

/* One register (gdb's number in the view) into buf, little-endian:
 * its size in bytes, or -1 for no such register. */
int gdb_reg_get(enum gdb_arch a, struct x86_cpu *cpu, int regno, uint8_t *buf);
/* Set one register from len bytes: 0, or -1 (no such register, bad size). */
int gdb_reg_set(enum gdb_arch a, struct x86_cpu *cpu, int regno,
                const uint8_t *buf, size_t len);

/* Every register, in order: the 'g' reply's bytes; returns the size. */
size_t gdb_regs_pack(enum gdb_arch a, struct x86_cpu *cpu, uint8_t *buf);
/* A 'G' packet's bytes: 0, or -1 when len is not the view's size. */
int gdb_regs_unpack(enum gdb_arch a, struct x86_cpu *cpu, const uint8_t *buf, size_t len);

#endif
