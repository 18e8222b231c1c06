/* entry-bzimage.S - Linux boot protocol entries of vmu's test firmware when
 * it is packaged as a bzImage (fw.bzImage, see mkbzimage.py).  This is the
 * start of the protected-mode payload, linked at its load address 0x100000
 * (code32_start = pref_address):
 *
 *   +0x000  32-bit entry (code32_start): protected mode, paging off,
 *           %esi = boot_params.  Hands over to entry.S's pvh_entry with the
 *           boot_params address where the PVH path keeps hvm_start_info.
 *   +0x200  64-bit entry (startup_64, used with XLF_KERNEL_64): long mode,
 *           the loader's identity map, %rsi = boot_params.  Loads the
 *           firmware's own GDT, segments, page tables (0-8 GiB) and stack.
 *
 * fw_main() tells boot_params from hvm_start_info by their magic ("HdrS"
 * at 0x202 / 0x336ec578 at 0), see pvh.c. */

#define SEL_CODE64 0x08
#define SEL_DATA   0x10

        .section .text.bzhead, "ax"
        .code32
        .globl bz_entry32
bz_entry32:
        movl    %esi, %ebx              /* pvh_entry takes the info in %ebx */
        jmp     pvh_entry

        .org    0x200
        .code64
        .globl startup_64
startup_64:
        cli
        cld
        movl    %esi, %ebx              /* boot_params, below 4 GiB */
        lgdt    gdt_desc
        movl    $pml4, %eax
        movq    %rax, %cr3
        movl    $SEL_DATA, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        xorl    %eax, %eax
        movl    %eax, %fs
        movl    %eax, %gs
        movq    $__stack_top, %rsp
        pushq   $SEL_CODE64             /* reload %cs from the new GDT */
        pushq   $1f
        lretq
1:
        /* Zero .bss (the loader does not have to). */
        movl    $__bss_start, %edi
        movl    $__bss_end, %ecx
        subl    %edi, %ecx
        shrl    $2, %ecx
        xorl    %eax, %eax
        rep stosl

        xorl    %ebp, %ebp
        movl    %ebx, %edi              /* fw_main(uint32_t boot_info_pa) */
        call    fw_main
2:      cli
        hlt
        jmp     2b

/* ---- real-mode setup code (the loader's "setup" entry at 0x200) ----
 * For loaders that run the setup code in real mode (QEMU with SeaBIOS or
 * qboot): %cs = %ds + 0x20, %ds = %es = %ss = the segment of the setup area,
 * whose first 4 KiB become boot_params (zeros but for the setup header,
 * e820 table filled in here).  Not loaded with the payload: mkbzimage.py
 * copies this section into the setup sectors at image offset SETUP16_OFF,
 * past boot_params (the jump at 0x200 goes to a near jump at 0x270, in
 * boot_params' padding after the header, which comes here), so it only
 * uses relative jumps and %ds-relative offsets into the setup area.  Fills the e820 table from the
 * BIOS (int 0x15, ax=0xe820), enters protected mode with a flat GDT and
 * jumps to code32_start with %esi = boot_params, as Linux's setup does. */
#define SETUP16_OFF 0x1000
#define OFF(l) (SETUP16_OFF + (l) - setup16_start)
#define SMAP 0x534d4150

        .section .bzsetup, ""
        .code16
setup16_start:
        cli
        cld
        movw    %ds, %ax
        movw    %ax, %es
        xorl    %ebx, %ebx
        movw    $0x2d0, %di             /* boot_params.e820_table */
        xorw    %bp, %bp
1:      movl    $0xe820, %eax
        movl    $SMAP, %edx
        movl    $20, %ecx
        int     $0x15
        jc      2f
        cmpl    $SMAP, %eax
        jne     2f
        incw    %bp
        addw    $20, %di
        cmpw    $128, %bp
        jae     2f
        testl   %ebx, %ebx
        jnz     1b
2:      movw    %bp, %ax
        movb    %al, 0x1e8              /* boot_params.e820_entries */

        xorl    %esi, %esi
        movw    %ds, %si
        shll    $4, %esi                /* boot_params, linear */
        leal    OFF(gdt16)(%esi), %eax
        movl    %eax, OFF(gdt16_desc) + 2
        movl    0x214, %eax             /* code32_start */
        movl    %eax, OFF(farptr)
        leal    OFF(farptr)(%esi), %ebx
        lgdtl   OFF(gdt16_desc)
        movl    %cr0, %eax
        orl     $1, %eax
        movl    %eax, %cr0
        movw    $0x18, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    %ax, %fs
        movw    %ax, %gs
        ljmpl   *(%ebx)

        .balign 8
gdt16:
        .quad 0
        .quad 0
        .quad 0x00cf9a000000ffff        /* 0x10: 32-bit code, flat */
        .quad 0x00cf92000000ffff        /* 0x18: data, flat */
gdt16_desc:
        .word 31
        .long 0                         /* linear base, patched */
farptr:
        .long 0                         /* code32_start, patched */
        .word 0x10

        .section .note.GNU-stack, "", @progbits
