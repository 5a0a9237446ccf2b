/* The gdb stub's pure parts: RSP framing (checksums, acks, escapes) over a
 * socketpair, register packing per view, target description selection. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cpu/x86_cpu.h"
#include "debugger/gdbstub_regs.h"
#include "debugger/gdbstub_rsp.h"

START_TEST(checksum_and_framing)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_uint_eq(rsp_checksum("OK", 2), 0x9a);
    struct rsp_conn c;
    rsp_init(&c, sv[0]);
    /* a bad checksum is NAKed, the good resend acked and returned */
    const char *in = "$g#00$g#67";
    ck_assert_int_eq(write(sv[1], in, strlen(in)), (int)strlen(in));
    char buf[64];
    ck_assert_int_eq(rsp_read_packet(&c, buf, sizeof(buf)), 1);
    ck_assert_str_eq(buf, "g");
    char acks[3] = { 0 };
    ck_assert_int_eq(read(sv[1], acks, 2), 2);
    ck_assert_str_eq(acks, "-+");
    /* 0x03 alone is an interrupt */
    ck_assert_int_eq(write(sv[1], "\x03", 1), 1);
    ck_assert_int_eq(rsp_read_packet(&c, buf, sizeof(buf)), RSP_INTERRUPT);
    /* sending: framed, waits for '+' */
    ck_assert_int_eq(write(sv[1], "+", 1), 1);
    ck_assert_int_eq(rsp_send_str(&c, "OK"), 0);
    char out[16] = { 0 };
    ck_assert_int_eq(read(sv[1], out, sizeof(out) - 1), 6);
    ck_assert_str_eq(out, "$OK#9a");
    close(sv[1]);
    ck_assert_int_eq(rsp_read_packet(&c, buf, sizeof(buf)), RSP_EOF);
    close(sv[0]);
}
END_TEST

START_TEST(escapes_never_leave_rle_markers)
{
    const uint8_t data[] = { 'a', '#', '$', '}', '*', 'b' };
    char out[32];
    size_t used;
    size_t n = rsp_escape(data, sizeof(data), out, sizeof(out), &used);
    ck_assert_uint_eq(used, sizeof(data));
    ck_assert_uint_eq(n, 10);
    ck_assert(memchr(out, '*', n) == NULL);
    ck_assert(memchr(out, '#', n) == NULL);
    uint8_t back[32];
    memcpy(back, out, n);
    ck_assert_uint_eq(rsp_unescape(back, n), sizeof(data));
    ck_assert_mem_eq(back, data, sizeof(data));
    /* a short buffer never splits an escape */
    n = rsp_escape(data, sizeof(data), out, 2, &used);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(used, 1);
    uint8_t bytes[2];
    char hex[5];
    rsp_hex_encode((const uint8_t *)"\x12\xab", 2, hex);
    ck_assert_str_eq(hex, "12ab");
    ck_assert_int_eq(rsp_hex_decode("12AB", 4, bytes), 2);
    ck_assert_uint_eq(bytes[1], 0xab);
    ck_assert_int_eq(rsp_hex_decode("1", 1, bytes), -1);
    const char *p = "1f,x";
    uint64_t v;
    ck_assert_int_eq(rsp_parse_hex(&p, &v), 0);
    ck_assert_uint_eq(v, 0x1f);
    ck_assert_str_eq(p, ",x");
}
END_TEST

static struct x86_cpu *real_mode_cpu(void)
{
    struct x86_cpu *cpu = calloc(1, sizeof(*cpu));
    cpu->seg[S_CS].selector = 0x07c0;
    cpu->seg[S_CS].base = 0x7c00;
    cpu->rip = 0x10;
    cpu->rflags = 0x2;
    cpu->gpr[R_RAX] = 0x1111222233334444ull;
    return cpu;
}

START_TEST(views_follow_the_mode)
{
    struct x86_cpu *cpu = real_mode_cpu();
    ck_assert_int_eq(gdb_arch_for_cpu(cpu), GDB_I8086);
    cpu->cr0 = CR0_PE;
    ck_assert_int_eq(gdb_arch_for_cpu(cpu), GDB_I8086);    /* CS.D = 0: 16-bit code */
    cpu->seg[S_CS].db = 1;
    ck_assert_int_eq(gdb_arch_for_cpu(cpu), GDB_I386);
    cpu->efer = EFER_LME | EFER_LMA;
    ck_assert_int_eq(gdb_arch_for_cpu(cpu), GDB_I386);     /* compatibility mode */
    cpu->seg[S_CS].db = 0;
    cpu->seg[S_CS].l = 1;
    ck_assert_int_eq(gdb_arch_for_cpu(cpu), GDB_AMD64);
    ck_assert(strstr(gdb_target_xml(GDB_I8086), "<architecture>i8086</architecture>"));
    ck_assert(strstr(gdb_target_xml(GDB_I386), "<architecture>i386</architecture>"));
    ck_assert(strstr(gdb_target_xml(GDB_AMD64), "<architecture>i386:x86-64</architecture>"));
    ck_assert(strstr(gdb_target_xml(GDB_AMD64), "name=\"fs_base\""));
    ck_assert(!strstr(gdb_target_xml(GDB_I386), "fs_base"));
    ck_assert(strstr(gdb_target_xml(GDB_I386), "org.gnu.gdb.i386.core"));
    /* gdb's own sizes: 16 gregs + x87 + 8 xmm + mxcsr, then glass's CRs */
    ck_assert_uint_eq(gdb_regs_size(GDB_I386), 308 + 4 * 4 + 8);
    ck_assert_uint_eq(gdb_regs_size(GDB_AMD64), 552 + 6 * 8);
    free(cpu);
}
END_TEST

START_TEST(real_mode_pc_is_linear)
{
    struct x86_cpu *cpu = real_mode_cpu();
    uint8_t regs[GDB_REGS_MAX_BYTES];
    size_t n = gdb_regs_pack(GDB_I8086, cpu, regs);
    ck_assert_uint_eq(n, gdb_regs_size(GDB_I8086));
    ck_assert_uint_eq(regs[0], 0x44);                       /* eax low byte first */
    ck_assert_uint_eq(regs[3], 0x33);
    uint32_t eip;
    memcpy(&eip, regs + 8 * 4, 4);
    ck_assert_uint_eq(eip, 0x7c10);                         /* CS.base + IP */
    uint32_t cs;
    memcpy(&cs, regs + 10 * 4, 4);
    ck_assert_uint_eq(cs, 0x07c0);
    /* writing the PC inside CS's 64 KiB keeps CS */
    uint8_t pc[4] = { 0x00, 0x7d, 0, 0 };
    ck_assert_int_eq(gdb_reg_set(GDB_I8086, cpu, 8, pc, 4), 0);
    ck_assert_uint_eq(cpu->seg[S_CS].selector, 0x07c0);
    ck_assert_uint_eq(cpu->rip, 0x100);
    /* a 32-bit register write keeps the upper half */
    uint8_t eax[4] = { 1, 0, 0, 0 };
    ck_assert_int_eq(gdb_reg_set(GDB_I8086, cpu, 0, eax, 4), 0);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 0x1111222200000001ull);
    ck_assert_int_eq(gdb_reg_set(GDB_I8086, cpu, 0, eax, 2), -1);   /* wrong size */
    ck_assert_int_eq(gdb_reg_get(GDB_I8086, cpu, 999, regs), -1);
    /* G round trip */
    n = gdb_regs_pack(GDB_I386, cpu, regs);
    ck_assert_int_eq(gdb_regs_unpack(GDB_I386, cpu, regs, n), 0);
    ck_assert_int_eq(gdb_regs_unpack(GDB_I386, cpu, regs, n - 1), -1);
    free(cpu);
}
END_TEST

START_TEST(long_mode_packing)
{
    struct x86_cpu *cpu = real_mode_cpu();
    cpu->cr0 = CR0_PE | CR0_PG;
    cpu->efer = EFER_LME | EFER_LMA;
    cpu->seg[S_CS].l = 1;
    cpu->seg[S_CS].base = 0;
    cpu->rip = 0xffffffff80001234ull;
    cpu->gpr[R_RBX] = 0xb;
    cpu->seg[S_FS].base = 0xabcdef;
    uint8_t regs[GDB_REGS_MAX_BYTES];
    gdb_regs_pack(GDB_AMD64, cpu, regs);
    uint64_t v;
    memcpy(&v, regs + 8, 8);                                /* rbx is gdb's second */
    ck_assert_uint_eq(v, 0xb);
    memcpy(&v, regs + 16 * 8, 8);
    ck_assert_uint_eq(v, 0xffffffff80001234ull);
    int fsb = 16 + 2 + 6 + 16 + 16 + 1;                     /* fs_base's number */
    ck_assert_int_eq(gdb_reg_get(GDB_AMD64, cpu, fsb, regs), 8);
    memcpy(&v, regs, 8);
    ck_assert_uint_eq(v, 0xabcdef);
    free(cpu);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gdbstub");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, checksum_and_framing);
    tcase_add_test(tc, escapes_never_leave_rle_markers);
    tcase_add_test(tc, views_follow_the_mode);
    tcase_add_test(tc, real_mode_pc_is_linear);
    tcase_add_test(tc, long_mode_packing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
