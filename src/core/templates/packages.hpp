#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/error.hpp"
#include "core/templates/template.hpp"

namespace orch::templates {

// A package a run or template adds to its base: apt (Debian), npm, or pip (where the image can
// reach an index).
struct Package {
  std::string manager;  // apt | npm | pip
  std::string name;     // with its version when one was given (jq=1.6*, left-pad@1.3.0, requests==2.31)
  std::string spec() const { return manager + ":" + name; }
};

// A package that could not be installed: the CLI exits 2, the API answers 400, both naming it.
class PackageError : public Error {
 public:
  PackageError(const std::string& package, const std::string& message) : Error(ErrorKind::BadInput, message), package_(package) {}
  const std::string& package() const { return package_; }

 private:
  std::string package_;
};

// Parses "npm:left-pad", "apt:jq", "pip:requests==2.31"; BadInput naming the bad one. Sorted and
// without duplicates, so the same set always names the same image.
std::vector<Package> parse_packages(const std::vector<std::string>& specs);

// The Dockerfile that adds the packages to the base template's image, as root during the build
// only (npm without install scripts, pip wheels only); the sandbox user and network stay the base's.
// `with_ca`: the build context holds orch-ca.crt, the CAs npm and pip trust while they install.
// `index_env`: PIP_* and NPM_* settings the pip and npm steps run with (index_settings()); they are
// part of those steps' command lines, never of the image's environment.
std::string derived_dockerfile(const Template& base, const std::vector<Package>& packages, bool with_ca = false,
                               const std::map<std::string, std::string>& index_env = {});
// The package indexes orch's own environment names, as pip and npm on this host would use them:
// PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_TRUSTED_HOST, NPM_CONFIG_REGISTRY. BadInput for a value
// that is not one line.
std::map<std::string, std::string> index_settings();
// The build context: that Dockerfile (with index_settings()), and the host's CA bundle
// (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE or Debian's) so the registries are reached through what the host trusts.
std::map<std::string, std::string> derived_build_files(const Template& base, const std::vector<Package>& packages);

// The tag of the derived image: a hash of the base image's id and the package list.
std::string derived_tag(const std::string& base_image_id, const std::vector<Package>& packages);

// The base template with the packages added: its image is built once (progress to on_line) and
// reused by every later run with the same base and packages. The template lives as long as the
// process. Throws PackageError naming a package that cannot be installed, NotFound when the base
// template is not built.
const Template& with_packages(engine::Engine& engine, const Template& base, const std::vector<Package>& packages,
                              const std::function<void(const std::string&)>& on_line);

// Builds t.image from t.files (a Dockerfile from derived_dockerfile); PackageError naming the
// package that failed.
void build_with_packages(engine::Engine& engine, const Template& t, const std::map<std::string, std::string>& labels,
                         const std::function<void(const std::string&)>& on_line);

// Removes the derived images (they are rebuilt on demand); images a sandbox still uses stay.
// Returns the tags removed.
std::vector<std::string> prune_derived(engine::Engine& engine);

}  // namespace orch::templates
