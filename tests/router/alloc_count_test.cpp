// Allocation counts of the pure pieces of the router's predict path: the route match, the
// response value and the bearer token. A counting operator new (in this test binary only)
// makes "no per-request allocation storm" a checked property instead of a profile reading
// (docs/benchmarks.md, eleventh session: 39 -> 26 allocations per HTTP predict).
#include <doctest/doctest.h>

#include <cstdlib>
#include <new>
#include <string>

#include "nodes/router/api_types.hpp"
#include "nodes/router/auth.hpp"
#include "nodes/router/routes.hpp"

namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;

void* counted_alloc(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}

// Counts the allocations `f` makes on this thread.
template <class F>
std::size_t allocations_of(F&& f) {
  allocations = 0;
  counting = true;
  f();
  counting = false;
  return allocations;
}
}  // namespace

void* operator new(std::size_t n) {
  return counted_alloc(n);
}
void* operator new[](std::size_t n) {
  return counted_alloc(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

using namespace mf::router;

TEST_CASE("the counter sees an allocation") {
  std::string* s = nullptr;
  CHECK(allocations_of([&] { s = new std::string(64, 'x'); }) == 2);
  delete s;
}

TEST_CASE("a JSON response allocates nothing beyond its body") {
  std::string body = R"({"model":"m","version":1,"predictions":[1]})";
  std::size_t n = allocations_of([&] {
    api_response r = json_response(200, std::move(body));
    CHECK(r.content_type == "application/json");
  });
  CHECK(n == 0);
}

TEST_CASE("matching a predict route allocates once (the segment list)") {
  std::size_t n = allocations_of([] {
    auto m = match_route("POST", "/v1/tenants/bench-0/models/m/predict");
    REQUIRE(m);
    CHECK(m->id == route_id::predict);
    CHECK(m->tenant == "bench-0");
  });
  CHECK(n <= 1);
}

TEST_CASE("the bearer token is a view of the header") {
  const std::string header = "Bearer " + std::string(64, 'k');
  std::size_t n = allocations_of([&] {
    auto t = bearer_token(header);
    REQUIRE(t);
    CHECK(t->size() == 64);
  });
  CHECK(n == 0);
}
