; boot.asm - the teaching kernel's boot sector.
;
; The firmware loads this sector (LBA 0 of the first disk) at 0000:7C00 and
; jumps to it in real mode.  We call no BIOS service: we
;   1. enable the A20 line (port 0x92, "fast A20"), so that addresses at and
;      above 1 MiB do not wrap around to 0;
;   2. load a GDT and switch to 32-bit protected mode (SDM Vol. 3A, 9.9.1);
;   3. read the kernel from the primary IDE master by programmed I/O:
;      LBA28, READ SECTORS (0x20), one sector at a time, polling the status
;      register's BSY and DRQ bits (ATA-6, 9.2 "PIO data-in");
;   4. jump to it.  The kernel is a flat binary linked at 1 MiB; its size in
;      sectors comes from the build as KERNEL_SECTORS.
;
; Build: nasm -f bin -DKERNEL_SECTORS=n -o boot.bin boot.asm  (512 bytes)

        bits 16
        org 0x7C00

%ifndef KERNEL_SECTORS
%error "KERNEL_SECTORS must be defined (nasm -DKERNEL_SECTORS=n)"
%endif

KERNEL_LBA      equ 1           ; the kernel follows this sector on the disk
KERNEL_ADDR     equ 0x100000    ; ... and is loaded at 1 MiB
COM1            equ 0x3F8
IDE_DATA        equ 0x1F0       ; primary ATA channel, command block
IDE_COUNT       equ 0x1F2
IDE_LBA0        equ 0x1F3
IDE_LBA1        equ 0x1F4
IDE_LBA2        equ 0x1F5
IDE_DRIVE       equ 0x1F6       ; bit 6 = LBA mode, bit 4 = drive (0 master)
IDE_CMD         equ 0x1F7       ; write: command; read: status
ST_BSY          equ 0x80
ST_DRQ          equ 0x08
ST_ERR          equ 0x01

start:
        jmp     0x0000:.flat            ; make CS 0 (firmware may use 07C0:0)
.flat:
        cli
        cld
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00

        ; 1. A20 through the "system control port A" (bit 1); bit 0 would
        ;    reset the machine, so keep it clear.
        in      al, 0x92
        or      al, 0x02
        and     al, 0xFE
        out     0x92, al

        ; 2. Protected mode: load the GDT, set CR0.PE, far jump to reload CS.
        lgdt    [gdt_desc]
        mov     eax, cr0
        or      eax, 1
        mov     cr0, eax
        jmp     0x08:pm32

        bits 32
pm32:
        mov     ax, 0x10                ; every data segment: flat 4 GiB
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     fs, ax
        mov     gs, ax
        mov     esp, 0x7C00

        mov     esi, msg_boot
        call    puts

        ; 3. Read KERNEL_SECTORS sectors from LBA 1 to 1 MiB.
        mov     edi, KERNEL_ADDR        ; INSW stores at ES:EDI
        mov     ebx, KERNEL_LBA
        mov     ecx, KERNEL_SECTORS
.next:
        call    ide_wait_ready
        mov     dx, IDE_DRIVE
        mov     eax, ebx
        shr     eax, 24
        or      al, 0xE0                ; LBA, master, LBA bits 27..24
        out     dx, al
        mov     dx, IDE_COUNT
        mov     al, 1
        out     dx, al
        mov     eax, ebx
        mov     dx, IDE_LBA0
        out     dx, al                  ; LBA bits 7..0
        shr     eax, 8
        inc     dx
        out     dx, al                  ; 15..8
        shr     eax, 8
        inc     dx
        out     dx, al                  ; 23..16
        mov     dx, IDE_CMD
        mov     al, 0x20                ; READ SECTORS
        out     dx, al
.poll:
        in      al, dx                  ; wait until BSY = 0 and DRQ = 1
        test    al, ST_BSY
        jnz     .poll
        test    al, ST_ERR
        jnz     disk_error
        test    al, ST_DRQ
        jz      .poll
        push    ecx
        mov     ecx, 256                ; 256 words = one sector
        mov     dx, IDE_DATA
        rep     insw
        pop     ecx
        inc     ebx
        loop    .next

        ; 4. Jump to the kernel's first byte.
        mov     esi, msg_jump
        call    puts
        jmp     KERNEL_ADDR

disk_error:
        mov     esi, msg_err
        call    puts
        mov     dx, 0xF4                ; isa-debug-exit: status 0x61<<1|1
        mov     eax, 0x61
        out     dx, eax
.halt:  hlt
        jmp     .halt

; Wait until the drive is not busy.
ide_wait_ready:
        mov     dx, IDE_CMD
.wait:  in      al, dx
        test    al, ST_BSY
        jnz     .wait
        ret

; Print the NUL-terminated string at ESI on COM1 (polling LSR bit 5).  The
; firmware has set the UART up already; the kernel will set it up again.
puts:
        lodsb
        test    al, al
        jz      .done
        mov     ah, al
        mov     dx, COM1 + 5
.busy:  in      al, dx
        test    al, 0x20
        jz      .busy
        mov     al, ah
        mov     dx, COM1
        out     dx, al
        jmp     puts
.done:  ret

msg_boot: db "boot: protected mode, A20 on, loading the kernel by IDE PIO", 10, 0
msg_jump: db "boot: jumping to the kernel at 1 MiB", 10, 0
msg_err:  db "boot: disk error", 10, 0

; The boot GDT: null, flat 32-bit code (0x08), flat data (0x10).
        align 8
gdt:
        dq      0
        dq      0x00CF9A000000FFFF      ; base 0, limit 4 GiB, code, DPL 0
        dq      0x00CF92000000FFFF      ; base 0, limit 4 GiB, data, DPL 0
gdt_desc:
        dw      gdt_desc - gdt - 1
        dd      gdt

        times   510 - ($ - $$) db 0
        dw      0xAA55
