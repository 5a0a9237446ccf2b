/* The translator's intermediate representation: what one guest basic block
 * does, as a list of simple operations on a few virtual registers, with no
 * trace of the host's instruction set (translate/backend_x64.c turns it
 * into x86-64; another backend could read the same list).
 *
 * Virtual registers (v0 .. v(IR_VREGS-1)) live within one guest
 * instruction: every guest register, RIP and the lazy flags are in the
 * struct x86_cpu, loaded and stored around each instruction (IR_LDS /
 * IR_STS with a byte offset into the struct), so at every guest
 * instruction boundary the struct is the whole truth.  Values in virtual
 * registers are zero-extended to 64 bits unless an op says otherwise.
 *
 * Flags: an arithmetic op (lf != LF_NONE) sets "the flags" as the guest
 * operation would; IR_SETCC and IR_BRCOND read the flags of the last such
 * op if nothing in between changed them, and the backend decides how (host
 * flags, or the lazy record through a helper).  IR_LAZY writes the lazy
 * record (cpu->lazy, cpu/flags.h) that the interpreter and x86_get_rflags
 * read.
 *
 * Every op names the guest instruction it belongs to (gi), so the backend
 * knows its RIP when a memory access leaves the fast path (precise faults)
 * or the instruction runs on the interpreter. */
#ifndef GLASS_TRANSLATE_IR_H
#define GLASS_TRANSLATE_IR_H

#include <stdint.h>

#define IR_VREGS 4
#define IR_NOREG (-1)

enum ir_opcode {
    IR_MOVI,        /* d = imm */
    IR_MOV,         /* d = a */
    IR_LDS,         /* d = size bytes of the CPU state at byte offset imm */
    IR_STS,         /* size bytes of the CPU state at offset imm = a */
    IR_STSI,        /* size bytes of the CPU state at offset imm = imm2 */
    /* d = a op b (b IR_NOREG: imm) at `size` bytes; flags as lf says */
    IR_ADD, IR_SUB, IR_AND, IR_OR, IR_XOR,
    IR_NEG, IR_NOT, IR_INC, IR_DEC,     /* d = op a at size */
    IR_SHL, IR_SHR, IR_SAR,             /* d = a shifted by imm (nonzero) at size */
    IR_IMUL,        /* d = low size bytes of a * b (signed); flags: CF = OF = overflow */
    IR_UDIV,        /* size 4, 8: d = (b:a) / c and b = (b:a) % c, unsigned; when
                       c == 0 or the quotient does not fit (b >= c), guest
                       instruction gi runs on the interpreter instead (#DE).
                       Flags: none (undefined for the guest, kept by glass) */
    IR_ZEXT,        /* d = a truncated to size */
    IR_SEXT,        /* d = a sign-extended from size bytes */
    IR_ADDR,        /* d = a + b * scale + imm, truncated to size (4, 8); a, b may be NOREG */
    IR_LOAD,        /* d = size bytes of guest memory at offset a in segment seg */
    IR_STORE,       /* size bytes of guest memory at offset a in seg = b */
    IR_LAZY,        /* lazy flags {op lf, size, res a, src1 b|imm, src2 c|imm2} */
    IR_FOLDCF,      /* before INC/DEC: put the current CF into rflags; lf = the
                       last lazy op recorded in this block, LF_NONE if unknown */
    IR_SETCC,       /* d = condition cc of the flags ? 1 : 0 */
    IR_SELECT,      /* d = c != 0 ? b : a */
    IR_CHECK_CANON, /* a must be a canonical address, else the instruction
                       runs on the interpreter (which raises #GP) */
    IR_CHECK_SMC,   /* a store may have changed this block's code: if so,
                       leave with RIP = imm (a, if not NOREG) */
    IR_INSN,        /* run guest instruction gi on the interpreter; go on if
                       it fell through and the code is unchanged, else leave;
                       flags: IRF_ENDS: always leave afterwards */
    /* Block ends. */
    IR_GOTO,        /* RIP = imm */
    IR_BRCOND,      /* RIP = condition cc ? imm : imm2 */
    IR_GOTO_IND,    /* RIP = a */
    IR_EXIT,        /* back to the dispatcher; RIP is already set */
};

/* Op flags. */
#define IRF_RMW  1u  /* IR_LOAD of a read-modify-write: check write access */
#define IRF_ENDS 2u  /* IR_INSN: the instruction may change the mode */

struct ir_op {
    uint8_t op;         /* enum ir_opcode */
    uint8_t size;       /* 1, 2, 4, 8 */
    uint8_t lf;         /* enum lazy_op the op's flags correspond to, or LF_NONE */
    uint8_t cc;         /* condition code 0-15 */
    uint8_t seg;        /* enum x86_sreg of a memory access */
    uint8_t scale;
    uint8_t flags;      /* IRF_* */
    int8_t d, a, b, c;  /* virtual registers or IR_NOREG */
    uint16_t gi;        /* guest instruction index in the block */
    uint64_t imm, imm2;
};

#define IR_MAX_OPS 2048

struct ir_block {
    struct ir_op op[IR_MAX_OPS];
    int n;
    int overflow;       /* too many ops: translate fewer instructions */
};

/* ir_opt.c: drop the IR_LAZY records a later one overwrites unseen. */
void ir_drop_dead_lazy(struct ir_block *ir);
/* Can op (a block end, a memory access, a call to C...) read or expose
 * the lazy record?  The ops that cannot are pure register arithmetic. */
int ir_reads_lazy(int op);

/* "ADD", "LOAD", ... and one op as text, for the debugger and tests. */
const char *ir_opcode_name(int op);
int ir_format(const struct ir_op *o, char *buf, unsigned len);

#endif
