/* entry.S - PVH boot entry of vmu's test firmware.
 * Declares the Xen PVH ELF note, takes the 32-bit protected-mode entry,
 * switches to long mode with static identity page tables and calls fw_main. */

#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define PTE_P    0x001
#define PTE_RW   0x002
#define PTE_PWT  0x008
#define PTE_PCD  0x010
#define PTE_PS   0x080

#define CR0_PE   0x00000001
#define CR0_WP   0x00010000
#define CR0_PG   0x80000000
#define CR4_PAE  0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100

#define SEL_CODE64 0x08
#define SEL_DATA   0x10

/* ---- PVH note: name "Xen", type 18, 32-bit physical entry point ---- */
        .section .note.Xen, "a"
        .balign 4
        .long 4                         /* namesz ("Xen\0") */
        .long 4                         /* descsz */
        .long XEN_ELFNOTE_PHYS32_ENTRY  /* type */
        .asciz "Xen"
        .long pvh_entry

/* ---- 32-bit entry: protected mode, paging off, %ebx = hvm_start_info ---- */
        .section .text.entry, "ax"
        .code32
        .globl pvh_entry
pvh_entry:
        cli
        cld
        movl    %ebx, %esi              /* keep start info across setup */

        lgdtl   gdt_desc
        movl    $SEL_DATA, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        movl    %eax, %fs
        movl    %eax, %gs
        movl    $__stack_top, %esp

        /* Zero .bss (the loader should do it too, but do not rely on it). */
        movl    $__bss_start, %edi
        movl    $__bss_end, %ecx
        subl    %edi, %ecx
        shrl    $2, %ecx
        xorl    %eax, %eax
        rep stosl

        movl    %cr4, %eax
        orl     $CR4_PAE, %eax
        movl    %eax, %cr4

        movl    $pml4, %eax
        movl    %eax, %cr3

        movl    $MSR_EFER, %ecx
        rdmsr
        orl     $EFER_LME, %eax
        wrmsr

        movl    %cr0, %eax
        orl     $(CR0_PG | CR0_WP | CR0_PE), %eax
        movl    %eax, %cr0

        ljmpl   $SEL_CODE64, $long_entry

        .code64
long_entry:
        movl    $SEL_DATA, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        xorl    %eax, %eax
        movl    %eax, %fs
        movl    %eax, %gs
        movq    $__stack_top, %rsp
        xorl    %ebp, %ebp
        movl    %esi, %edi              /* fw_main(uint32_t start_info_pa) */
        call    fw_main
1:      cli
        hlt
        jmp     1b

/* ---- GDT: null, 64-bit code, flat data ---- */
        .section .rodata
        .balign 16
gdt:
        .quad 0
        .quad 0x00af9a000000ffff        /* 0x08: code, L=1, DPL0 */
        .quad 0x00cf92000000ffff        /* 0x10: data, 4 GiB flat */
gdt_end:
        .balign 8
        .globl gdt_desc
gdt_desc:
        .word gdt_end - gdt - 1
        .quad gdt

/* ---- page tables: identity map 0..8 GiB with 2 MiB pages ----
 * 3..4 GiB (PCI MMIO, IOAPIC, LAPIC) is mapped uncached (PCD|PWT). */
        .section .data.pagetables, "aw"
        .balign 4096
        .globl pml4
pml4:
        .quad pdpt + PTE_P + PTE_RW
        .fill 511, 8, 0
pdpt:
        .set i, 0
        .rept 8
        .quad pd + i * 4096 + PTE_P + PTE_RW
        .set i, i + 1
        .endr
        .fill 504, 8, 0
pd:
        .set i, 0
        .rept 4096
        .if (i >= 1536) && (i < 2048)
        .quad (i << 21) | PTE_P | PTE_RW | PTE_PS | PTE_PCD | PTE_PWT
        .else
        .quad (i << 21) | PTE_P | PTE_RW | PTE_PS
        .endif
        .set i, i + 1
        .endr

        .section .note.GNU-stack, "", @progbits
