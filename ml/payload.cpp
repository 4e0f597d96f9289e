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
  std::size_t consumed() const { return static_cast<std::size_t>(gptr() - eback()); }
};

template <class T>
void write_one(std::string& out, const T& v) {
  std::ostringstream os;
  dlib::serialize(v, os);
  out += os.str();
}

}  // namespace

void payload_writer::tag(std::string_view t) {
  write_one(out_, std::string(t));
}
void payload_writer::u64(std::uint64_t v) {
  write_one(out_, static_cast<unsigned long long>(v));
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

template <class T>
T payload_reader::read_primitive() {
  memory_buf buf(bytes_.data() + pos_, bytes_.size() - pos_);
  std::istream in(&buf);
  T v{};
  try {
    dlib::deserialize(v, in);
  } catch (const dlib::serialization_error& e) {
    throw payload_error(std::string("payload: ") + e.what());
  }
  if (!in) throw payload_error("payload: truncated");
  pos_ += buf.consumed();
  return v;
}

void payload_reader::expect_tag(std::string_view t) {
  // dlib strings are a length then bytes: check the length before reading any of it.
  const std::uint64_t n = u64(remaining());
  if (n != t.size() || std::string_view(bytes_.data() + pos_, n) != t) {
    throw payload_error("payload: expected section '" + std::string(t) + "'");
  }
  pos_ += n;
}

std::uint64_t payload_reader::u64(std::uint64_t max) {
  const auto v = read_primitive<unsigned long long>();
  if (v > max)
    throw payload_error("payload: value " + std::to_string(v) + " exceeds " + std::to_string(max));
  return v;
}

double payload_reader::f64() {
  return std::bit_cast<double>(static_cast<std::uint64_t>(read_primitive<unsigned long long>()));
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
