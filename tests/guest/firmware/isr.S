/* isr.S - interrupt/exception entry stubs of vmu's test firmware.
 * One 16-byte stub per vector (isr_stubs + 16 * vector) pushes a uniform
 * error code and the vector, saves registers and calls isr_dispatch(frame). */

        .text
        .balign 16
        .globl isr_stubs
isr_stubs:
        .set v, 0
        .rept 256
        .balign 16
        .if (v == 8) || (v == 10) || (v == 11) || (v == 12) || (v == 13) || (v == 14) || (v == 17) || (v == 21) || (v == 29) || (v == 30)
        /* CPU pushed an error code */
        .else
        pushq   $0
        .endif
        pushq   $v
        jmp     isr_common
        .set v, v + 1
        .endr

isr_common:
        pushq   %rax
        pushq   %rbx
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %rbp
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        movq    %rsp, %rdi
        cld
        call    isr_dispatch
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rbp
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rbx
        popq    %rax
        addq    $16, %rsp               /* vector + error code */
        iretq

        .section .note.GNU-stack, "", @progbits
