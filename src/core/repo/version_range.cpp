#include "core/repo/version_range.hpp"

#include <cctype>
#include <sstream>

namespace orch::repo {

namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at; (at = s.find(sep, start)) != std::string::npos; start = at + sep.size()) out.push_back(s.substr(start, at - start));
  out.push_back(s.substr(start));
  return out;
}

bool wildcard(const std::string& s) { return s.empty() || s == "*" || s == "x" || s == "X"; }

// The lowest version above every version the partial names: "1.2" -> 1.3.0, "1" -> 2.0.0.
Version bump(const Version& p) {
  Version n;
  n.parts = p.parts;
  if (n.parts.empty()) return n;
  n.parts.back() += 1;
  return n;
}

// One npm comparator ("^1.2", ">=20", "1.x"); nullopt when unreadable.
std::optional<bool> comparator(const std::string& c, const Version& v) {
  size_t i = 0;
  while (i < c.size() && std::string("<>=~^").find(c[i]) != std::string::npos) ++i;
  std::string op = c.substr(0, i), rest = c.substr(i);
  if (!rest.empty() && (rest[0] == 'v' || rest[0] == '=')) rest = rest.substr(1);
  // "1.x", "1.*": a partial version.
  std::string digits;
  for (const auto& piece : split(rest, ".")) {
    if (wildcard(piece)) break;
    digits += (digits.empty() ? "" : ".") + piece;
  }
  if (wildcard(rest) || digits.empty())
    return op.empty() || op == ">=" || op == "=" || op == "^" || op == "~" ? std::optional<bool>(true) : std::nullopt;
  auto p = Version::parse(digits);
  if (!p) return std::nullopt;
  auto ge = [&](const Version& x) { return compare(v, x) >= 0; };
  auto lt = [&](const Version& x) { return compare(v, x) < 0; };
  if (op.empty() || op == "=") return p->parts.size() >= 3 ? compare(v, *p) == 0 : ge(*p) && lt(bump(*p));
  if (op == ">=") return ge(*p);
  if (op == ">") return p->parts.size() >= 3 ? compare(v, *p) > 0 : ge(bump(*p));
  if (op == "<") return lt(*p);
  if (op == "<=") return p->parts.size() >= 3 ? compare(v, *p) <= 0 : lt(bump(*p));
  if (op == "~" || op == "~>") {
    Version upper;
    upper.parts = {p->at(0)};
    if (p->parts.size() >= 2) upper.parts.push_back(p->at(1));
    return ge(*p) && lt(bump(upper));
  }
  if (op == "^") {
    Version upper;
    for (size_t k = 0; k < p->parts.size(); ++k) {
      upper.parts.push_back(p->parts[k]);
      if (p->parts[k] != 0) break;
    }
    return ge(*p) && lt(bump(upper));
  }
  return std::nullopt;
}

}  // namespace

std::optional<Version> Version::parse(std::string text) {
  text = trim(text);
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text = text.substr(1);
  Version v;
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j - i > 6) return std::nullopt;
    v.parts.push_back(std::stoi(text.substr(i, j - i)));
    if (j >= text.size() || text[j] != '.') break;
    i = j + 1;
  }
  if (v.parts.empty()) return std::nullopt;
  return v;
}

int compare(const Version& a, const Version& b) {
  for (size_t i = 0; i < 3; ++i)
    if (a.at(i) != b.at(i)) return a.at(i) < b.at(i) ? -1 : 1;
  return 0;
}

std::optional<bool> npm_range_satisfied(const std::string& range, const Version& v) {
  bool any_readable = false;
  for (auto alt : split(range, "||")) {
    alt = trim(alt);
    std::vector<std::string> words;
    std::istringstream in(alt);
    for (std::string w; in >> w;) {
      // ">= 20" is written with a space now and then.
      if (!words.empty() && words.back().find_first_not_of("<>=~^") == std::string::npos) words.back() += w;
      else words.push_back(w);
    }
    std::vector<std::string> comparators;
    if (words.size() == 3 && words[1] == "-") comparators = {">=" + words[0], "<=" + words[2]};
    else comparators = words;
    if (comparators.empty()) comparators.push_back("*");
    bool all = true, readable = true;
    for (const auto& c : comparators) {
      auto r = comparator(c, v);
      if (!r) readable = false;
      else if (!*r) all = false;
    }
    if (!readable) continue;
    any_readable = true;
    if (all) return true;
  }
  if (!any_readable) return std::nullopt;
  return false;
}

std::optional<bool> pep440_satisfied(const std::string& spec, const Version& v) {
  for (auto clause : split(spec, ",")) {
    clause = trim(clause);
    if (clause.empty()) continue;
    size_t i = 0;
    while (i < clause.size() && std::string("<>=!~").find(clause[i]) != std::string::npos) ++i;
    std::string op = clause.substr(0, i), rest = trim(clause.substr(i));
    bool prefix = rest.size() >= 2 && rest.compare(rest.size() - 2, 2, ".*") == 0;
    if (prefix) rest.resize(rest.size() - 2);
    auto p = Version::parse(rest);
    if (!p) return std::nullopt;
    int c = compare(v, *p);
    auto same_prefix = [&] {
      for (size_t k = 0; k < p->parts.size(); ++k)
        if (v.at(k) != p->parts[k]) return false;
      return true;
    };
    bool ok;
    if (op == "==" || op == "===") ok = prefix ? same_prefix() : c == 0;
    else if (op == "!=") ok = prefix ? !same_prefix() : c != 0;
    else if (op == ">=") ok = c >= 0;
    else if (op == "<=") ok = c <= 0;
    else if (op == ">") ok = c > 0;
    else if (op == "<") ok = c < 0;
    else if (op == "~=" && p->parts.size() >= 2) {
      Version head;
      head.parts.assign(p->parts.begin(), p->parts.end() - 1);
      ok = c >= 0 && compare(v, bump(head)) < 0;
    } else {
      return std::nullopt;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace orch::repo
