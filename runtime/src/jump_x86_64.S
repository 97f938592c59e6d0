// jump_x86_64.S: gmp_jump_fcontext, Boost.Context's jump_fcontext (x86-64
// System V) with one difference: it leaves by `ret`, not by `jmp *%r8`.
//
// Why: a switch is entered by a `call`, which pushes the caller's address on
// the CPU's return stack buffer. Boost's jump leaves by an indirect jump, so
// that entry is never popped and the next `ret` of the goroutine switched to
// (leaving gmp::yield, a park, ...) is mispredicted: one pipeline flush on
// every switch. Leaving by `ret` pops it; it predicts right whenever the
// goroutine switched to was suspended at the same call site, which is what a
// scheduler's switches are (bench_yield: 1.5 ns of about 17 per switch).
//
// The frame layout is Boost's, so contexts made by make_fcontext work
// unchanged: 0x00 MXCSR, 0x04 x87 control word (both callee-saved by the
// ABI), 0x08..0x30 r12 r13 r14 r15 rbx rbp, 0x38 the return address.
// In:  rdi = the context to resume, rsi = data passed to it.
// Out (in the resumed context): rax = the suspended context, rdx = data.
#if defined(__x86_64__) && defined(__ELF__)
.text
.globl gmp_jump_fcontext
.hidden gmp_jump_fcontext
.type gmp_jump_fcontext,@function
.align 16
gmp_jump_fcontext:
    leaq  -0x38(%rsp), %rsp
    stmxcsr  (%rsp)
    fnstcw   0x4(%rsp)
    movq  %r12, 0x8(%rsp)
    movq  %r13, 0x10(%rsp)
    movq  %r14, 0x18(%rsp)
    movq  %r15, 0x20(%rsp)
    movq  %rbx, 0x28(%rsp)
    movq  %rbp, 0x30(%rsp)
    movq  %rsp, %rax
    movq  %rdi, %rsp
    ldmxcsr  (%rsp)
    fldcw    0x4(%rsp)
    movq  0x8(%rsp), %r12
    movq  0x10(%rsp), %r13
    movq  0x18(%rsp), %r14
    movq  0x20(%rsp), %r15
    movq  0x28(%rsp), %rbx
    movq  0x30(%rsp), %rbp
    leaq  0x38(%rsp), %rsp
    movq  %rsi, %rdx
    movq  %rax, %rdi
    ret
.size gmp_jump_fcontext,.-gmp_jump_fcontext
#endif
.section .note.GNU-stack,"",%progbits
