// process_tuning: process-wide settings a serving process makes once, first thing in main():
// glibc malloc keeps freed memory for reuse instead of handing it back per free, getpid()
// answers from a fork-safe cache instead of a system call, and OpenSSL keeps its state until
// the process is gone instead of freeing it at exit under threads still running.
// Thread-safe; idempotent.
//
// Why (docs/benchmarks.md, "Ninth session"): on this VM every system call and page fault pays a
// paravirtual interrupt toggle, and in W4 (32 KB frames) glibc trimmed the heap after frees
// (madvise, a TLB-flush IPI to the other core, then page faults to take the pages back) while
// libzmq's fork check called getpid() on every signal it sent or waited for.
#pragma once

namespace mf::nodes {

// Initialises OpenSSL without its atexit cleanup, applies the malloc settings (unless
// GLIBC_TUNABLES names glibc.malloc.* settings, which then win) and primes the pid cache. Call
// first thing in main(), before threads start.
void tune_process_for_serving();

// What getpid() does here: the cached pid, or the kernel's when the cache is unusable. The
// cache lives on a MADV_WIPEONFORK page, so a forked child finds it zeroed and asks again.
int cached_pid();

}  // namespace mf::nodes
