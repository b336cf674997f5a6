#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/repo/clone.hpp"
#include "core/repo/scan.hpp"

using namespace orch::repo;
namespace fs = std::filesystem;

namespace {

const char* kAws = "AKIAQWERTYUIOPASDFGH";
const char* kGh = "ghp_Zx8Kq2Lm9Vt4Pb7Nc3Hd6Rf1Sw5Yj0Ga2Eks";

Tree make_tree(TempDir& tmp) {
  fs::path root = fs::path(tmp.path()) / "r";
  fs::create_directories(root / "tests");
  std::ofstream(root / "app.py") << "key = '" << kAws << "'\n"
                                 << "token = \"" << kGh << "\"\n"
                                 << "api_key = \"q8Zr2LmX9vT4kP1wYb7Nc3Hd\"\n"
                                 << "password = \"changeme-changeme\"\n"
                                 << "low = \"aaaaaaaaaaaaaaaaaaaa\"\n"
                                 << "known = '" << kAws << "'  # orch:allow\n";
  std::ofstream(root / "tests" / "fixture.py") << "secret_token = 'Tq9vLm2Xz8Kp4Wn7Rb3Yc6Hd'\n";
  std::ofstream(root / "id_rsa") << "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n";
  std::ofstream(root / "both.pem") << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nx\n";
  std::ofstream(root / "blob.bin") << std::string("\0\0", 2) << kAws;
  return walk_tree(root.string());
}

}  // namespace

TEST_CASE("scan: finds cloud keys, tokens, private keys, entropy assignments and risky files") {
  TempDir tmp("unit");
  auto rep = scan_tree(make_tree(tmp), {});
  std::map<std::string, int> by_rule;
  for (const auto& f : rep.findings) by_rule[f.rule_id]++;
  CHECK(by_rule["aws-access-key-id"] == 1);  // the orch:allow line and the binary are skipped
  CHECK(by_rule["github-token"] == 1);
  CHECK(by_rule["generic-secret"] == 3);     // token = ghp..., api_key, secret_token; not changeme nor aaaa
  CHECK(by_rule["private-key"] == 2);
  CHECK(by_rule["risky-file-ssh-key"] == 1);
  CHECK(by_rule["risky-file-key"] == 1);  // a .pem with a key in it
  CHECK(rep.files_skipped == 1);
  for (const auto& f : rep.findings) {
    CHECK(f.redacted.find("QWERTYUIOP") == std::string::npos);
    CHECK(f.message.find("Zx8Kq2Lm9Vt4") == std::string::npos);
  }
  const Finding* aws = nullptr;
  for (const auto& f : rep.findings)
    if (f.rule_id == "aws-access-key-id") aws = &f;
  REQUIRE(aws);
  CHECK(aws->file == "app.py");
  CHECK(aws->line == 1);
  CHECK(aws->column == 8);
  CHECK(aws->redacted == "AKIA************");
  CHECK(reaches(rep, Severity::Critical));
}

TEST_CASE("scan: the allowlist silences by fingerprint, rule or path") {
  TempDir tmp("unit");
  auto tree = make_tree(tmp);
  auto first = scan_tree(tree, {});
  std::string fp;
  for (const auto& f : first.findings)
    if (f.rule_id == "github-token") fp = f.fingerprint;
  auto allow = parse_allowlist("# known\nfingerprint:" + fp + "\nrule:generic-secret path:tests/*\npath:id_rsa\n");
  REQUIRE(allow.size() == 3);
  auto second = scan_tree(tree, allow);
  CHECK(second.allowlisted == 4);
  CHECK(second.findings.size() == first.findings.size() - 4);
  CHECK_THROWS_AS(parse_allowlist("bogus"), orch::Error);
  CHECK_THROWS_AS(parse_allowlist("fingerprint:"), orch::Error);
}

TEST_CASE("scan: entropy, redaction and severities") {
  CHECK(entropy("aaaa") == doctest::Approx(0));
  CHECK(entropy("abcd") == doctest::Approx(2));
  CHECK(redact_secret("AKIAQWERTYUIOPASDFGH") == "AKIA************");
  CHECK(redact_secret("short") == "*****");
  CHECK(parse_severity("high") == Severity::High);
  CHECK_THROWS_AS(parse_severity("urgent"), orch::Error);
}

TEST_CASE("sarif: 2.1.0 with rules, levels, regions and fingerprints") {
  TempDir tmp("unit");
  auto rep = scan_tree(make_tree(tmp), {});
  rep.source = "https://example.com/r.git";
  rep.commit = "abc";
  auto s = to_sarif(rep, "0.1.0");
  CHECK(s["version"] == "2.1.0");
  auto& run = s["runs"][0];
  CHECK(run["tool"]["driver"]["rules"].size() == scan_rules().size());
  CHECK(run["results"].size() == rep.findings.size());
  for (const auto& r : run["results"]) {
    CHECK(r["message"]["text"].get<std::string>().find("QWERTYUIOP") == std::string::npos);
    std::string rule = r["ruleId"];
    CHECK(run["tool"]["driver"]["rules"][r["ruleIndex"].get<int>()]["id"] == rule);
    if (r["locations"][0]["physicalLocation"].contains("region"))
      CHECK(r["locations"][0]["physicalLocation"]["region"]["startLine"].get<int>() >= 1);
  }
  CHECK(run["versionControlProvenance"][0]["revisionId"] == "abc");
  CHECK(s.dump().find(kGh) == std::string::npos);
}

TEST_CASE("credentials in URLs are found with only the password masked; placeholders and certificates are not") {
  TempDir tmp("unit");
  fs::path dir = fs::path(tmp.path()) / "u";
  fs::create_directories(dir);
  std::ofstream(dir / "deploy.sh") << "git clone https://deploy:Zq7hunter2x9L@git.example.com/app.git\n"
                                   << "curl https://user:password@host.example/\n"
                                   << "psql postgres://app:${DB_PASSWORD}@db:5432/app\n"
                                   << "assert get_auth('hTTp://u:p@Some.Host/path') == ('u', 'p')\n";
  std::ofstream(dir / "server.pem") << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  auto rep = scan_tree(walk_tree(dir.string()), {});
  REQUIRE(rep.findings.size() == 1);
  const auto& f = rep.findings[0];
  CHECK(f.rule_id == "url-credentials");
  CHECK(f.severity == Severity::High);
  CHECK(f.line == 1);
  CHECK(f.redacted == "https://deploy:Zq***********@git.example.com");
  CHECK(f.message.find("Zq7hunter2x9L") == std::string::npos);
  CHECK(rule_families_text().find("credentials in URLs: url-credentials\n") != std::string::npos);
}
