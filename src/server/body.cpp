#include "server/body.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/util/units.hpp"

namespace orch::server {

namespace {
[[noreturn]] void wrong_type(const char* field, const char* want) {
  throw Error(ErrorKind::BadInput, std::string("field '") + field + "' must be " + want);
}
}  // namespace

std::string json_error_text(const json::exception& e) {
  std::string what = e.what();
  auto end = what.find("] ");
  return end == std::string::npos ? what : what.substr(end + 2);
}

json parse_body(const std::string& body, size_t max_depth) {
  if (body.empty()) throw Error(ErrorKind::BadInput, "the request body is empty; send a JSON object");
  // The JSON parser stops at a raw NUL as if the text ended there; JSON text never holds one.
  if (body.find('\0') != std::string::npos) throw Error(ErrorKind::BadInput, "the body is not valid JSON: it holds a NUL byte");
  // Nesting and the number of values are measured before parsing: the parser's stacks grow with
  // depth, and each parsed value costs some 50-100 bytes (a 16 MiB body of 5.6 million empty
  // strings took 470 MB to refuse). Every value after a container's first follows a comma.
  size_t nesting = 0, values = 1;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{' || c == ',') {
      if (++values > kMaxBodyValues)
        throw Error(ErrorKind::BadInput, "the JSON body holds more than " + std::to_string(kMaxBodyValues) + " values");
      if (c != ',' && ++nesting > max_depth)
        throw Error(ErrorKind::BadInput, "the JSON body is nested deeper than " + std::to_string(max_depth) + " levels");
    } else if ((c == ']' || c == '}') && nesting > 0) {
      --nesting;
    }
  }
  bool too_deep = false;
  json::parser_callback_t depth_guard = [&](int depth, json::parse_event_t, json&) {
    if (static_cast<size_t>(depth) > max_depth) too_deep = true;
    return !too_deep;
  };
  json j;
  try {
    j = json::parse(body, depth_guard, true);
  } catch (const json::parse_error& e) {
    if (too_deep) throw Error(ErrorKind::BadInput, "the JSON body is nested deeper than " + std::to_string(max_depth) + " levels");
    std::string what = e.what();
    auto colon = what.find("parse error");
    throw Error(ErrorKind::BadInput, "the body is not valid JSON: " + (colon == std::string::npos ? what : what.substr(colon)));
  } catch (const json::exception& e) {  // out_of_range.406: a number too large for a double (1e400)
    throw Error(ErrorKind::BadInput, "the body is not valid JSON: " + json_error_text(e));
  }
  if (too_deep) throw Error(ErrorKind::BadInput, "the JSON body is nested deeper than " + std::to_string(max_depth) + " levels");
  if (!j.is_object()) throw Error(ErrorKind::BadInput, "the body must be a JSON object");
  return j;
}

std::optional<std::string> opt_string(const json& o, const char* f) {
  if (!o.contains(f) || o[f].is_null()) return std::nullopt;
  if (!o[f].is_string()) wrong_type(f, "a string");
  return o[f].get<std::string>();
}

std::optional<double> opt_number(const json& o, const char* f) {
  if (!o.contains(f) || o[f].is_null()) return std::nullopt;
  if (!o[f].is_number()) wrong_type(f, "a number");
  double v = o[f].get<double>();
  if (!std::isfinite(v)) wrong_type(f, "a finite number");
  return v;
}

std::optional<int64_t> opt_int(const json& o, const char* f) {
  if (!o.contains(f) || o[f].is_null()) return std::nullopt;
  if (!o[f].is_number_integer() && !(o[f].is_number_float() && std::floor(o[f].get<double>()) == o[f].get<double>()))
    wrong_type(f, "an integer");
  double d = o[f].get<double>();
  if (d > 9.0e18 || d < -9.0e18) wrong_type(f, "an integer in range");
  return o[f].is_number_integer() ? o[f].get<int64_t>() : static_cast<int64_t>(d);
}

std::optional<bool> opt_bool(const json& o, const char* f) {
  if (!o.contains(f) || o[f].is_null()) return std::nullopt;
  if (!o[f].is_boolean()) wrong_type(f, "true or false");
  return o[f].get<bool>();
}

std::vector<std::string> opt_string_list(const json& o, const char* f) {
  std::vector<std::string> out;
  if (!o.contains(f) || o[f].is_null()) return out;
  if (!o[f].is_array()) wrong_type(f, "an array of strings");
  for (const auto& v : o[f]) {
    if (!v.is_string()) wrong_type(f, "an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::optional<int64_t> opt_bytes(const json& o, const char* f) {
  if (!o.contains(f) || o[f].is_null()) return std::nullopt;
  if (o[f].is_string()) return parse_bytes(o[f].get<std::string>(), f);
  return opt_int(o, f);
}

}  // namespace orch::server
