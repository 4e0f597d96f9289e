// payload: bounded reader/writer of dlib serialization primitives for model payloads.
#include <dlib/serialize.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <istream>
#include <sstream>
#include <streambuf>

#include "ml/internal.hpp"

namespace mf::ml::detail {
namespace {

// A read-only streambuf over memory, so dlib reads the payload without a copy.
class memory_buf : public std::streambuf {
 public:
  memory_buf(const char* begin, std::size_t size) {
    char* b = const_cast<char*>(begin);  // never written: get area only
    setg(b, b, b + size);
  }
  std::size_t left() const { return static_cast<std::size_t>(egptr() - gptr()); }
};

// A write-only streambuf appending to a std::string, so dlib writes straight into the payload.
class string_buf : public std::streambuf {
 public:
  explicit string_buf(std::string& out) : out_(out) {}

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_.push_back(static_cast<char>(c));
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.append(s, static_cast<std::size_t>(n));
    return n;
  }

 private:
  std::string& out_;
};

}  // namespace

struct payload_writer::stream {
  string_buf buf;
  std::ostream out;
  explicit stream(std::string& s) : buf(s), out(&buf) {}
};

payload_writer::payload_writer(std::string& out) : out_(std::make_unique<stream>(out)) {}
payload_writer::~payload_writer() = default;

namespace {
template <class T>
void write_one(std::ostream& out, const T& v) {
  dlib::serialize(v, out);
}

}  // namespace

void payload_writer::tag(std::string_view t) {
  write_one(out_->out, std::string(t));
}
void payload_writer::u64(std::uint64_t v) {
  write_one(out_->out, static_cast<unsigned long long>(v));
}
void payload_writer::f64(double v) {
  u64(std::bit_cast<std::uint64_t>(v));
}
void payload_writer::f64s(const std::vector<double>& v) {
  u64(v.size());
  for (double x : v) f64(x);
}
void payload_writer::u32s(const std::vector<std::uint32_t>& v) {
  u64(v.size());
  for (auto x : v) u64(x);
}
void payload_writer::f32s(const std::vector<float>& v) {
  u64(v.size());
  for (float x : v) u64(std::bit_cast<std::uint32_t>(x));
}

struct payload_reader::stream {
  memory_buf buf;
  std::istream in;
  stream(const char* data, std::size_t size) : buf(data, size), in(&buf) {}
};

payload_reader::payload_reader(std::string_view bytes)
    : in_(std::make_unique<stream>(bytes.data(), bytes.size())) {}
payload_reader::~payload_reader() = default;

std::size_t payload_reader::remaining() const {
  return in_->buf.left();
}

std::uint64_t payload_reader::read_u64() {
  unsigned long long v = 0;
  try {
    dlib::deserialize(v, in_->in);
  } catch (const dlib::serialization_error& e) {
    throw payload_error(std::string("payload: ") + e.what());
  }
  if (!in_->in) throw payload_error("payload: truncated");
  return v;
}

void payload_reader::expect_tag(std::string_view t) {
  // dlib strings are a length then bytes: check the length before reading any of it.
  const std::uint64_t n = u64(remaining());
  if (n != t.size()) throw payload_error("payload: expected section '" + std::string(t) + "'");
  std::string got(n, '\0');
  if (!in_->in.read(got.data(), static_cast<std::streamsize>(n)) || got != t) {
    throw payload_error("payload: expected section '" + std::string(t) + "'");
  }
}

std::uint64_t payload_reader::u64(std::uint64_t max) {
  const auto v = read_u64();
  if (v > max)
    throw payload_error("payload: value " + std::to_string(v) + " exceeds " + std::to_string(max));
  return v;
}

double payload_reader::f64() {
  return std::bit_cast<double>(read_u64());
}

double payload_reader::finite_f64() {
  const double v = f64();
  if (!std::isfinite(v)) throw payload_error("payload: non-finite parameter");
  return v;
}

std::vector<double> payload_reader::f64s(std::size_t expected_count) {
  auto v = f64s_upto(expected_count);
  if (v.size() != expected_count) throw payload_error("payload: wrong vector length");
  return v;
}

std::vector<double> payload_reader::f64s_upto(std::size_t max_count) {
  // Each element takes at least one byte, so remaining() bounds any honest count.
  const auto n = u64(std::min<std::uint64_t>(max_count, remaining()));
  std::vector<double> v(n);
  for (auto& x : v) x = finite_f64();
  return v;
}

std::vector<std::uint32_t> payload_reader::u32s_upto(std::size_t max_count) {
  const auto n = u64(std::min<std::uint64_t>(max_count, remaining()));
  std::vector<std::uint32_t> v(n);
  for (auto& x : v) x = static_cast<std::uint32_t>(u64(0xffffffffu));
  return v;
}

std::vector<float> payload_reader::f32s_upto(std::size_t max_count) {
  const auto n = u64(std::min<std::uint64_t>(max_count, remaining()));
  std::vector<float> v(n);
  for (auto& x : v) {
    x = std::bit_cast<float>(static_cast<std::uint32_t>(u64(0xffffffffu)));
    if (!std::isfinite(x)) throw payload_error("payload: non-finite parameter");
  }
  return v;
}

}  // namespace mf::ml::detail
