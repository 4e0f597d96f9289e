#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace mf::test {

child_process::child_process(std::string program, std::vector<std::string> args,
                             std::string log_path, std::vector<std::string> env)
    : log_path_(std::move(log_path)) {
  // Build everything before fork: the child may only call async-signal-safe functions.
  std::vector<std::string> argv_store;
  argv_store.push_back(program);
  for (auto& a : args) argv_store.push_back(std::move(a));
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) env_store.emplace_back(*e);
  for (auto& e : env) env_store.push_back(std::move(e));
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    std::perror("child_process: open log");
    std::abort();
  }
  // Signals stay blocked across fork until the child has reset every handler to the default:
  // otherwise a stop() racing the exec would run the parent's (doctest's) crash handler in
  // the child.
  sigset_t all, previous;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ > 0) ::setpgid(pid_, pid_);  // also in the parent: no race with stop()
  if (pid_ != 0) ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid_ < 0) {
    std::perror("child_process: fork");
    std::abort();
  }
  if (pid_ == 0) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    // Own process group: stop() signals the group, so grandchildren (a shell's children) go
    // too, and a test runner's Ctrl-C does not race our own shutdown.
    ::setpgid(0, 0);
    // If the test process dies without running destructors (crash, ctest timeout), the child
    // is killed too instead of leaking a server. Note: tied to the forking THREAD's exit.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(log_fd);
}

child_process::~child_process() {
  if (pid_ > 0 && !status_) stop(std::chrono::milliseconds(2000));
}

child_process::child_process(child_process&& other) noexcept
    : pid_(other.pid_), status_(other.status_), log_path_(std::move(other.log_path_)) {
  other.pid_ = -1;
}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !status_) stop(std::chrono::milliseconds(2000));
    pid_ = other.pid_;
    status_ = other.status_;
    log_path_ = std::move(other.log_path_);
    other.pid_ = -1;
  }
  return *this;
}

bool child_process::try_reap(int flags) {
  if (pid_ <= 0) return true;
  if (status_) return true;
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, flags);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
  }
  if (r < 0) {  // not our child any more (should not happen): treat as gone
    status_ = -1;
    return true;
  }
  return false;
}

bool child_process::running() {
  return pid_ > 0 && !try_reap(WNOHANG);
}

void child_process::signal(int sig) {
  if (pid_ <= 0) return;
  // The whole group (children of a shell included); the group outlives a reaped leader.
  if (::kill(-pid_, sig) != 0 && !status_) ::kill(pid_, sig);
}

std::optional<int> child_process::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (try_reap(WNOHANG)) return status_;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int child_process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  if (!status_) {
    signal(SIGTERM);
    if (!wait_for(grace)) {
      signal(SIGKILL);
      try_reap(0);
    }
  }
  signal(SIGKILL);  // leftovers of the group (e.g. a shell's child ignoring SIGTERM)
  return status_.value_or(-1);
}

std::string child_process::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace mf::test
