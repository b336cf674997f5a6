#include "cli/repo.hpp"

#include <fstream>
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/terminal.hpp"
#include "core/error.hpp"
#include "core/repo/analyze.hpp"
#include "core/repo/github.hpp"
#include "core/repo/open.hpp"
#include "core/repo/scan.hpp"
#include "core/repo/test.hpp"
#include "core/util/units.hpp"
#include "version.hpp"

namespace orch::cli {

namespace {

struct ReadFlags {
  std::string source, max_size = "256m", ref, token_env = "GITHUB_TOKEN";
  bool json = false;
};

void add_read_flags(CLI::App* c, ReadFlags& f) {
  c->add_option("source", f.source, "git URL or local folder (read in place)")->required();
  c->add_option("--ref", f.ref, "branch, tag or commit (URLs only)");
  c->add_option("--max-size", f.max_size, "largest repository accepted (default 256m)");
  c->add_option("--token-env", f.token_env, "environment variable holding the GitHub token (default GITHUB_TOKEN)");
  c->add_flag("--json", f.json, "print JSON");
}

// Clone failures exit 3 like `orch repo test`; the message is already redacted.
repo::Opened open_for_reading(const ReadFlags& f) {
  repo::CloneOptions co;
  co.ref = f.ref;
  co.max_bytes = parse_bytes(f.max_size, "--max-size");
  if (const char* t = std::getenv(f.token_env.c_str())) co.token = t;
  try {
    return repo::open_repository(f.source, co);
  } catch (const repo::CloneError& e) {
    throw Error(ErrorKind::NotFound, std::string("could not clone: ") + e.what());
  }
}

int analyze(const ReadFlags& f) {
  auto opened = open_for_reading(f);
  auto tree = repo::walk_tree(opened.path);
  auto a = repo::analyze_tree(tree, opened.path);
  a.source = opened.source.display;
  if (f.json) {
    print_json(repo::to_json(a));
    return 0;
  }
  InertText inert(std::cout);  // file names are the repository's
  std::cout << "repository:  " << a.source << "\n";
  if (!a.last_commit.sha.empty())
    std::cout << "last commit: " << a.last_commit.sha.substr(0, 12) << " " << a.last_commit.date << " " << a.last_commit.author
              << ": " << a.last_commit.subject << "\n";
  std::cout << "size:        " << format_bytes(a.bytes) << " in " << a.files << " files, " << a.folders << " folders\n";
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? std::string("-") : s;
  };
  std::cout << "build:       " << join(a.build_systems) << "\n"
            << "tests:       " << join(a.test_systems) << "\n"
            << "entry points: " << join(a.entry_points) << "\n\nlanguages:\n";
  for (const auto& l : a.languages)
    std::cout << "  " << std::left << std::setw(18) << l.name << std::right << std::setw(7) << l.files << " files "
              << std::setw(9) << l.lines << " lines\n";
  std::cout << "\nlargest files:\n";
  for (const auto& [p, s] : a.largest_files) std::cout << "  " << std::setw(10) << format_bytes(s) << "  " << p << "\n";
  return 0;
}

int scan(const ReadFlags& f, const std::string& sarif, const std::string& allow_file, const std::string& fail_on) {
  std::vector<repo::AllowEntry> allow;
  if (!allow_file.empty()) allow = repo::parse_allowlist(read_file_or_throw(allow_file, "--allowlist"));
  bool never_fail = fail_on == "none";
  repo::Severity threshold = never_fail ? repo::Severity::Critical : repo::parse_severity(fail_on);
  auto opened = open_for_reading(f);
  auto tree = repo::walk_tree(opened.path);
  auto rep = repo::scan_tree(tree, allow);
  rep.source = opened.source.display;
  rep.commit = opened.commit;
  if (!sarif.empty()) {
    std::ofstream out(sarif, std::ios::trunc);
    out << repo::to_sarif(rep, ORCH_VERSION).dump(2) << "\n";
    if (!out) throw Error(ErrorKind::BadInput, "cannot write --sarif '" + sarif + "'");
  }
  if (f.json) {
    print_json(repo::to_json(rep));
  } else {
    InertText inert(std::cout);  // file names are the repository's
    for (const auto& x : rep.findings) {
      std::cout << std::left << std::setw(9) << repo::severity_name(x.severity) << x.file;
      if (x.line > 0) std::cout << ":" << x.line << ":" << x.column;
      std::cout << "  " << x.rule_id << "  " << x.message << "  [" << x.fingerprint << "]\n";
    }
    std::cout << rep.findings.size() << " findings in " << rep.files_scanned << " files (" << rep.files_skipped
              << " skipped as binary or too large, " << rep.allowlisted << " allowlisted)\n";
  }
  return !never_fail && repo::reaches(rep, threshold) ? 1 : 0;
}

int info(const std::string& name, const std::string& token_env, bool as_json) {
  std::string token;
  if (const char* t = std::getenv(token_env.c_str())) token = t;
  auto i = repo::github_repo_info(name, repo::github_api_url(), token);
  if (as_json) {
    print_json(repo::to_json(i));
    return 0;
  }
  InertText inert(std::cout);  // the description is whatever the repository's owner wrote
  std::cout << "repository:     " << i.full_name << (i.archived ? " (archived)" : "") << "\n"
            << "description:    " << i.description << "\n"
            << "default branch: " << i.default_branch << "\n"
            << "stars:          " << i.stars << "\n"
            << "forks:          " << i.forks << "\n"
            << "open issues:    " << i.open_issues << "\n"
            << "license:        " << (i.license.empty() ? "none" : i.license) << "\n"
            << "languages:     ";
  int64_t total = 0;
  for (const auto& [_, b] : i.languages) total += b;
  for (const auto& [l, b] : i.languages)
    std::cout << " " << l << " " << std::fixed << std::setprecision(1) << (total ? 100.0 * static_cast<double>(b) / static_cast<double>(total) : 0) << "%";
  std::cout << "\n";
  if (i.rate_remaining >= 0) std::cout << "rate limit:     " << i.rate_remaining << " of " << i.rate_limit << " left\n";
  return 0;
}

}  // namespace

int repo_main(int argc, char** argv) {
  CLI::App app{"Test, analyze and scan git repositories; the untrusted checkout only ever runs inside a sandbox.", "repo"};
  app.require_subcommand(1);
  RepoTestFlags tf;
  add_test_command(app, tf);
  ReadFlags af, sf;
  auto* an = app.add_subcommand("analyze", "languages, size, build and test systems, entry points, last commit");
  add_read_flags(an, af);
  an->footer("Exit codes: 0 done; 2 usage; 3 the repository could not be cloned; 125 host failure.");
  auto* sc = app.add_subcommand("scan", "find committed secrets and risky files (secrets are never printed)");
  add_read_flags(sc, sf);
  std::string sarif, allow, fail_on = "high";
  sc->add_option("--sarif", sarif, "write a SARIF 2.1.0 report to this file");
  sc->add_option("--allowlist", allow, "file of known false positives (fingerprint:HEX, rule:ID, path:GLOB per line)");
  sc->add_option("--fail-on", fail_on, "exit 1 when a finding is at least this severe: low, medium, high (default), critical, none");
  sc->footer("Rules, by family (secrets are shown masked; a URL keeps all but its password):\n" + repo::rule_families_text() +
             "Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage; 3 the repository could\n"
             "not be cloned; 125 host failure. Lines containing 'orch:allow' are skipped.");
  std::string name, token_env = "GITHUB_TOKEN";
  bool info_json = false;
  auto* in = app.add_subcommand("info", "a GitHub repository's metadata through the REST API (GITHUB_API_URL, GITHUB_TOKEN)");
  in->add_option("name", name, "OWNER/NAME")->required();
  in->add_option("--token-env", token_env, "environment variable holding the token (default GITHUB_TOKEN)");
  in->add_flag("--json", info_json, "print JSON");
  in->footer("Exit codes: 0 done; 2 usage or token rejected; 3 not found; 5 rate limit exhausted; 125 API unreachable.");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  if (tf.cmd_app->parsed()) return run_test_command(tf);
  if (an->parsed()) return analyze(af);
  if (sc->parsed()) return scan(sf, sarif, allow, fail_on);
  return info(name, token_env, info_json);
}

}  // namespace orch::cli
