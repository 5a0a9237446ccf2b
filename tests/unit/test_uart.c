/* The 16550A, register by register (PC16550D datasheet). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/iobus.h"
#include "devices/uart16550.h"
#include "tests/unit/run_suite.h"

/* A host side: records what is transmitted, offers queued input. */
struct fake_line {
    uint8_t sent[64];
    int nsent;
    uint8_t input[64];
    int ninput, input_pos;
    int irq_level, irq_changes;
};

static void line_tx(void *opaque, uint8_t byte)
{
    struct fake_line *l = opaque;
    if (l->nsent < (int)sizeof(l->sent))
        l->sent[l->nsent++] = byte;
}

static int line_rx(void *opaque, uint8_t *byte)
{
    struct fake_line *l = opaque;
    if (l->input_pos >= l->ninput)
        return 0;
    *byte = l->input[l->input_pos++];
    return 1;
}

static void line_irq(void *opaque, int level)
{
    struct fake_line *l = opaque;
    l->irq_level = level;
    l->irq_changes++;
}

static struct uart16550 u;
static struct fake_line line;

static void setup(void)
{
    memset(&line, 0, sizeof(line));
    uart_init(&u, UART_COM1_BASE);
    uart_set_backend(&u, line_tx, line_rx, &line);
    uart_set_irq(&u, line_irq, &line);
}

static void queue_input(const char *s)
{
    size_t n = strlen(s);
    memcpy(line.input + line.ninput, s, n);
    line.ninput += (int)n;
}

START_TEST(reset_values)
{
    ck_assert_uint_eq(uart_read(&u, UART_IER), 0);
    ck_assert_uint_eq(uart_read(&u, UART_IIR), UART_IIR_NO_INT);
    ck_assert_uint_eq(uart_read(&u, UART_LCR), 0);
    ck_assert_uint_eq(uart_read(&u, UART_MCR), 0);
    ck_assert_uint_eq(uart_read(&u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    ck_assert_uint_eq(uart_read(&u, UART_MSR) & UART_MSR_DELTAS, 0);
    ck_assert_int_eq(line.irq_level, 0);
}
END_TEST

START_TEST(dlab_switches_offsets_0_and_1_to_the_divisor)
{
    uart_write(&u, UART_IER, 0x05);
    uart_write(&u, UART_LCR, UART_LCR_DLAB | 0x03);
    uart_write(&u, UART_DLL, 0x01);     /* 115200 baud */
    uart_write(&u, UART_DLM, 0x02);
    ck_assert_uint_eq(uart_read(&u, UART_DLL), 0x01);
    ck_assert_uint_eq(uart_read(&u, UART_DLM), 0x02);
    ck_assert_int_eq(line.nsent, 0);    /* a DLL write is not a transmit */
    uart_write(&u, UART_LCR, 0x03);
    ck_assert_uint_eq(uart_read(&u, UART_IER), 0x05);
    ck_assert_uint_eq(uart_read(&u, UART_LCR), 0x03);
    ck_assert_uint_eq(u.dll, 0x01);
    ck_assert_uint_eq(u.dlm, 0x02);
    /* IER keeps only its four defined bits. */
    uart_write(&u, UART_IER, 0xf0);
    ck_assert_uint_eq(uart_read(&u, UART_IER), 0);
}
END_TEST

START_TEST(thr_write_transmits_and_lsr_shows_empty)
{
    uart_write(&u, UART_THR, 'h');
    uart_write(&u, UART_THR, 'i');
    ck_assert_int_eq(line.nsent, 2);
    ck_assert_int_eq(memcmp(line.sent, "hi", 2), 0);
    uint8_t lsr = uart_read(&u, UART_LSR);
    ck_assert_uint_eq(lsr & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE | UART_LSR_TEMT);
    ck_assert_uint_eq(lsr & UART_LSR_DR, 0);
    ck_assert_uint_eq(u.tx_bytes, 2);
}
END_TEST

START_TEST(received_bytes_set_dr_until_read)
{
    queue_input("ok");
    ck_assert_uint_eq(uart_read(&u, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    ck_assert_uint_eq(uart_read(&u, UART_RBR), 'o');
    /* Without FIFOs the holding register is one byte: the next one is
     * pulled in after the first is read. */
    ck_assert_uint_eq(uart_read(&u, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    ck_assert_uint_eq(uart_read(&u, UART_RBR), 'k');
    ck_assert_uint_eq(uart_read(&u, UART_LSR) & UART_LSR_DR, 0);
    ck_assert_int_eq(u.rx_bytes, 2);
}
END_TEST

START_TEST(fifo_enable_bits_show_in_iir)
{
    uart_write(&u, UART_FCR, UART_FCR_ENABLE);
    ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0xc0, UART_IIR_FIFO_ENABLED);
    uart_write(&u, UART_FCR, 0);
    ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0xc0, 0);
    /* Other FCR bits are ignored while FCR0 is written as 0. */
    uart_write(&u, UART_FCR, 0xc8);
    ck_assert_uint_eq(u.fcr, 0);
}
END_TEST

START_TEST(fifo_holds_sixteen_and_rx_reset_clears_it)
{
    uart_write(&u, UART_FCR, UART_FCR_ENABLE);
    queue_input("abcdefghijklmnopqrst");    /* 20 bytes */
    uart_poll(&u);
    ck_assert_int_eq(u.rx_count, 16);       /* the rest wait on the host side */
    ck_assert_uint_eq(uart_read(&u, UART_LSR) & UART_LSR_OE, 0);
    ck_assert_uint_eq(uart_read(&u, UART_RBR), 'a');
    ck_assert_uint_eq(uart_read(&u, UART_RBR), 'b');
    line.input_pos = line.ninput;           /* no more host input */
    uart_write(&u, UART_FCR, UART_FCR_ENABLE | UART_FCR_RX_RESET);
    ck_assert_int_eq(u.rx_count, 0);
    ck_assert_uint_eq(uart_read(&u, UART_LSR) & UART_LSR_DR, 0);
}
END_TEST

START_TEST(iir_priorities_and_irq_line)
{
    uart_write(&u, UART_FCR, UART_FCR_ENABLE | 0x80); /* trigger level 8 */
    /* THRE: enabling ETBEI with THR empty interrupts at once. */
    uart_write(&u, UART_IER, UART_IER_ETBEI);
    ck_assert_int_eq(line.irq_level, 1);
    ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_THRE);
    /* Reading IIR with THRE as the source clears it. */
    ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_NO_INT);
    ck_assert_int_eq(line.irq_level, 0);
    /* A THR write re-arms it (transmission is instant). */
    uart_write(&u, UART_THR, 'x');
    ck_assert_int_eq(line.irq_level, 1);

    /* Received data beats THRE; below the trigger level it is a timeout. */
    uart_write(&u, UART_IER, UART_IER_ETBEI | UART_IER_ERBFI | UART_IER_ELSI | UART_IER_EDSSI);
    queue_input("abc");
    ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_TIMEOUT);
    queue_input("defgh");
    ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_RDA);

    /* An overrun (loopback into the full FIFO) is line status: highest. */
    uart_write(&u, UART_MCR, UART_MCR_LOOP);
    for (int i = 0; i < 10; i++)
        uart_write(&u, UART_THR, (uint8_t)('0' + i));
    ck_assert_int_eq(u.rx_count, 16);
    ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_RLS);
    ck_assert_uint_eq(uart_read(&u, UART_LSR) & UART_LSR_OE, UART_LSR_OE);
    /* Reading LSR cleared OE: back to received data. */
    ck_assert_uint_eq(uart_read(&u, UART_LSR) & UART_LSR_OE, 0);
    ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_RDA);

    /* Drain: then THRE, then modem status (loopback raised deltas). */
    while (uart_read(&u, UART_LSR) & UART_LSR_DR)
        uart_read(&u, UART_RBR);
    uart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
    ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_THRE);
    ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_MSR);
    uart_read(&u, UART_MSR);
    ck_assert_uint_eq(uart_read(&u, UART_IIR) & 0x0f, UART_IIR_NO_INT);
    ck_assert_int_eq(line.irq_level, 0);
}
END_TEST

START_TEST(loopback_echoes_and_wires_modem_lines)
{
    uart_write(&u, UART_MCR, UART_MCR_LOOP);
    queue_input("zz");  /* the serial input is disconnected in loopback */
    uart_write(&u, UART_THR, 0x5a);
    ck_assert_int_eq(line.nsent, 0);
    ck_assert_uint_eq(uart_read(&u, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    ck_assert_uint_eq(uart_read(&u, UART_RBR), 0x5a);
    ck_assert_uint_eq(uart_read(&u, UART_LSR) & UART_LSR_DR, 0);

    /* Outputs come back as inputs: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD. */
    uart_read(&u, UART_MSR);
    uart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT1);
    uint8_t msr = uart_read(&u, UART_MSR);
    ck_assert_uint_eq(msr & 0xf0, UART_MSR_CTS | UART_MSR_RI);
    uart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT2);
    msr = uart_read(&u, UART_MSR);
    ck_assert_uint_eq(msr & 0xf0, UART_MSR_DSR | UART_MSR_DCD);
    /* RI fell: TERI; CTS fell and DSR rose: DCTS, DDSR; DCD rose: DDCD. */
    ck_assert_uint_eq(msr & UART_MSR_DELTAS,
                      UART_MSR_TERI | UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
    ck_assert_uint_eq(uart_read(&u, UART_MSR) & UART_MSR_DELTAS, 0);

    /* Leaving loopback reconnects the line and its input. */
    uart_write(&u, UART_MCR, 0);
    ck_assert_uint_eq(uart_read(&u, UART_RBR), 'z');
    uart_write(&u, UART_THR, 'q');
    ck_assert_int_eq(line.nsent, 1);
}
END_TEST

START_TEST(scratch_register_holds_a_byte)
{
    uart_write(&u, UART_SCR, 0xa5);
    ck_assert_uint_eq(uart_read(&u, UART_SCR), 0xa5);
    uart_write(&u, UART_SCR, 0x5a);
    ck_assert_uint_eq(uart_read(&u, UART_SCR), 0x5a);
}
END_TEST

START_TEST(ports_on_the_bus_including_word_access)
{
    struct iobus bus;
    iobus_init(&bus);
    ck_assert_int_eq(uart_attach(&u, &bus), 0);
    iobus_write(&bus, 0x3f8, 1, 'A');
    ck_assert_int_eq(line.nsent, 1);
    ck_assert_uint_eq(iobus_read(&bus, 0x3fd, 1) & UART_LSR_THRE, UART_LSR_THRE);
    /* A 16-bit OUT to 0x3fe writes MSR (ignored) and SCR. */
    iobus_write(&bus, 0x3fe, 2, 0x7700);
    ck_assert_uint_eq(iobus_read(&bus, 0x3ff, 1), 0x77);
    ck_assert_uint_eq(iobus_read(&bus, 0x400, 1), 0xff);
}
END_TEST

START_TEST(save_and_load_round_trip)
{
    uart_write(&u, UART_FCR, UART_FCR_ENABLE | 0x40);
    uart_write(&u, UART_LCR, 0x83);
    uart_write(&u, UART_DLL, 0x03);
    uart_write(&u, UART_LCR, 0x03);
    uart_write(&u, UART_SCR, 0x42);
    uart_write(&u, UART_IER, UART_IER_ERBFI);
    queue_input("xyz");
    uart_poll(&u);

    size_t need = uart_save(&u, NULL, 0);
    uint8_t buf[128];
    ck_assert_uint_le(need, sizeof(buf));
    ck_assert_uint_eq(uart_save(&u, buf, sizeof(buf)), need);
    ck_assert_uint_eq(uart_save(&u, buf, need - 1), 0);

    struct uart16550 copy;
    struct fake_line other = { 0 };
    uart_init(&copy, UART_COM1_BASE);
    uart_set_backend(&copy, line_tx, line_rx, &other);
    ck_assert_int_eq(uart_load(&copy, buf, need), 0);
    ck_assert_uint_eq(uart_read(&copy, UART_SCR), 0x42);
    ck_assert_uint_eq(uart_read(&copy, UART_LCR), 0x03);
    ck_assert_uint_eq(copy.dll, 0x03);
    ck_assert_uint_eq(uart_read(&copy, UART_IIR) & 0xcf, 0xc0 | UART_IIR_TIMEOUT);
    ck_assert_uint_eq(uart_read(&copy, UART_RBR), 'x');
    ck_assert_uint_eq(uart_read(&copy, UART_RBR), 'y');
    ck_assert_uint_eq(uart_read(&copy, UART_RBR), 'z');

    buf[1] = 99;    /* unknown version */
    ck_assert_int_eq(uart_load(&copy, buf, need), -22);
    ck_assert_int_eq(uart_load(&copy, buf, 3), -22);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("uart16550");
    TCase *tc = tcase_create("registers");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, reset_values);
    tcase_add_test(tc, dlab_switches_offsets_0_and_1_to_the_divisor);
    tcase_add_test(tc, thr_write_transmits_and_lsr_shows_empty);
    tcase_add_test(tc, received_bytes_set_dr_until_read);
    tcase_add_test(tc, fifo_enable_bits_show_in_iir);
    tcase_add_test(tc, fifo_holds_sixteen_and_rx_reset_clears_it);
    tcase_add_test(tc, iir_priorities_and_irq_line);
    tcase_add_test(tc, loopback_echoes_and_wires_modem_lines);
    tcase_add_test(tc, scratch_register_holds_a_byte);
    tcase_add_test(tc, ports_on_the_bus_including_word_access);
    tcase_add_test(tc, save_and_load_round_trip);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
