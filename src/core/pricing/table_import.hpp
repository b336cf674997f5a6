#pragma once
#include <string>
#include <vector>

#include "core/pricing/store.hpp"

namespace orch::pricing {

// A CSV of offers with one row per machine, under the column names people use for them: orch's own
// export, or sheets with `price_hourly_usd`, `gpu`, `accelerator` and the like. `provider` fills rows
// without a provider column. Throws orch::Error(BadInput) naming the columns it understands when no
// price column is found; rows without any price are left out and counted in `unpriced_rows`.
Snapshot parse_offer_table(const std::vector<std::vector<std::string>>& rows, const std::string& origin, const std::string& provider,
                           int64_t now);

// Whether a header looks like an offer table (an instance column and a provider column or --provider).
bool is_offer_table(const std::vector<std::string>& header, const std::string& provider);

}  // namespace orch::pricing
