; boot.asm - a real-mode boot sector for glass (and QEMU).
;
; The machine loads the first sector of the disk at 0000:7C00 and jumps
; there in real mode with DL = 0x80 (the boot drive).  There is no BIOS
; service we may call: everything goes straight to the hardware.
;
;   COM1 16550 UART   ports 0x3F8..0x3FF  (what we print)
;   isa-debug-exit    port  0xF4          (how we stop: status = (v << 1) | 1)
;
; What it shows: segment:offset arithmetic (physical = segment * 16 + offset,
; Intel SDM Vol. 3A, 20.1.1 "Address Translation in Real-Address Mode"),
; string instructions with REP, 16-bit MUL/DIV (SDM Vol. 2A, "DIV", "MUL"),
; and printing numbers in hex and decimal.
;
; Build: nasm -f bin -o boot.img boot.asm   (exactly 512 bytes, ends 55 AA)

        bits 16
        org 0x7C00

COM1            equ 0x3F8       ; 16550 registers, offsets from the base:
UART_THR        equ COM1 + 0    ;   transmit holding register (DLAB = 0)
UART_DLL        equ COM1 + 0    ;   divisor latch low (DLAB = 1)
UART_IER        equ COM1 + 1    ;   interrupt enable (DLAB = 0)
UART_DLM        equ COM1 + 1    ;   divisor latch high (DLAB = 1)
UART_FCR        equ COM1 + 2    ;   FIFO control (write)
UART_LCR        equ COM1 + 3    ;   line control
UART_MCR        equ COM1 + 4    ;   modem control
UART_LSR        equ COM1 + 5    ;   line status
LSR_THRE        equ 0x20        ;   LSR bit 5: transmit holding register empty

DEBUG_EXIT_PORT equ 0xF4
EXIT_CODE       equ 0x10        ; the emulator exits with (0x10 << 1) | 1 = 33
POST_PORT       equ 0x80

start:
        ; Normalise CS:IP to 0000:7C00 (some firmwares jump to 07C0:0000).
        jmp     0x0000:.flat
.flat:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00              ; the stack grows down below us
        cld
        push    dx                      ; keep DL, the boot drive, for later

        mov     al, 0x01
        out     POST_PORT, al           ; POST code: "alive"

        call    uart_init

        call    print_inline
        db      "glass: hello from a boot sector", 10, 0

        ; --- the boot drive the firmware handed us in DL ---------------------
        call    print_inline
        db      "drive DL=", 0
        pop     ax                      ; AL = the DL we were started with
        call    put_hex8
        call    newline

        ; --- segment arithmetic ---------------------------------------------
        ; 1000:0010 and 1001:0000 are the same byte: 0x10000 + 0x10 = 0x10010.
        ; Write through one, read through the other.
        mov     ax, 0x1000
        mov     es, ax
        mov     word [es:0x0010], 0xBEEF
        mov     ax, 0x1001
        mov     fs, ax
        call    print_inline
        db      "1001:0000=", 0
        mov     ax, [fs:0x0000]
        call    put_hex16
        call    newline
        push    ds
        pop     es                      ; ES = 0 again

        ; --- a string loop: copy with REP MOVSB, measure with REPNE SCASB ----
        mov     si, copy_src
        mov     di, copy_buf
        mov     cx, copy_src_len
        rep     movsb                   ; DS:SI -> ES:DI, CX bytes
        mov     di, copy_buf
        mov     cx, 0xFFFF
        xor     al, al
        repne   scasb                   ; find the terminating 0
        not     cx
        dec     cx                      ; CX = length without the 0
        mov     si, copy_buf
        call    puts
        call    print_inline
        db      ", length ", 0
        mov     ax, cx
        call    put_dec16
        call    newline

        ; --- 16-bit MUL and DIV ---------------------------------------------
        ; 12345 * 54321 = 670592745 = 0x27F86EE9 in DX:AX.
        call    print_inline
        db      "12345*54321=", 0
        mov     ax, 12345
        mov     bx, 54321
        mul     bx
        xchg    ax, dx
        call    put_hex16               ; high word
        xchg    ax, dx
        call    put_hex16               ; low word
        ; DX:AX / 40000: the quotient, 16764, fits in 16 bits, so no #DE.
        mov     bx, 40000
        div     bx                      ; AX = quotient, DX = remainder
        call    print_inline
        db      " /40000=", 0
        call    put_dec16
        call    print_inline
        db      " rem ", 0
        xchg    ax, dx
        call    put_dec16
        call    newline

        ; --- a computed number: fib(24) by iteration -------------------------
        call    print_inline
        db      "fib(24)=", 0
        xor     ax, ax                  ; fib(0)
        mov     bx, 1                   ; fib(1)
        mov     cx, 24
.fib:   xadd    bx, ax                  ; (AX, BX) = (BX, AX + BX)
        loop    .fib
        call    put_dec16
        call    print_inline
        db      "=0x", 0
        call    put_hex16
        call    newline

        ; --- a checksum of this very sector, word by word --------------------
        call    print_inline
        db      "sector sum=", 0
        mov     si, 0x7C00
        mov     cx, 256
        xor     bx, bx
.sum:   lodsw
        add     bx, ax
        loop    .sum
        xchg    ax, bx
        call    put_hex16
        call    newline

        call    print_inline
        db      "exit 0x10", 10, 0

        ; --- leave through isa-debug-exit: a 32-bit OUT ----------------------
        mov     dx, DEBUG_EXIT_PORT
        mov     eax, EXIT_CODE
        out     dx, eax
        ; Not reached when the device is present; otherwise stop here.
.halt:  cli
        hlt
        jmp     .halt

; uart_init: 115200 baud (divisor 1), 8 data bits, no parity, 1 stop bit,
; FIFOs on, no interrupts.  Register names from the 16550 datasheet.
uart_init:
        mov     si, uart_init_table
.next:  lodsw                           ; AL = register offset, AH = value
        test    al, al
        js      .done                   ; 0xFF ends the table
        movzx   dx, al
        add     dx, COM1
        mov     al, ah
        out     dx, al
        jmp     .next
.done:  ret

; putc: send AL, waiting until the transmitter can take a byte.
putc:
        push    dx
        push    ax
        mov     dx, UART_LSR
.wait:  in      al, dx
        test    al, LSR_THRE
        jz      .wait
        pop     ax
        mov     dx, UART_THR
        out     dx, al
        pop     dx
        ret

; print_inline: print the 0-terminated string that follows the CALL, then
; return to the byte after its 0.  The return address on the stack is the
; string's address.
print_inline:
        pop     si
        call    puts
        jmp     si

; puts: print the 0-terminated string at DS:SI; SI ends past the 0.
puts:
        push    ax
.next:  lodsb
        test    al, al
        jz      .done
        call    putc
        jmp     .next
.done:  pop     ax
        ret

newline:
        push    ax
        mov     al, 10
        call    putc
        pop     ax
        ret

; put_hex16: print AX as four hex digits; put_hex8: AL as two.
put_hex16:
        xchg    al, ah
        call    put_hex8
        xchg    al, ah
put_hex8:
        push    ax
        push    cx
        mov     cl, 4
        mov     ah, al
        shr     al, cl
        call    .digit
        mov     al, ah
        and     al, 0x0F
        call    .digit
        pop     cx
        pop     ax
        ret
.digit: cmp     al, 10                  ; the old DAS trick: 0..9 -> '0'..'9',
        sbb     al, 0x69                ; 10..15 -> 'A'..'F'
        das
        jmp     putc

; put_dec16: print AX in decimal, by repeated DIV by 10.
put_dec16:
        pusha
        mov     bx, 10
        xor     cx, cx
.div:   xor     dx, dx
        div     bx                      ; DX:AX / 10
        push    dx                      ; remainder = the next digit
        inc     cx
        test    ax, ax
        jnz     .div
.out:   pop     ax
        add     al, '0'
        call    putc
        loop    .out
        popa
        ret

uart_init_table:                        ; (register offset, value) pairs
        db      1, 0x00                 ; IER: no interrupts
        db      3, 0x80                 ; LCR: DLAB = 1, ports 0/1 = divisor
        db      0, 0x01                 ; DLL: divisor 1 = 115200 baud
        db      1, 0x00                 ; DLM
        db      3, 0x03                 ; LCR: DLAB = 0, 8 bits, no parity, 1 stop
        db      2, 0x07                 ; FCR: enable and clear both FIFOs
        db      4, 0x03                 ; MCR: DTR, RTS
        db      0xFF
copy_src:       db "rep movsb copy", 0
copy_src_len    equ $ - copy_src

        times 510 - ($ - $$) db 0
        dw 0xAA55                       ; the boot signature, bytes 55 AA

; Variables live past the signature, in memory that the load did not fill.
absolute 0x7E00
copy_buf:       resb 64
