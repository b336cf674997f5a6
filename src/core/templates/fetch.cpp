#include "core/templates/fetch.hpp"

#include <openssl/evp.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/pricing/http.hpp"
#include "core/util/base64.hpp"
#include "core/util/hash.hpp"

namespace orch::templates {

namespace fs = std::filesystem;

namespace {

fs::path cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "orch" / "downloads";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "orch" / "downloads";
  return fs::temp_directory_path() / "orch-downloads";
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string url_of(const Fetch& f) { return f.url.empty() ? npm_tarball_url(npm_registry(), f.npm) : f.url; }

}  // namespace

std::string npm_registry() {
  for (const char* var : {"ORCH_NPM_REGISTRY", "npm_config_registry", "NPM_CONFIG_REGISTRY"})
    if (const char* v = std::getenv(var); v && *v) {
      std::string r = v;
      while (!r.empty() && r.back() == '/') r.pop_back();
      return r;
    }
  return "https://registry.npmjs.org";
}

std::string npm_tarball_url(const std::string& registry, const std::string& spec) {
  auto at = spec.rfind('@');
  if (at == std::string::npos || at == 0) throw Error(ErrorKind::BadInput, "npm package '" + spec + "' needs a version (name@1.2.3)");
  std::string name = spec.substr(0, at), version = spec.substr(at + 1);
  std::string base = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  return registry + "/" + name + "/-/" + base + "-" + version + ".tgz";
}

bool integrity_matches(const std::string& data, const std::string& integrity) {
  if (integrity.rfind("sha512-", 0) != 0) return false;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha512(), nullptr) != 1) return false;
  return base64_encode(std::string_view(reinterpret_cast<const char*>(md), len)) == integrity.substr(7);
}

std::map<std::string, std::string> fetch_build_files(const Template& t, const std::string& arch,
                                                     const std::function<void(const std::string&)>& on_line) {
  std::map<std::string, std::string> out;
  bool any_for_arch = t.fetch.empty();
  for (const auto& f : t.fetch) {
    if (!f.arch.empty() && f.arch != arch) continue;
    any_for_arch = true;
    fs::path cached = cache_dir() / (stable_hash_hex(f.integrity) + "-" + f.file);
    std::error_code ec;
    if (fs::is_regular_file(cached, ec)) {
      std::string data = read_all(cached);
      if (integrity_matches(data, f.integrity)) {
        out[f.file] = std::move(data);
        continue;
      }
    }
    std::string url = url_of(f);
    on_line("downloading " + f.file + " from " + url);
    fs::create_directories(cached.parent_path(), ec);
    fs::path part = cached.string() + ".part";
    try {
      pricing::Http(300).download(url, part.string());
    } catch (const Error& e) {
      fs::remove(part, ec);
      throw Error(e.kind(), "template " + t.name + " needs " + f.file + ": " + e.what() +
                                " (set ORCH_NPM_REGISTRY to a reachable registry or mirror)");
    }
    std::string data = read_all(part);
    if (!integrity_matches(data, f.integrity)) {
      fs::remove(part, ec);
      throw Error(ErrorKind::Unavailable, "template " + t.name + ": " + url + " does not match the integrity in its template.json (" +
                                              f.integrity.substr(0, 20) + "...); refusing to build with it");
    }
    fs::rename(part, cached, ec);
    out[f.file] = std::move(data);
  }
  if (!any_for_arch)
    throw Error(ErrorKind::BadInput, "template " + t.name + " has no download for this engine's architecture (" + arch + ")");
  return out;
}

}  // namespace orch::templates
