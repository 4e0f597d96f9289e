// redis_reply: an owning copy of one Redis reply (nil, integer, string, status, array, error),
// so no raw hiredis object escapes the client. Value type; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mf::cluster {

class redis_reply {
 public:
  enum class kind { nil, integer, string, status, array, error };

  redis_reply() = default;
  static redis_reply nil() { return redis_reply(); }
  static redis_reply integer(std::int64_t v) {
    redis_reply r;
    r.kind_ = kind::integer;
    r.integer_ = v;
    return r;
  }
  static redis_reply string(std::string s) { return text(kind::string, std::move(s)); }
  static redis_reply status(std::string s) { return text(kind::status, std::move(s)); }
  static redis_reply error(std::string s) { return text(kind::error, std::move(s)); }
  static redis_reply array(std::vector<redis_reply> elements) {
    redis_reply r;
    r.kind_ = kind::array;
    r.elements_ = std::move(elements);
    return r;
  }

  kind type() const noexcept { return kind_; }
  bool is_nil() const noexcept { return kind_ == kind::nil; }
  bool is_error() const noexcept { return kind_ == kind::error; }
  bool is_integer() const noexcept { return kind_ == kind::integer; }
  bool is_string() const noexcept { return kind_ == kind::string; }
  bool is_status() const noexcept { return kind_ == kind::status; }
  bool is_array() const noexcept { return kind_ == kind::array; }

  std::int64_t as_integer() const noexcept { return integer_; }
  // Text of a string, status or error reply (empty otherwise).
  const std::string& str() const noexcept { return text_; }
  const std::vector<redis_reply>& elements() const noexcept { return elements_; }
  std::vector<redis_reply>& elements() noexcept { return elements_; }

  // A string reply's text, or nullopt (nil or another kind).
  std::optional<std::string> as_string() const {
    if (kind_ == kind::string) return text_;
    return std::nullopt;
  }

 private:
  static redis_reply text(kind k, std::string s) {
    redis_reply r;
    r.kind_ = k;
    r.text_ = std::move(s);
    return r;
  }

  kind kind_ = kind::nil;
  std::int64_t integer_ = 0;
  std::string text_;
  std::vector<redis_reply> elements_;
};

}  // namespace mf::cluster
