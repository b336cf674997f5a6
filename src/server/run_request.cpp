#include "server/run_request.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "core/util/base64.hpp"
#include "core/util/shown.hpp"
#include "server/body.hpp"

namespace orch::server {

std::string decode_content(const std::string& content, const std::string& encoding, const std::string& name) {
  if (encoding.empty() || encoding == "utf8" || encoding == "utf-8") return content;
  if (encoding == "base64") {
    auto d = base64_decode(content);
    if (!d) throw Error(ErrorKind::BadInput, "file '" + name + "': content is not valid base64");
    return *d;
  }
  if (encoding == "hex") {
    if (content.size() % 2) throw Error(ErrorKind::BadInput, "file '" + name + "': hex content has an odd length");
    std::string out;
    for (size_t i = 0; i < content.size(); i += 2) {
      auto nib = [&](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw Error(ErrorKind::BadInput, "file '" + name + "': content is not valid hex");
      };
      out += static_cast<char>(nib(content[i]) * 16 + nib(content[i + 1]));
    }
    return out;
  }
  throw Error(ErrorKind::BadInput, "file '" + name + "': encoding must be utf8, base64 or hex");
}

sandbox::FileInput parse_file(const nlohmann::json& f, size_t i) {
  std::string where = "files[" + std::to_string(i) + "]";
  if (!f.is_object()) throw Error(ErrorKind::BadInput, "field '" + where + "' must be an object {name, content}");
  auto name = opt_string(f, "name");
  if (!name) name = opt_string(f, "path");
  auto content = opt_string(f, "content");
  if (!content) throw Error(ErrorKind::BadInput, "field '" + where + ".content' is required (a string)");
  std::string n = name.value_or("");
  return sandbox::FileInput{n, decode_content(*content, opt_string(f, "encoding").value_or("utf8"), n.empty() ? where : n), 0644};
}

sandbox::RunOptions parse_run_request(const nlohmann::json& b, bool strict) {
  // Refuse what we do not know, so a request cannot believe it chose an image, mounts or privileges.
  static const std::set<std::string> known = {"language", "template", "code", "files",   "stdin",   "args", "env",          "timeout",
                                              "memory",   "cpus",     "pids", "network", "runtime", "out",  "output_limit", "with"};
  for (const auto& [k, _] : b.items())
    if (strict && !known.count(k)) throw Error(ErrorKind::BadInput, "field '" + k + "' is not accepted (see /openapi.json)");
  sandbox::RunOptions o;
  o.language = opt_string(b, "language").value_or("");
  o.template_name = opt_string(b, "template").value_or("");
  o.code = opt_string(b, "code").value_or("");
  if (b.contains("files") && !b["files"].is_null()) {
    if (b["files"].is_array()) {
      for (size_t i = 0; i < b["files"].size(); ++i) o.files.push_back(parse_file(b["files"][i], i));
    } else if (b["files"].is_object()) {  // {"name": "content"}
      for (const auto& [k, v] : b["files"].items()) {
        if (!v.is_string()) throw Error(ErrorKind::BadInput, "field 'files." + k + "' must be a string");
        o.files.push_back(sandbox::FileInput{k, v.get<std::string>(), 0644});
      }
    } else {
      throw Error(ErrorKind::BadInput, "field 'files' must be an array of {name, content} or an object {name: content}");
    }
  }
  if (!b.contains("code")) {
    if (o.files.empty()) throw Error(ErrorKind::BadInput, "field 'code' is required (or give files, the first being the program)");
    o.code = std::move(o.files.front().data);  // as Piston: the first file is the entry point
    o.code_name = o.files.front().path;
    o.files.erase(o.files.begin());
  }
  o.stdin_data = opt_string(b, "stdin").value_or("");
  o.args = opt_string_list(b, "args");
  if (b.contains("env") && !b["env"].is_null()) {
    if (!b["env"].is_object()) throw Error(ErrorKind::BadInput, "field 'env' must be an object {NAME: value}");
    for (const auto& [k, v] : b["env"].items()) {
      if (!v.is_string()) throw Error(ErrorKind::BadInput, "field 'env." + k + "' must be a string");
      if (k.find('=') != std::string::npos)  // "A=B": v would be read as A's value "B=v"
        throw Error::bad_field("env", "key '" + shown(k) + "' may hold only letters, digits and _");
      o.env.push_back(k + "=" + v.get<std::string>());
    }
  }
  o.timeout_s = opt_number(b, "timeout");
  o.memory_bytes = opt_bytes(b, "memory");
  o.cpus = opt_number(b, "cpus");
  o.pids = opt_int(b, "pids");
  o.network = opt_string(b, "network");
  o.runtime = opt_string(b, "runtime");
  o.collect_out = opt_bool(b, "out").value_or(false);
  o.with = opt_string_list(b, "with");
  if (auto cap = opt_bytes(b, "output_limit")) o.output_cap = static_cast<size_t>(std::max<int64_t>(*cap, 0));
  return o;
}

}  // namespace orch::server
