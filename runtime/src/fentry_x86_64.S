// fentry_x86_64.S: __fentry__, the function-entry safe point of code that g++ built with
// gmp_enable_preemption (-pg -mfentry: `call __fentry__` is the first instruction of every
// function, before its prologue). It must preserve every register the function may still
// need: the argument registers rdi rsi rdx rcx r8 r9, rax (the vector count of a varargs
// call), r10 (the static chain) and xmm0-7; r11 is free.
//
// Fast path (no preemption asked): two loads and a branch. gmp_preempt_flag is this thread's
// M's preempt flag (preempt.hpp), null on threads that are not Ms.
// Slow path: saves those registers on a 16-byte aligned frame and calls
// gmp_preempt_safe_point(), which may switch goroutines and resume on another thread.
//
// Rejected: -finstrument-functions (an entry and an exit hook with two arguments each, also
// for inlined functions: 3.8 ns per call in bench/preempt_cost.sh, against about 1 ns here);
// glibc's __fentry__ is gprof's and is never used, since the executable's definition wins.
#if defined(__x86_64__) && defined(__ELF__)
.text
.globl __fentry__
.type __fentry__, @function
.p2align 4
__fentry__:
  movq gmp_preempt_flag@gottpoff(%rip), %r11
  movq %fs:(%r11), %r11
  testq %r11, %r11
  jz 1f
  cmpb $0, (%r11)
  jne 2f
1:
  ret
2:
  pushq %rbp
  movq %rsp, %rbp
  andq $-16, %rsp
  subq $192, %rsp
  movq %rax, 0(%rsp)
  movq %rdi, 8(%rsp)
  movq %rsi, 16(%rsp)
  movq %rdx, 24(%rsp)
  movq %rcx, 32(%rsp)
  movq %r8, 40(%rsp)
  movq %r9, 48(%rsp)
  movq %r10, 56(%rsp)
  movdqa %xmm0, 64(%rsp)
  movdqa %xmm1, 80(%rsp)
  movdqa %xmm2, 96(%rsp)
  movdqa %xmm3, 112(%rsp)
  movdqa %xmm4, 128(%rsp)
  movdqa %xmm5, 144(%rsp)
  movdqa %xmm6, 160(%rsp)
  movdqa %xmm7, 176(%rsp)
  call gmp_preempt_safe_point@PLT
  movq 0(%rsp), %rax
  movq 8(%rsp), %rdi
  movq 16(%rsp), %rsi
  movq 24(%rsp), %rdx
  movq 32(%rsp), %rcx
  movq 40(%rsp), %r8
  movq 48(%rsp), %r9
  movq 56(%rsp), %r10
  movdqa 64(%rsp), %xmm0
  movdqa 80(%rsp), %xmm1
  movdqa 96(%rsp), %xmm2
  movdqa 112(%rsp), %xmm3
  movdqa 128(%rsp), %xmm4
  movdqa 144(%rsp), %xmm5
  movdqa 160(%rsp), %xmm6
  movdqa 176(%rsp), %xmm7
  movq %rbp, %rsp
  popq %rbp
  ret
.size __fentry__, .-__fentry__
.section .note.GNU-stack,"",%progbits
#endif
