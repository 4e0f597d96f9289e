// Unit tests of mf_cluster that need no server: names, URLs, keys, the in-memory registry and
// the fs blob store (with hostile names and planted symlinks).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tests/support/value_of.hpp"

#include <filesystem>
#include <fstream>

#include "cluster/api_key.hpp"
#include "cluster/fs_blob_store.hpp"
#include "cluster/memory_registry.hpp"
#include "cluster/names.hpp"
#include "cluster/record_json.hpp"
#include "cluster/redis_url.hpp"
#include "tests/cluster/blob_suite.hpp"
#include "tests/cluster/registry_suite.hpp"

namespace {

struct memory_fixture {
  mf::cluster::memory_registry registry;
  mf::cluster::registry& reg() { return registry; }
};

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/mf-blob-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

struct fs_fixture {
  temp_dir dir;
  std::unique_ptr<mf::cluster::fs_blob_store> fs;
  fs_fixture() {
    auto s = mf::cluster::fs_blob_store::open(dir.path + "/root");
    REQUIRE(s);
    fs = std::move(*s);
  }
  mf::cluster::blob_store& store() { return *fs; }
};

}  // namespace

TEST_CASE_TEMPLATE_INVOKE(registry_tenants, memory_fixture);
TEST_CASE_TEMPLATE_INVOKE(registry_versions, memory_fixture);
TEST_CASE_TEMPLATE_INVOKE(registry_jobs, memory_fixture);
TEST_CASE_TEMPLATE_INVOKE(registry_job_fences, memory_fixture);
TEST_CASE_TEMPLATE_INVOKE(registry_cluster, memory_fixture);
TEST_CASE_TEMPLATE_INVOKE(blob_store_suite, fs_fixture);
TEST_CASE_TEMPLATE_INVOKE(blob_store_dataset_suite, fs_fixture);

using namespace mf::cluster;

TEST_CASE("names follow the API rule") {
  CHECK(is_valid_name("a"));
  CHECK(is_valid_name("Tenant_1.prod-eu"));
  CHECK(is_valid_name("9"));
  CHECK(is_valid_name(std::string(64, 'z')));
  CHECK(!is_valid_name(std::string(65, 'z')));
  CHECK(!is_valid_name(""));
  CHECK(!is_valid_name("."));
  CHECK(!is_valid_name(".."));
  CHECK(!is_valid_name(".a"));
  CHECK(!is_valid_name("_a"));
  CHECK(!is_valid_name("-a"));
  CHECK(!is_valid_name("a/b"));
  CHECK(!is_valid_name("a:b"));
  CHECK(!is_valid_name("a b"));
  CHECK(!is_valid_name("é"));
  CHECK(!is_valid_name(std::string_view("a\0", 2)));
  auto e = check_name("model", "../etc");
  REQUIRE(!e);
  CHECK(e.error().code == mf::errc::invalid_name);
  CHECK(e.error().message.find("model") != std::string::npos);
}

TEST_CASE("redis url parsing") {
  auto u = parse_redis_url("redis://alice:s%40cret@db.local:6380/3");
  REQUIRE(u);
  CHECK(u->user == "alice");
  CHECK(u->password == "s@cret");
  CHECK(u->host == "db.local");
  CHECK(u->port == 6380);
  CHECK(u->db == 3);
  CHECK(redacted(*u).find("s@cret") == std::string::npos);

  auto p = parse_redis_url("redis://:pw@127.0.0.1:7000");
  REQUIRE(p);
  CHECK(p->user.empty());
  CHECK(p->password == "pw");
  CHECK(p->db == 0);
  auto d = parse_redis_url("redis://localhost");
  REQUIRE(d);
  CHECK(d->port == 6379);
  CHECK(parse_redis_url("redis://h:1/")->db == 0);
  for (const char* bad :
       {"http://h:1", "redis://", "redis://h:0", "redis://h:70000", "redis://h:x", "redis://h:1/x",
        "redis://h:1/-1", "redis://u:@h:1", "redis://%zz@h", "redis://a%2@h", "redis://h h:1"}) {
    CAPTURE(bad);
    CHECK(parse_redis_url(bad).error().code == mf::errc::invalid_input);
  }
}

TEST_CASE("api keys are random and hashed") {
  auto a = generate_api_key();
  auto b = generate_api_key();
  CHECK(a != b);
  CHECK(a.size() == 68);
  CHECK(hash_api_key(a).size() == 64);
  CHECK(hash_api_key(a) != hash_api_key(b));
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(constant_time_equal("abc", "abc"));
  CHECK(!constant_time_equal("abc", "abd"));
  CHECK(!constant_time_equal("abc", "ab"));
  CHECK(generate_key_id().size() == 16);
}

TEST_CASE("records survive their JSON form") {
  job_record j;
  j.id = "j7";
  j.tenant = "t";
  j.status = job_status::failed;
  j.error = "boom \"quoted\"";
  j.version = 4;
  j.metrics = {{"rmse", 0.25}};
  j.created_at = 1764059000123;
  auto back = job_from_json(to_json(j));
  REQUIRE(back);
  CHECK(back->error == j.error);
  CHECK(back->version == j.version);
  CHECK(back->status == job_status::failed);
  CHECK(back->created_at == 1764059000123);
  CHECK(job_from_json("{not json").error().code == mf::errc::internal);
  CHECK(job_from_json("{\"id\":\"x\",\"status\":\"weird\"}").error().code == mf::errc::internal);
  CHECK(version_from_json("[]").error().code == mf::errc::internal);
}

TEST_CASE("memory registry publishes events") {
  memory_registry reg;
  std::vector<std::string> seen;
  reg.set_event_sink([&](const std::string& e) { seen.push_back(e); });
  REQUIRE(reg.create_tenant("t"));
  REQUIRE(reg.reserve_version_id("t", "m"));
  REQUIRE(
      reg.publish_version("t", "m", mf::cluster::test::make_version(1), true, "upload", "admin"));
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == R"({"type":"tenant_updated","tenant":"t"})");
  CHECK(seen[1] == activated_event("t", "m", 0, 1));
  CHECK(reg.events() == seen);
}

TEST_CASE("fs blob store: layout, no temp leftovers, symlinks are not followed") {
  temp_dir dir;
  const std::string root = dir.path + "/root";
  auto s = fs_blob_store::open(root);
  REQUIRE(s);
  auto& store = **s;
  REQUIRE(store.put({"acme", "churn", 3}, "payload"));
  CHECK(std::filesystem::is_regular_file(root + "/acme/churn/3.mfm"));
  std::size_t files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(root)) files += e.is_regular_file();
  CHECK(files == 1);  // the temp file was renamed, not left behind

  // A symlink planted inside root pointing outside must not be followed by any operation.
  const std::string outside = dir.path + "/outside";
  std::filesystem::create_directories(outside + "/m");
  std::ofstream(outside + "/m/1.mfm") << "secret";
  std::filesystem::create_directory_symlink(outside, root + "/evil");
  CHECK(!store.get({"evil", "m", 1}, 100));
  CHECK(!store.put({"evil", "m", 2}, "x"));
  CHECK(!std::filesystem::exists(outside + "/m/2.mfm"));
  CHECK(mf::test::value_of(store.exists({"evil", "m", 1})) != true);
  REQUIRE(store.remove_prefix("evil"));  // removes the link, not the target
  CHECK(!std::filesystem::exists(root + "/evil"));
  CHECK(std::filesystem::exists(outside + "/m/1.mfm"));
  // A symlinked artifact file is refused too.
  std::filesystem::create_symlink(outside + "/m/1.mfm", root + "/acme/churn/4.mfm");
  CHECK(!store.get({"acme", "churn", 4}, 100));

  // Deleting a tenant removes its folder.
  REQUIRE(store.remove_prefix("acme"));
  CHECK(!std::filesystem::exists(root + "/acme"));
  CHECK(std::filesystem::exists(outside + "/m/1.mfm"));
}

namespace {
// Whether any page of the file is in the page cache (mincore of a read-only mapping).
bool any_page_resident(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  REQUIRE(map != MAP_FAILED);
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((size + page - 1) / page);
  REQUIRE(::mincore(map, size, resident.data()) == 0);
  ::munmap(map, size);
  for (unsigned char r : resident)
    if (r & 1) return true;
  return false;
}
}  // namespace

TEST_CASE("fs blob store: a read that must not wait answers from memory, or says it would wait") {
  temp_dir dir;
  const std::string root = dir.path + "/root";
  auto s = fs_blob_store::open(root);
  REQUIRE(s);
  auto& store = **s;
  const artifact_key key{"acme", "churn", 1};
  const std::string bytes(1 << 20, 'x');
  REQUIRE(store.put(key, bytes));
  // Just written: path and pages are in memory (kernel >= 5.12 has openat2 RESOLVE_CACHED).
  auto cached = store.get_if_cached(key, bytes.size());
  REQUIRE(cached);
  REQUIRE(cached->has_value());
  CHECK(**cached == bytes);
  CHECK(store.get_if_cached(key, bytes.size() - 1).error().code == mf::errc::payload_too_large);
  // Absent: not_found, or "would wait" when the kernel has no negative dentry to prove it.
  auto absent = store.get_if_cached({"acme", "churn", 2}, 100);
  CHECK((absent ? !absent->has_value() : absent.error().code == mf::errc::not_found));
  CHECK(store.get_if_cached({"../x", "churn", 1}, 100).error().code == mf::errc::invalid_name);

  // Symlinks anywhere on the path are refused, as by get().
  const std::string outside = dir.path + "/outside";
  std::filesystem::create_directories(outside + "/m");
  std::ofstream(outside + "/m/1.mfm") << "secret";
  std::filesystem::create_directory_symlink(outside, root + "/evil");
  CHECK(!store.get_if_cached({"evil", "m", 1}, 100));
  std::filesystem::create_symlink(outside + "/m/1.mfm", root + "/acme/churn/4.mfm");
  CHECK(!store.get_if_cached({"acme", "churn", 4}, 100));

  // Out of the page cache (clean pages: fsynced by put): "would wait", never a partial blob.
  const std::string file = root + "/acme/churn/1.mfm";
  {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
  if (!any_page_resident(file)) {  // the file system honoured the advice
    auto dropped = store.get_if_cached(key, bytes.size());
    REQUIRE(dropped);
    CHECK(!dropped->has_value());
  }
  CHECK(mf::test::value_of(store.get(key, bytes.size())) == bytes);  // reads it back in
  auto again = store.get_if_cached(key, bytes.size());
  REQUIRE(again);
  REQUIRE(again->has_value());
  CHECK(**again == bytes);
}

TEST_CASE("make_blob_store specs") {
  temp_dir dir;
  auto fs = make_blob_store("fs:" + dir.path + "/blobs");
  REQUIRE(fs);
  REQUIRE((*fs)->put({"t", "m", 1}, "x"));
  CHECK(make_blob_store("s3://bucket").error().code == mf::errc::invalid_input);
  CHECK(make_blob_store("redis").error().code == mf::errc::invalid_input);  // no url given
}
