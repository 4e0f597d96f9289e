// child_process: RAII fork/exec of a program in its own process group, output to a log file;
// the group is killed on destruction or when the starting thread dies. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mf::test {

class child_process {
 public:
  // Starts `program` (a path; no PATH search) with argv[1..] = args and the parent's
  // environment plus `env` ("NAME=value" entries). Output (both streams) goes to `log_path`.
  // Aborts the test run if fork/exec setup fails; an exec failure shows as exit code 127.
  child_process(std::string program, std::vector<std::string> args, std::string log_path,
                std::vector<std::string> env = {});
  ~child_process();
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool running();
  // Sends a signal to the child's process group.
  void signal(int sig);
  // Waits for exit up to `timeout`; returns the exit status (128+signal if killed) or nullopt.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL; returns the exit status.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  const std::string& log_path() const noexcept { return log_path_; }
  // The log file's current content (for failure messages).
  std::string log() const;

 private:
  bool try_reap(int flags);

  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

}  // namespace mf::test
