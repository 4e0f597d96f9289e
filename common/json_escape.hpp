// json_escape: the body of a JSON string literal (no quotes) appended to any buffer with
// push_back(char) and append(std::string_view) — std::string, spdlog/fmt memory buffers. One
// escaping rule for the JSON log lines and the router's hand-written predict answers: the short
// escapes JSON has, \u00XX for the other control characters, every other byte as is.
#pragma once

#include <string_view>

namespace mf {

template <class Buffer>
void append_json_escaped(Buffer& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  for (char c : s) {
    switch (c) {
      case '"':
        out.append(std::string_view("\\\""));
        break;
      case '\\':
        out.append(std::string_view("\\\\"));
        break;
      case '\n':
        out.append(std::string_view("\\n"));
        break;
      case '\r':
        out.append(std::string_view("\\r"));
        break;
      case '\t':
        out.append(std::string_view("\\t"));
        break;
      case '\b':
        out.append(std::string_view("\\b"));
        break;
      case '\f':
        out.append(std::string_view("\\f"));
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          const char u[6] = {'\\', 'u', '0', '0', hex[(c >> 4) & 0xf], hex[c & 0xf]};
          out.append(std::string_view(u, sizeof u));
        } else {
          out.push_back(c);
        }
    }
  }
}

}  // namespace mf
