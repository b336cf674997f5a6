#include "core/kube/yaml.hpp"

#include <string>
#include <vector>

#include "core/error.hpp"

namespace orch::kube {

using nlohmann::json;

namespace {

struct Line {
  size_t indent = 0;
  std::string text;
  int number = 0;
};

[[noreturn]] void fail(int line, const std::string& what) {
  throw Error(ErrorKind::BadInput, "YAML line " + std::to_string(line) + ": " + what);
}

// Cuts a trailing comment: a '#' at the start or after a space, outside quotes.
std::string strip_comment(const std::string& s) {
  bool single = false, dbl = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (dbl) {
      if (c == '\\') ++i;
      else if (c == '"') dbl = false;
    } else if (single) {
      if (c == '\'') single = false;
    } else if (c == '"' && (i == 0 || s[i - 1] == ' ')) {
      dbl = true;
    } else if (c == '\'' && (i == 0 || s[i - 1] == ' ')) {
      single = true;
    } else if (c == '#' && (i == 0 || s[i - 1] == ' ')) {
      return s.substr(0, i);
    }
  }
  return s;
}

std::string rtrim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

bool is_seq_item(const std::string& t) { return t == "-" || t.rfind("- ", 0) == 0; }

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Reads a quoted scalar starting at s[0]; `end` receives the index after the closing quote.
std::string quoted(const std::string& s, size_t& end, int line) {
  char q = s[0];
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (q == '\'' && c == '\'') {
      if (i + 1 < s.size() && s[i + 1] == '\'') {
        out += '\'';
        ++i;
        continue;
      }
      end = i + 1;
      return out;
    }
    if (q == '"' && c == '"') {
      end = i + 1;
      return out;
    }
    if (q == '"' && c == '\\' && i + 1 < s.size()) {
      char e = s[++i];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '0': out += '\0'; break;
        case 'u':
          if (i + 4 >= s.size()) fail(line, "short \\u escape");
          append_utf8(out, static_cast<unsigned>(std::stoul(s.substr(i + 1, 4), nullptr, 16)));
          i += 4;
          break;
        default: out += e;
      }
      continue;
    }
    out += c;
  }
  fail(line, "unterminated quoted string");
}

json scalar(const std::string& text, int line) {
  if (text.empty()) return nullptr;
  char c = text[0];
  if (c == '"' || c == '\'') {
    size_t end = 0;
    std::string v = quoted(text, end, line);
    if (end != text.size()) fail(line, "text after a quoted string");
    return v;
  }
  if (c == '{' || c == '[') {
    try {
      return json::parse(text);
    } catch (const json::exception&) {
      fail(line, "flow collections other than JSON ones are not supported");
    }
  }
  if (c == '&' || c == '*' || c == '|' || c == '>' || c == '!')
    fail(line, "anchors, aliases, tags and block scalars are not supported");
  if (text == "true") return true;
  if (text == "false") return false;
  if (text == "null" || text == "~") return nullptr;
  return text;
}

class Parser {
 public:
  explicit Parser(std::vector<Line> lines) : lines_(std::move(lines)) {}

  json document() {
    if (lines_.empty()) return json::object();
    json v = block(lines_[0].indent);
    if (pos_ < lines_.size()) fail(lines_[pos_].number, "unexpected indentation");
    return v;
  }

 private:
  json block(size_t indent) {
    const Line& l = lines_[pos_];
    if (is_seq_item(l.text)) return sequence(indent);
    std::string key, rest;
    if (split_entry(l, key, rest)) return mapping(indent);
    ++pos_;
    return scalar(l.text, l.number);
  }

  // "key: value" or "key:"; false when the line is not a mapping entry.
  static bool split_entry(const Line& l, std::string& key, std::string& rest) {
    const std::string& t = l.text;
    size_t colon;
    if (t[0] == '"' || t[0] == '\'') {
      size_t end = 0;
      key = quoted(t, end, l.number);
      if (end >= t.size() || t[end] != ':') return false;
      colon = end;
    } else {
      colon = t.find(": ");
      if (colon == std::string::npos) {
        if (t.back() != ':') return false;
        colon = t.size() - 1;
      }
      key = rtrim(t.substr(0, colon));
    }
    size_t value = t.find_first_not_of(' ', colon + 1);
    rest = value == std::string::npos ? "" : t.substr(value);
    return true;
  }

  json mapping(size_t indent) {
    json obj = json::object();
    while (pos_ < lines_.size() && lines_[pos_].indent == indent && !is_seq_item(lines_[pos_].text)) {
      const Line& l = lines_[pos_];
      std::string key, rest;
      if (!split_entry(l, key, rest)) fail(l.number, "expected 'key: value'");
      if (obj.contains(key)) fail(l.number, "duplicate key '" + key + "'");
      ++pos_;
      if (!rest.empty()) {
        obj[key] = scalar(rest, l.number);
      } else if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
        obj[key] = block(lines_[pos_].indent);
      } else if (pos_ < lines_.size() && lines_[pos_].indent == indent && is_seq_item(lines_[pos_].text)) {
        obj[key] = sequence(indent);
      } else {
        obj[key] = nullptr;
      }
    }
    if (pos_ < lines_.size() && lines_[pos_].indent > indent) fail(lines_[pos_].number, "unexpected indentation");
    return obj;
  }

  json sequence(size_t indent) {
    json arr = json::array();
    while (pos_ < lines_.size() && lines_[pos_].indent == indent && is_seq_item(lines_[pos_].text)) {
      Line& l = lines_[pos_];
      size_t start = l.text.find_first_not_of(' ', 1);
      if (start == std::string::npos) {
        ++pos_;
        bool child = pos_ < lines_.size() && lines_[pos_].indent > indent;
        arr.push_back(child ? block(lines_[pos_].indent) : json(nullptr));
        continue;
      }
      // "- key: v" opens a node whose further lines are indented to where "key" starts.
      l.indent = indent + start;
      l.text = l.text.substr(start);
      arr.push_back(block(l.indent));
    }
    return arr;
  }

  std::vector<Line> lines_;
  size_t pos_ = 0;
};

}  // namespace

json parse_yaml(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (text[first] == '{' || text[first] == '[')) {
    try {
      return json::parse(text);
    } catch (const json::exception& e) {
      throw Error(ErrorKind::BadInput, std::string("invalid JSON: ") + e.what());
    }
  }
  std::vector<Line> lines;
  bool started = false;
  int number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string raw(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++number;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    size_t indent = raw.find_first_not_of(' ');
    if (indent != std::string::npos && raw[indent] == '\t') fail(number, "tabs cannot indent YAML");
    std::string t = indent == std::string::npos ? "" : rtrim(strip_comment(raw.substr(indent)));
    if (t.empty()) continue;
    if (indent == 0 && (t == "---" || t == "...")) {
      if (started && t == "---") fail(number, "only one document is supported");
      continue;
    }
    started = true;
    lines.push_back({indent, t, number});
  }
  return Parser(std::move(lines)).document();
}

}  // namespace orch::kube
