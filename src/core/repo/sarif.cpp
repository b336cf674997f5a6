#include <filesystem>
#include <map>

#include "core/repo/scan.hpp"
#include "core/util/url.hpp"

namespace orch::repo {

namespace {

const char* level_of(Severity s) { return s >= Severity::High ? "error" : s == Severity::Medium ? "warning" : "note"; }

// GitHub code scanning ranks security results by this number (0-10).
const char* security_severity(Severity s) {
  switch (s) {
    case Severity::Critical: return "9.5";
    case Severity::High: return "8.0";
    case Severity::Medium: return "5.5";
    case Severity::Low: return "3.0";
  }
  return "5.5";
}

nlohmann::json finding_json(const Finding& f) {
  nlohmann::json j = {{"rule", f.rule_id}, {"severity", severity_name(f.severity)}, {"file", f.file},
                      {"line", f.line},    {"column", f.column},                    {"message", f.message},
                      {"fingerprint", f.fingerprint}};
  if (!f.redacted.empty()) j["secret"] = f.redacted;
  return j;
}

// Where a rule is explained, and how to fix what it finds.
const char* kRulesHelp = "https://github.com/orch/orch/blob/main/README.md#scan-rules";

// SARIF wants an absolute URI for the repository: a local folder becomes a file:// URI.
std::string repository_uri(const std::string& source) {
  if (source.find("://") != std::string::npos) return source;
  std::error_code ec;
  auto abs = std::filesystem::absolute(source, ec);
  if (ec) return "";
  return "file://" + percent_encode(abs.lexically_normal().string(), "/");
}

}  // namespace

nlohmann::json to_json(const ScanReport& r) {
  nlohmann::json findings = nlohmann::json::array();
  std::map<std::string, int> by_sev;
  for (const auto& f : r.findings) {
    findings.push_back(finding_json(f));
    by_sev[severity_name(f.severity)]++;
  }
  return {{"source", r.source},           {"commit", r.commit},         {"files_scanned", r.files_scanned},
          {"files_skipped", r.files_skipped}, {"allowlisted", r.allowlisted}, {"counts", by_sev},
          {"findings", findings}};
}

nlohmann::json to_sarif(const ScanReport& r, const std::string& tool_version) {
  nlohmann::json rules = nlohmann::json::array();
  std::map<std::string, int> index;
  for (const auto& rule : scan_rules()) {
    index[rule.id] = static_cast<int>(rules.size());
    rules.push_back({{"id", rule.id},
                     {"name", rule.name},
                     {"shortDescription", {{"text", rule.name}}},
                     {"fullDescription", {{"text", rule.description}}},
                     {"helpUri", std::string(kRulesHelp)},
                     {"help", {{"text", rule.description}}},
                     {"defaultConfiguration", {{"level", level_of(rule.severity)}}},
                     {"properties", {{"tags", {"security", "secret"}}, {"security-severity", security_severity(rule.severity)}}}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& f : r.findings) {
    nlohmann::json loc = {{"artifactLocation", {{"uri", f.file}, {"uriBaseId", "%SRCROOT%"}}}};
    // A finding about a whole file (its name) points at its first line: viewers need a region to show.
    loc["region"] =
        f.line > 0 ? nlohmann::json{{"startLine", f.line}, {"startColumn", std::max(f.column, 1)}} : nlohmann::json{{"startLine", 1}};
    results.push_back({{"ruleId", f.rule_id},
                       {"ruleIndex", index[f.rule_id]},
                       {"level", level_of(f.severity)},
                       {"message", {{"text", f.message}}},
                       {"locations", nlohmann::json::array({{{"physicalLocation", loc}}})},
                       {"partialFingerprints", {{"orchSecret/v1", f.fingerprint}}},
                       {"properties", {{"severity", severity_name(f.severity)}}}});
  }
  nlohmann::json run = {{"tool", {{"driver", {{"name", "orch repo scan"},
                                              {"informationUri", "https://github.com/orch/orch"},
                                              {"version", tool_version},
                                              {"rules", rules}}}}},
                        {"originalUriBaseIds", {{"%SRCROOT%", {{"description", {{"text", "the repository root"}}}}}}},
                        {"results", results}};
  if (auto uri = repository_uri(r.source); !r.commit.empty() && !uri.empty())
    run["versionControlProvenance"] = nlohmann::json::array({{{"repositoryUri", uri}, {"revisionId", r.commit}}});
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"}, {"version", "2.1.0"}, {"runs", nlohmann::json::array({run})}};
}

}  // namespace orch::repo
