#pragma once
#include <string>
#include <vector>

#include "core/pricing/query.hpp"

namespace orch::pricing {

// Aligned text columns; the first row is the header. Columns listed in `right` are right-aligned (numbers).
std::string format_table(const std::vector<std::vector<std::string>>& rows, const std::vector<size_t>& right = {});

// The table `orch pricing ls` prints, and the one-line answer `orch pricing cheapest` gives.
std::string offers_table(const QueryResult& r, bool spot);
std::string describe_offer(const Match& m, bool spot);

// "aws 2h, azure 5m, skypilot:vms.csv 3d": how old each source's data is.
std::string sources_summary(const QueryResult& r);

}  // namespace orch::pricing
