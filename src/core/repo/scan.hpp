#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/repo/tree.hpp"

namespace orch::repo {

enum class Severity { Low, Medium, High, Critical };
const char* severity_name(Severity s);
// "low" | "medium" | "high" | "critical"; throws orch::Error(BadInput).
Severity parse_severity(const std::string& text);

struct Rule {
  std::string id;
  std::string name;
  std::string description;
  Severity severity;
  std::string family;  // what `orch repo scan --help` groups rules by
};
const std::vector<Rule>& scan_rules();
// "service tokens: github-token, gitlab-token, ...", one line per family, for --help.
std::string rule_families_text();

struct Finding {
  std::string rule_id;
  Severity severity = Severity::Medium;
  std::string file;
  int line = 0;    // 0 = the file as a whole (risky file names)
  int column = 0;
  std::string redacted;     // the match with all but a short prefix masked
  std::string message;
  std::string fingerprint;  // stable across line moves: rule + file + a hash of the secret
};

// Known false positives, one per line: `fingerprint:HEX`, `rule:ID`, `path:GLOB`, or several
// of these separated by spaces (all must match); '#' starts a comment.
struct AllowEntry {
  std::string fingerprint, rule, path_glob;
};
std::vector<AllowEntry> parse_allowlist(const std::string& text);

struct ScanReport {
  std::string source;
  std::string commit;
  int files_scanned = 0;
  int files_skipped = 0;  // binary or too large
  int allowlisted = 0;
  std::vector<Finding> findings;  // file, then line order
};

// Reads every file of the tree on the host (nothing in it runs). Lines marked `orch:allow` are skipped.
ScanReport scan_tree(const Tree& tree, const std::vector<AllowEntry>& allow, int64_t max_file_bytes = 2 << 20);
bool reaches(const ScanReport& r, Severity threshold);

// Shannon entropy in bits per character.
double entropy(std::string_view s);
// Keeps at most the first 4 characters (fewer for short secrets), masks the rest.
std::string redact_secret(std::string_view secret);

nlohmann::json to_json(const ScanReport& r);
// SARIF 2.1.0, as GitHub code scanning and other dashboards read it.
nlohmann::json to_sarif(const ScanReport& r, const std::string& tool_version);

}  // namespace orch::repo
