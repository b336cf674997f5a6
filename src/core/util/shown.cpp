#include "core/util/shown.hpp"

#include <cstdio>

namespace orch {

namespace {

void escape(std::string& out, unsigned c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  out += buf;
}

std::string escaped(std::string_view text, size_t max, bool keep_lines) {
  std::string out;
  size_t i = 0;
  for (; i < text.size() && out.size() < max; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    bool line_break = c == '\n' || c == '\t';
    if (line_break && !keep_lines) out += c == '\n' ? "\\n" : "\\t";
    else if ((c < 0x20 && !line_break) || c == 0x7f) escape(out, c);
    else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
             static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      escape(out, static_cast<unsigned char>(text[++i]));  // a C1 control, U+0080-U+009F
    } else {
      out += static_cast<char>(c);
    }
  }
  if (i < text.size()) {
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80) out.pop_back();  // a character's tail
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0) out.pop_back();              // and its lead byte
    out += "...";
  }
  return out;
}

}  // namespace

std::string shown(std::string_view text, size_t max) { return escaped(text, max, false); }

std::string terminal_safe(std::string_view message) { return escaped(message, std::string_view::npos, true); }

}  // namespace orch
