#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/pricing/http.hpp"
#include "core/pricing/store.hpp"

namespace orch::pricing {

// Reads a catalog in one of the formats orch knows, into a snapshot ready for Store::save:
//  - SkyPilot's catalogs/v*/<cloud>/vms.csv (the cloud from `provider`, else from the path's parent folder);
//    GCP's GPU-only rows are attached to an n1-highmem host with 8 vCPUs per GPU from the same region;
//  - orch's own CSV (`orch pricing ls --csv`) and JSON (`orch pricing ls --json`, or an array of offers).
// Throws orch::Error(BadInput) when the text is none of them; `warnings` collects rows that were skipped.
Snapshot parse_catalog(const std::string& text, const std::string& origin, const std::string& provider, int64_t now,
                       std::vector<std::string>* warnings = nullptr);

// Reads FILE or an http(s) URL, then parses it. `provider` may be empty.
Snapshot import_catalog(const std::string& file_or_url, const std::string& provider, const Http& http, int64_t now,
                        std::vector<std::string>* warnings = nullptr);

// SkyPilot's cloud folder names -> orch's provider names ("oci" -> "oracle", "do" -> "digitalocean").
std::string provider_from_skypilot_cloud(const std::string& cloud);

}  // namespace orch::pricing
