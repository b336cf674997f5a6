#include "core/repo/xml.hpp"

#include <cstdlib>

#include "core/error.hpp"

namespace orch::repo::xml {

namespace {

constexpr int kMaxDepth = 64;

[[noreturn]] void bad(const std::string& what, size_t at) {
  throw Error(ErrorKind::BadInput, "malformed XML at byte " + std::to_string(at) + ": " + what);
}

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x110000) {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes entities; an unknown one is kept as written rather than failing the whole file.
std::string decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      out += '&';
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "lt") out += '<';
    else if (ent == "gt") out += '>';
    else if (ent == "amp") out += '&';
    else if (ent == "quot") out += '"';
    else if (ent == "apos") out += '\'';
    else if (!ent.empty() && ent[0] == '#') {
      std::string num(ent.substr(1));
      unsigned long cp = (!num.empty() && (num[0] == 'x' || num[0] == 'X')) ? std::strtoul(num.c_str() + 1, nullptr, 16)
                                                                            : std::strtoul(num.c_str(), nullptr, 10);
      append_utf8(out, cp);
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  std::unique_ptr<Node> document() {
    skip_misc();
    if (pos_ >= s_.size() || s_[pos_] != '<') bad("no root element", pos_);
    auto root = element(0);
    return root;
  }

 private:
  bool starts(std::string_view p) const { return s_.substr(pos_, p.size()) == p; }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }

  void skip_past(std::string_view end) {
    size_t e = s_.find(end, pos_);
    if (e == std::string_view::npos) bad("unterminated construct", pos_);
    pos_ = e + end.size();
  }

  // Prolog, comments, PIs and DOCTYPE (internal subsets included) between elements.
  void skip_misc() {
    for (;;) {
      skip_ws();
      if (starts("\xEF\xBB\xBF")) pos_ += 3;
      else if (starts("<?")) skip_past("?>");
      else if (starts("<!--")) skip_past("-->");
      else if (starts("<!DOCTYPE")) {
        size_t bracket = s_.find('[', pos_), close = s_.find('>', pos_);
        if (bracket != std::string_view::npos && bracket < close) skip_past("]>");
        else skip_past(">");
      } else return;
    }
  }

  std::string name() {
    size_t start = pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/' || c == '>' || c == '=') break;
      ++pos_;
    }
    if (pos_ == start) bad("expected a name", pos_);
    return std::string(s_.substr(start, pos_ - start));
  }

  std::unique_ptr<Node> element(int depth) {
    if (depth > kMaxDepth) bad("nesting deeper than 64", pos_);
    ++pos_;  // '<'
    auto node = std::make_unique<Node>();
    node->name = name();
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size()) bad("unterminated tag <" + node->name, pos_);
      if (starts("/>")) {
        pos_ += 2;
        return node;
      }
      if (s_[pos_] == '>') {
        ++pos_;
        break;
      }
      std::string key = name();
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '=') bad("attribute " + key + " without a value", pos_);
      ++pos_;
      skip_ws();
      if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) bad("unquoted attribute " + key, pos_);
      char q = s_[pos_++];
      size_t end = s_.find(q, pos_);
      if (end == std::string_view::npos) bad("unterminated attribute " + key, pos_);
      node->attrs[key] = decode(s_.substr(pos_, end - pos_));
      pos_ = end + 1;
    }
    for (;;) {
      if (pos_ >= s_.size()) bad("unterminated element <" + node->name + ">", pos_);
      if (starts("</")) {
        pos_ += 2;
        std::string closing = name();
        if (closing != node->name) bad("</" + closing + "> closes <" + node->name + ">", pos_);
        skip_ws();
        if (pos_ >= s_.size() || s_[pos_] != '>') bad("unterminated closing tag", pos_);
        ++pos_;
        return node;
      }
      if (starts("<![CDATA[")) {
        size_t end = s_.find("]]>", pos_ + 9);
        if (end == std::string_view::npos) bad("unterminated CDATA", pos_);
        node->text.append(s_.substr(pos_ + 9, end - pos_ - 9));
        pos_ = end + 3;
      } else if (starts("<!--")) {
        skip_past("-->");
      } else if (starts("<?")) {
        skip_past("?>");
      } else if (s_[pos_] == '<') {
        node->children.push_back(element(depth + 1));
      } else {
        size_t end = s_.find('<', pos_);
        if (end == std::string_view::npos) end = s_.size();
        node->text += decode(s_.substr(pos_, end - pos_));
        pos_ = end;
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::string Node::attr(const std::string& key, const std::string& fallback) const {
  auto it = attrs.find(key);
  return it == attrs.end() ? fallback : it->second;
}

std::vector<const Node*> Node::all(const std::string& child_name) const {
  std::vector<const Node*> out;
  for (const auto& c : children)
    if (c->name == child_name) out.push_back(c.get());
  return out;
}

const Node* Node::first(const std::string& child_name) const {
  for (const auto& c : children)
    if (c->name == child_name) return c.get();
  return nullptr;
}

std::unique_ptr<Node> parse(std::string_view text) { return Parser(text).document(); }

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= text.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    }
  }
  return out;
}

std::string escape(std::string_view raw, bool attribute) {
  std::string text = sanitize_utf8(raw);
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      case '\r': out += "&#13;"; break;
      default:
        // Other control characters are not allowed in XML 1.0 at all.
        if (static_cast<unsigned char>(ch) >= 0x20) out += ch;
    }
  }
  return out;
}

}  // namespace orch::repo::xml
