#include "core/repo/scan.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>

#include "core/error.hpp"
#include "core/repo/tree.hpp"
#include "core/util/hash.hpp"

namespace orch::repo {

namespace {

struct Pattern {
  const char* rule;
  std::regex re;
  int group;  // the capture that is the secret itself
};

const std::vector<Pattern>& patterns() {
  static const auto flags = std::regex::ECMAScript | std::regex::optimize;
  static const std::vector<Pattern> p = {
      {"aws-access-key-id", std::regex(R"(\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b)", flags), 1},
      {"aws-secret-access-key",
       std::regex(R"(aws_?secret_?(?:access_?)?key\s*["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})\b)", flags | std::regex::icase), 1},
      {"github-token", std::regex(R"(\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b)", flags), 1},
      {"gitlab-token", std::regex(R"(\b(glpat-[A-Za-z0-9_-]{20,})\b)", flags), 1},
      {"slack-token", std::regex(R"(\b(xox[baprs]-[A-Za-z0-9-]{10,}))", flags), 1},
      {"stripe-secret-key", std::regex(R"(\b((?:sk|rk)_live_[A-Za-z0-9]{24,}))", flags), 1},
      {"google-api-key", std::regex(R"(\b(AIza[0-9A-Za-z_-]{35}))", flags), 1},
      {"npm-token", std::regex(R"(\b(npm_[A-Za-z0-9]{36}))", flags), 1},
      {"url-credentials", std::regex(R"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'"<>]+:([^\s/@'"<>]+)@[A-Za-z0-9_.-]+)", flags), 1},
      {"private-key", std::regex(R"((-----BEGIN (?:RSA |DSA |EC |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----))", flags), 1},
      {"generic-secret",
       std::regex(
           R"(([A-Za-z0-9_.-]*(?:secret|token|passwd|password|api_?key|apikey|access_?key|auth_?key|credential)[A-Za-z0-9_.-]*)["']?\s*(?::=|=>|[:=])\s*["']([^"'\s]{16,})["'])",
           flags | std::regex::icase),
       2},
  };
  return p;
}

struct RiskyName {
  const char* glob;
  const char* rule;
};

const std::vector<RiskyName>& risky_names() {
  static const std::vector<RiskyName> r = {
      {".env", "risky-file-env"}, {".env.local", "risky-file-env"}, {".env.production", "risky-file-env"},
      {"id_rsa", "risky-file-ssh-key"}, {"id_dsa", "risky-file-ssh-key"}, {"id_ecdsa", "risky-file-ssh-key"},
      {"id_ed25519", "risky-file-ssh-key"}, {"*.pem", "risky-file-key"}, {"*.key", "risky-file-key"},
      {"*.p12", "risky-file-key"}, {"*.pfx", "risky-file-key"}, {"*.jks", "risky-file-key"}, {"*.keystore", "risky-file-key"},
      {".git-credentials", "risky-file-credentials"}, {".pypirc", "risky-file-credentials"}, {".htpasswd", "risky-file-credentials"},
      {".netrc", "risky-file-credentials"}, {"credentials", "risky-file-credentials"}, {"*.tfstate", "risky-file-credentials"},
      {"*.kdbx", "risky-file-credentials"}};
  return r;
}

// Values that look like secrets but are placeholders or references.
bool placeholder(const std::string& v) {
  std::string l = v;
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* p : {"example", "changeme", "placeholder", "your_", "your-", "xxxx", "****", "${", "{{", "<", "dummy", "redacted"})
    if (l.find(p) != std::string::npos) return true;
  return false;
}

// URL passwords in docs and configs are often stand-ins or taken from the environment.
bool placeholder_password(const std::string& v) {
  if (v.size() < 3) return true;  // "u:p@host", "a:b@": stand-ins in tests and docs
  if (placeholder(v) || v.find('$') != std::string::npos || v.find('%') != std::string::npos || v.find('{') != std::string::npos)
    return true;
  std::string l = v;
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"password", "passwd", "pass", "pwd", "secret", "token", "pw", "x", "user", "foo", "bar"})
    if (l == word) return true;
  return false;
}

// A .pem of certificates alone is public (a CA bundle, a test server's certificate); a key in one
// is what the risky-file rule is for.
bool certificates_only(const Tree& tree, const std::string& path) {
  try {
    std::string d = read_tree_file(tree.root, path, 1 << 20);
    return d.find("-----BEGIN CERTIFICATE-----") != std::string::npos && d.find("PRIVATE KEY") == std::string::npos;
  } catch (const Error&) {
    return false;  // unreadable or large: judged by its name
  }
}

const Rule& rule(const std::string& id) {
  for (const auto& r : scan_rules())
    if (r.id == id) return r;
  throw Error(ErrorKind::Infrastructure, "unknown scan rule " + id);
}

bool allowed(const Finding& f, const std::vector<AllowEntry>& allow) {
  for (const auto& a : allow) {
    if (!a.fingerprint.empty() && a.fingerprint != f.fingerprint) continue;
    if (!a.rule.empty() && a.rule != f.rule_id) continue;
    if (!a.path_glob.empty() && ::fnmatch(a.path_glob.c_str(), f.file.c_str(), 0) != 0) continue;
    return true;
  }
  return false;
}

}  // namespace

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Low: return "low";
    case Severity::Medium: return "medium";
    case Severity::High: return "high";
    case Severity::Critical: return "critical";
  }
  return "medium";
}

Severity parse_severity(const std::string& t) {
  if (t == "low") return Severity::Low;
  if (t == "medium") return Severity::Medium;
  if (t == "high") return Severity::High;
  if (t == "critical") return Severity::Critical;
  throw Error(ErrorKind::BadInput, "severity '" + t + "' must be low, medium, high or critical");
}

const std::vector<Rule>& scan_rules() {
  static const std::vector<Rule> r = {
      {"aws-access-key-id", "AWS access key ID", "An AWS access key ID (AKIA/ASIA...) is committed.", Severity::Critical, "cloud keys"},
      {"aws-secret-access-key", "AWS secret access key", "An AWS secret access key is assigned in the code.", Severity::Critical,
       "cloud keys"},
      {"google-api-key", "Google API key", "A Google API key is committed.", Severity::High, "cloud keys"},
      {"github-token", "GitHub token", "A GitHub personal access, OAuth, app or refresh token is committed.", Severity::Critical,
       "service tokens"},
      {"gitlab-token", "GitLab token", "A GitLab personal access token is committed.", Severity::High, "service tokens"},
      {"slack-token", "Slack token", "A Slack bot, user or app token is committed.", Severity::High, "service tokens"},
      {"stripe-secret-key", "Stripe secret key", "A live Stripe secret or restricted key is committed.", Severity::Critical,
       "service tokens"},
      {"npm-token", "npm token", "An npm access token is committed.", Severity::High, "service tokens"},
      {"private-key", "Private key", "A PEM or OpenSSH private key is committed.", Severity::Critical, "private keys"},
      {"url-credentials", "Credentials in a URL", "A URL carries a user name and password (scheme://user:password@host).", Severity::High,
       "credentials in URLs"},
      {"generic-secret", "High-entropy secret in an assignment", "A password, token or key-like name is assigned a random-looking literal.",
       Severity::Medium, "generic secrets"},
      {"risky-file-env", "Environment file", "A .env file is committed; these usually hold credentials.", Severity::Medium, "risky files"},
      {"risky-file-ssh-key", "SSH private key file", "An SSH private key file is committed.", Severity::High, "risky files"},
      {"risky-file-key", "Key or certificate store", "A key, certificate or keystore file is committed.", Severity::Medium, "risky files"},
      {"risky-file-credentials", "Credentials file", "A file that usually holds credentials is committed.", Severity::Medium,
       "risky files"},
  };
  return r;
}

std::string rule_families_text() {
  std::vector<std::pair<std::string, std::string>> families;
  for (const auto& r : scan_rules()) {
    auto it = std::find_if(families.begin(), families.end(), [&](const auto& f) { return f.first == r.family; });
    if (it == families.end()) families.emplace_back(r.family, r.id);
    else it->second += ", " + r.id;
  }
  std::string out;
  for (const auto& [family, ids] : families) out += "  " + family + ": " + ids + "\n";
  return out;
}

double entropy(std::string_view s) {
  if (s.empty()) return 0;
  int freq[256] = {};
  for (unsigned char c : s) ++freq[c];
  double h = 0;
  for (int f : freq) {
    if (!f) continue;
    double p = static_cast<double>(f) / static_cast<double>(s.size());
    h -= p * std::log2(p);
  }
  return h;
}

std::string redact_secret(std::string_view secret) {
  size_t keep = secret.size() >= 16 ? 4 : secret.size() >= 8 ? 2 : 0;
  return std::string(secret.substr(0, keep)) + std::string(std::min<size_t>(secret.size() - keep, 12), '*');
}

std::vector<AllowEntry> parse_allowlist(const std::string& text) {
  std::vector<AllowEntry> out;
  size_t start = 0;
  int lineno = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    ++lineno;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    AllowEntry e;
    size_t p = 0;
    bool any = false;
    while (p < line.size()) {
      size_t q = line.find_first_of(" \t\r", p);
      std::string tok = line.substr(p, q == std::string::npos ? std::string::npos : q - p);
      p = q == std::string::npos ? line.size() : q + 1;
      if (tok.empty()) continue;
      any = true;
      if (tok.rfind("fingerprint:", 0) == 0) e.fingerprint = tok.substr(12);
      else if (tok.rfind("rule:", 0) == 0) e.rule = tok.substr(5);
      else if (tok.rfind("path:", 0) == 0) e.path_glob = tok.substr(5);
      else throw Error(ErrorKind::BadInput, "allowlist line " + std::to_string(lineno) + ": '" + tok +
                                                "' is not fingerprint:HEX, rule:ID or path:GLOB");
      if (tok.back() == ':') throw Error(ErrorKind::BadInput, "allowlist line " + std::to_string(lineno) + ": '" + tok + "' has no value");
    }
    if (any) out.push_back(e);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

ScanReport scan_tree(const Tree& tree, const std::vector<AllowEntry>& allow, int64_t max_file_bytes) {
  ScanReport rep;
  auto add = [&](Finding f, const std::string& secret) {
    f.severity = rule(f.rule_id).severity;
    f.fingerprint = stable_hash_hex(f.rule_id + "\n" + f.file + "\n" + secret);
    if (allowed(f, allow)) {
      ++rep.allowlisted;
      return;
    }
    rep.findings.push_back(std::move(f));
  };
  for (const auto& e : tree.entries) {
    if (e.kind != TreeEntry::Kind::File) continue;
    std::string b = base_name(e.path);
    for (const auto& r : risky_names()) {
      if (::fnmatch(r.glob, b.c_str(), 0) != 0) continue;
      if (std::string_view(r.glob) == "*.pem" && certificates_only(tree, e.path)) break;
      Finding f{r.rule, Severity::Medium, e.path, 0, 0, "", rule(r.rule).name + ": " + e.path, ""};
      add(std::move(f), "");
      break;
    }
    if (e.size > max_file_bytes) {
      ++rep.files_skipped;
      continue;
    }
    std::string data;
    try {
      data = read_tree_file(tree.root, e.path, max_file_bytes);
    } catch (const Error&) {
      ++rep.files_skipped;
      continue;
    }
    if (data.substr(0, 8000).find('\0') != std::string::npos) {
      ++rep.files_skipped;
      continue;
    }
    ++rep.files_scanned;
    int lineno = 0;
    size_t start = 0;
    while (start < data.size()) {
      size_t nl = data.find('\n', start);
      std::string line = data.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      start = nl == std::string::npos ? data.size() : nl + 1;
      ++lineno;
      // Minified bundles are one huge line of noise; marked lines are known and accepted.
      if (line.size() > 4000 || line.find("orch:allow") != std::string::npos) continue;
      for (const auto& p : patterns()) {
        for (std::sregex_iterator it(line.begin(), line.end(), p.re), end; it != end; ++it) {
          std::string secret = (*it)[p.group].str();
          std::string rule_id = p.rule;
          if (rule_id == "generic-secret" && (placeholder(secret) || entropy(secret) < 3.5)) continue;
          if (rule_id == "url-credentials" && placeholder_password(secret)) continue;
          std::string shown = redact_secret(secret);
          // A URL is shown whole with only its password masked, so the reader sees where it points.
          if (rule_id == "url-credentials") {
            std::string url = it->str();
            shown = url.substr(0, static_cast<size_t>(it->position(p.group) - it->position())) + shown +
                    url.substr(static_cast<size_t>(it->position(p.group) - it->position()) + secret.size());
          }
          Finding f{p.rule, Severity::Medium, e.path, lineno, static_cast<int>(it->position(p.group)) + 1, shown, "", ""};
          f.message = rule(p.rule).name + " (" + f.redacted + ")";
          add(std::move(f), secret);
        }
      }
    }
  }
  std::stable_sort(rep.findings.begin(), rep.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.file != b.file ? a.file < b.file : a.line < b.line; });
  return rep;
}

bool reaches(const ScanReport& r, Severity threshold) {
  return std::any_of(r.findings.begin(), r.findings.end(), [&](const Finding& f) { return f.severity >= threshold; });
}

}  // namespace orch::repo
