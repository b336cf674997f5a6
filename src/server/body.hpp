#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace orch::server {

using nlohmann::json;

// Values a request body may hold: far more than any request needs, and a bound on what parsing costs.
inline constexpr size_t kMaxBodyValues = 100000;

// Parses a request body as a JSON object, refusing deep nesting and more than kMaxBodyValues
// values; errors are BadInput naming the problem.
json parse_body(const std::string& body, size_t max_depth = 32);

// A nlohmann exception's text without its "[json.exception.type_error.302] " prefix.
std::string json_error_text(const json::exception& e);

// Typed field access for request objects: a wrong type is BadInput naming the field and the type wanted.
std::optional<std::string> opt_string(const json& obj, const char* field);
std::optional<double> opt_number(const json& obj, const char* field);
std::optional<int64_t> opt_int(const json& obj, const char* field);
std::optional<bool> opt_bool(const json& obj, const char* field);
std::vector<std::string> opt_string_list(const json& obj, const char* field);
// Accepts either a size string ("256m") or a number of bytes.
std::optional<int64_t> opt_bytes(const json& obj, const char* field);

}  // namespace orch::server
