#include "nodes/process_tuning.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

namespace mf::nodes {
namespace {

// glibc frees back to the kernel once the top of a heap has more than trim_threshold free
// bytes (128 KiB by default, raised only after a big mmapped block is freed): with 32 KB
// frames that was several times per request. 64 MiB of slack per arena before trimming, and
// blocks up to 4 MiB (request bodies, frames, batches) come from the heap instead of one
// mmap/munmap pair each. Bigger blocks (training sets, large artifacts) are still mapped and
// returned on free, and the model host's periodic malloc_trim(0) still releases evicted models.
constexpr int trim_threshold_bytes = 64 << 20;
constexpr int mmap_threshold_bytes = 4 << 20;

bool malloc_tunables_given() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  return tunables && std::strstr(tunables, "glibc.malloc.") != nullptr;
}

// One page the kernel zeroes in a forked child (Linux 4.14+): a pid stored there is never seen
// by a child, whatever atfork handlers run first. nullptr when the kernel refuses.
std::atomic<int>* pid_slot() {
  static std::atomic<int>* const slot = []() -> std::atomic<int>* {
    const long page = ::sysconf(_SC_PAGESIZE);
    if (page <= 0) return nullptr;
    const auto size = static_cast<std::size_t>(page);
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    if (::madvise(p, size, MADV_WIPEONFORK) != 0) {
      ::munmap(p, size);
      return nullptr;
    }
    return new (p) std::atomic<int>(0);  // all-zero bytes: the same as "not cached"
  }();
  return slot;
}

int kernel_pid() {
  return static_cast<int>(::syscall(SYS_getpid));
}

}  // namespace

int cached_pid() {
  std::atomic<int>* slot = pid_slot();
  if (!slot) return kernel_pid();
  int pid = slot->load(std::memory_order_relaxed);
  if (pid == 0) {
    pid = kernel_pid();
    slot->store(pid, std::memory_order_relaxed);
  }
  return pid;
}

void tune_process_for_serving() {
  // OpenSSL frees its state from an atexit handler, which also deletes the thread-local keys
  // of its per-thread error state: a thread that used libcrypto (a Redis client hashing its
  // scripts, a loader checking an artifact) and ends after that handler leaks its 904-byte
  // ERR_STATE, and LeakSanitizer fails the run (a worker stop under load in CI, 1 in 6 runs
  // with both cores busy). Without the handler each thread's state is freed when the thread
  // ends, and the global state stays reachable until the process is gone. Must be the first
  // OpenSSL call of the process to take effect.
  (void)OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
  if (!malloc_tunables_given()) {
    ::mallopt(M_MMAP_THRESHOLD, mmap_threshold_bytes);
    ::mallopt(M_TRIM_THRESHOLD, trim_threshold_bytes);
  }
  (void)cached_pid();
}

}  // namespace mf::nodes

// Replaces libc's getpid() for the whole process: an executable's definition comes first in
// symbol lookup, and the linker exports it because libzmq refers to it. libzmq checks for a
// fork with getpid() on every mailbox signal and wait (0.25-0.8 calls per predict, 5-9 % of
// the router's and worker's samples in W4); glibc stopped caching the pid in 2.25.
extern "C" pid_t getpid() noexcept {
  return mf::nodes::cached_pid();
}
