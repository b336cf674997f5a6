#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace orch::server {

using nlohmann::json;

// Parses a request body as a JSON object, refusing deep nesting; errors are BadInput naming the problem.
json parse_body(const std::string& body, size_t max_depth = 32);

// Typed field access for request objects: a wrong type is BadInput naming the field and the type wanted.
std::optional<std::string> opt_string(const json& obj, const char* field);
std::optional<double> opt_number(const json& obj, const char* field);
std::optional<int64_t> opt_int(const json& obj, const char* field);
std::optional<bool> opt_bool(const json& obj, const char* field);
std::vector<std::string> opt_string_list(const json& obj, const char* field);
// Accepts either a size string ("256m") or a number of bytes.
std::optional<int64_t> opt_bytes(const json& obj, const char* field);

}  // namespace orch::server
