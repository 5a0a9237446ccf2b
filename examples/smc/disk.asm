; disk.asm - the data disk of the smc example: two sectors of
; position-independent 32-bit code that the kernel reads by IDE PIO (REP
; INSW) into one buffer and calls, the second over the first.
;
;   sector 0: uint32_t f(uint32_t x) { return x * 3 + 7; }
;   sector 1: uint32_t f(uint32_t x) { return (x << 4) ^ 0x5555; }
        bits 32
        org 0
sector0:
        mov     eax, [esp + 4]
        lea     eax, [eax + eax * 2 + 7]
        ret
        times 512 - ($ - sector0) db 0xcc
sector1:
        mov     eax, [esp + 4]
        shl     eax, 4
        xor     eax, 0x5555
        ret
        times 1024 - ($ - sector0) db 0xcc
