// process_tuning: the getpid() cache answers the kernel's pid, in the parent and in a forked
// child (the MADV_WIPEONFORK page); the malloc settings keep freed memory for reuse; and the
// shipped binaries really carry the getpid() replacement (exported, so libzmq calls it).
#include "nodes/process_tuning.hpp"

#include <doctest/doctest.h>

#include <malloc.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

namespace {

int kernel_pid() {
  return static_cast<int>(::syscall(SYS_getpid));
}

// The dynamic symbols an executable defines, from binutils' nm.
std::string defined_dynamic_symbols(const std::string& binary) {
  std::string out;
  FILE* pipe = ::popen(("nm -D --defined-only '" + binary + "' 2>/dev/null").c_str(), "r");
  if (!pipe) return out;
  std::array<char, 4096> chunk{};
  while (std::size_t n = std::fread(chunk.data(), 1, chunk.size(), pipe))
    out.append(chunk.data(), n);
  ::pclose(pipe);
  return out;
}

bool defines_getpid(const std::string& symbols) {
  return symbols.find(" T getpid\n") != std::string::npos;
}

}  // namespace

TEST_CASE("getpid answers the kernel's pid, and a forked child gets its own") {
  mf::nodes::tune_process_for_serving();
  const int parent = kernel_pid();
  CHECK(::getpid() == parent);  // this test binary links the replacement too
  CHECK(mf::nodes::cached_pid() == parent);
  CHECK(::getpid() == parent);  // and the cached answer stays right

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Exit code 0 only if the child sees its own pid, not the parent's cached one.
    const bool own = ::getpid() == kernel_pid() && ::getpid() != parent;
    ::_exit(own ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(::getpid() == parent);
}

#if !defined(__SANITIZE_ADDRESS__)  // ASan has its own allocator; mallopt does nothing there
TEST_CASE("freed blocks stay in the heap for reuse instead of going back per free") {
  mf::nodes::tune_process_for_serving();
  std::vector<void*> blocks;
  for (int i = 0; i < 256; ++i) {  // 8 MiB in W4-sized frames, touched so none is elided
    blocks.push_back(std::malloc(32 * 1024));
    static_cast<volatile char*>(blocks.back())[0] = 1;
  }
  for (void* b : blocks) std::free(b);
  // Free bytes still held by the heap: glibc's defaults trim the top back to ~128 KiB on these
  // frees (each free past 64 KiB of coalesced space checks), the tuned settings keep them.
  CHECK(::mallinfo2().fordblks >= (7u << 20));
}
#endif

TEST_CASE("the shipped binaries define and export getpid") {
  for (const char* binary : {"/nodes/modelfleet", "/nodes/bench/modelfleet-bench"}) {
    INFO(binary);
    const std::string symbols = defined_dynamic_symbols(std::string(MF_BINARY_DIR) + binary);
    REQUIRE_FALSE(symbols.empty());
    CHECK(defines_getpid(symbols));
  }
}
