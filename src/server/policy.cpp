#include "server/policy.hpp"

#include <fnmatch.h>

#include "server/body.hpp"

namespace orch::server {

void require_admin(const Context& ctx, const Tenant& tenant, const std::string& what) {
  if (!ctx.tokens.enabled() || tenant.admin) return;
  throw Error(ErrorKind::Forbidden, what + " needs an admin token (admin=true on its line in the tokens file)");
}

bool image_allowed(const std::vector<std::string>& patterns, const std::string& image) {
  for (const auto& p : patterns)
    if (::fnmatch(p.c_str(), image.c_str(), 0) == 0) return true;
  return false;
}

void require_image_allowed(const Context& ctx, const std::string& image) {
  if (image.empty()) throw Error(ErrorKind::BadInput, "field 'image' is required");
  if (image.size() > 256 || image.find_first_of(" \t\r\n\"'\\") != std::string::npos || image.find('\0') != std::string::npos)
    throw Error(ErrorKind::BadInput, "field 'image' is not an image reference");
  if (image_allowed(ctx.cfg.allow_images, image)) return;
  if (ctx.cfg.allow_images.empty())
    throw Error(ErrorKind::Forbidden,
                "image '" + image +
                    "' is not allowed: this server runs no image a request names (the operator allows some with --allow-image PATTERN)");
  throw Error(ErrorKind::Forbidden, "image '" + image + "' is not on this server's allowlist (--allow-image)");
}

std::string check_tenant_field(const Context& ctx, const Tenant& tenant, const nlohmann::json& body) {
  std::string named = opt_string(body, "tenant_id").value_or("");
  if (named.size() > 128 || named.find('\0') != std::string::npos)
    throw Error(ErrorKind::BadInput, "field 'tenant_id' must be at most 128 bytes");
  if (ctx.tokens.enabled() && !named.empty() && named != tenant.name)
    throw Error(ErrorKind::Forbidden, "tenant_id '" + named + "' is not the tenant of this token");
  return named;
}

}  // namespace orch::server
