#pragma once
#include <string>
#include <vector>

namespace orch::repo {

// Where a repository comes from, as the user named it.
struct Source {
  enum class Kind { Https, Http, Ssh, File, LocalPath, Git };
  Kind kind = Kind::Https;
  std::string input;    // as given
  std::string url;      // what git is handed (local paths become absolute file:// URLs)
  std::string host;     // for URLs with a host
  std::string display;  // safe to print: credentials in the URL are masked
  bool is_github() const { return kind == Kind::Https && host == "github.com"; }
  bool is_local() const { return kind == Kind::File || kind == Kind::LocalPath; }
};

// Classifies URL|PATH. Throws orch::Error(BadInput) for empty input, option-like input ("-..."),
// unknown schemes (ext::, fd::) and local paths that do not exist.
Source parse_source(const std::string& input);

// A short name for reports: "owner/name" for hosted repositories, the folder name for paths.
std::string short_name(const Source& s);

// Replaces every occurrence of each secret (and its base64 forms git may echo) with "***".
std::string redact(std::string text, const std::vector<std::string>& secrets);

// Masks user:password@ in URLs found in text.
std::string mask_url_credentials(std::string text);

}  // namespace orch::repo
