#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/context.hpp"

namespace orch::server {

// What a caller may do beyond running code in orch's own templates.

// With tokens, only a tenant whose line says admin=true may change the server's images and
// templates; without tokens the one local user may. Forbidden (403) otherwise.
void require_admin(const Context& ctx, const Tenant& tenant, const std::string& what);

// An image a request names (a tool run, a service) must match one of the operator's --allow-image
// patterns (shell wildcards: cortex/*, redis:7*); with none, no request may name an image.
bool image_allowed(const std::vector<std::string>& patterns, const std::string& image);
void require_image_allowed(const Context& ctx, const std::string& image);

// A request's `tenant_id` (the executor-style APIs send one) must name the caller's own tenant when
// tokens are on; without tokens it is only recorded. Returns it ("" when absent).
std::string check_tenant_field(const Context& ctx, const Tenant& tenant, const nlohmann::json& body);

}  // namespace orch::server
