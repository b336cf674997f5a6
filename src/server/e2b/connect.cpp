#include "server/e2b/connect.hpp"

#include "server/body.hpp"

#include <sys/stat.h>

#include <ctime>

#include "core/agent/wire.hpp"

namespace orch::server::e2b {

using nlohmann::json;

std::string envelope(const json& message, bool end_of_stream) {
  std::string payload = message.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(payload.size() + 5);
  out += static_cast<char>(end_of_stream ? 0x02 : 0x00);
  uint32_t n = static_cast<uint32_t>(payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xff);
  out += payload;
  return out;
}

std::optional<json> first_envelope(std::string_view body) {
  // Flags: 0x01 compressed (never asked for: orch offers no encoding), 0x02 end of stream.
  if (body.size() < 5 || (static_cast<unsigned char>(body[0]) & 0x03)) return std::nullopt;
  uint32_t n = 0;
  for (int i = 1; i <= 4; ++i) n = (n << 8) | static_cast<unsigned char>(body[static_cast<size_t>(i)]);
  if (body.size() - 5 < n) return std::nullopt;
  try {
    return parse_body(std::string(body.substr(5, n)));
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string end_stream(const std::string& code, const std::string& message) {
  if (code.empty()) return envelope(json::object(), true);
  return envelope({{"error", {{"code", code}, {"message", message}}}}, true);
}

int http_status_for_code(const std::string& code) {
  if (code == "invalid_argument" || code == "failed_precondition" || code == "out_of_range") return 400;
  if (code == "unauthenticated") return 401;
  if (code == "permission_denied") return 403;
  if (code == "not_found") return 404;
  if (code == "already_exists" || code == "aborted") return 409;
  if (code == "resource_exhausted") return 429;
  if (code == "canceled") return 499;
  if (code == "unimplemented") return 501;
  if (code == "unavailable") return 503;
  if (code == "deadline_exceeded") return 504;
  return 500;
}

std::string code_for(const std::exception& e) {
  if (const auto* f = dynamic_cast<const agent::Failure*>(&e)) return f->code();
  if (dynamic_cast<const nlohmann::json::exception*>(&e)) return "invalid_argument";  // a request field of the wrong type
  const auto* err = dynamic_cast<const Error*>(&e);
  if (!err) return "internal";
  switch (err->kind()) {
    case ErrorKind::BadInput: return "invalid_argument";
    case ErrorKind::Forbidden: return "permission_denied";
    case ErrorKind::NotFound: return "not_found";
    case ErrorKind::Conflict: return "failed_precondition";
    case ErrorKind::Busy: return "resource_exhausted";
    case ErrorKind::Timeout: return "deadline_exceeded";
    case ErrorKind::Unavailable: return "unavailable";
    case ErrorKind::Infrastructure: return "internal";
  }
  return "internal";
}

std::string rfc3339(int64_t unix_ns) {
  time_t secs = static_cast<time_t>(unix_ns / 1000000000);
  long nanos = static_cast<long>(unix_ns % 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  if (nanos) n += static_cast<size_t>(std::snprintf(buf + n, sizeof buf - n, ".%09ld", nanos));
  std::snprintf(buf + n, sizeof buf - n, "Z");
  return buf;
}

namespace {

// Go's os.FileMode: permission bits plus type bits high up, which is what envd reports.
uint32_t go_mode(unsigned st_mode) {
  uint32_t m = st_mode & 0777;
  if (S_ISDIR(st_mode)) m |= 1u << 31;
  if (S_ISLNK(st_mode)) m |= 1u << 27;
  if (S_ISBLK(st_mode)) m |= 1u << 26;
  if (S_ISCHR(st_mode)) m |= (1u << 26) | (1u << 21);
  if (S_ISFIFO(st_mode)) m |= 1u << 25;
  if (S_ISSOCK(st_mode)) m |= 1u << 24;
  if (st_mode & S_ISUID) m |= 1u << 23;
  if (st_mode & S_ISGID) m |= 1u << 22;
  if (st_mode & S_ISVTX) m |= 1u << 20;
  return m;
}

std::string permissions(unsigned st_mode) {
  std::string s;
  if (S_ISDIR(st_mode)) s += 'd';
  if (S_ISLNK(st_mode)) s += 'L';
  if (S_ISBLK(st_mode) || S_ISCHR(st_mode)) s += 'D';
  if (S_ISFIFO(st_mode)) s += 'p';
  if (S_ISSOCK(st_mode)) s += 'S';
  if (S_ISCHR(st_mode)) s += 'c';
  if (s.empty()) s += '-';
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) s += (st_mode & (0400u >> i)) ? rwx[i] : '-';
  return s;
}

}  // namespace

json entry_json(const session::PathInfo& p) {
  const char* type = p.type == "file"      ? "FILE_TYPE_FILE"
                     : p.type == "dir"     ? "FILE_TYPE_DIRECTORY"
                     : p.type == "symlink" ? "FILE_TYPE_SYMLINK"
                                           : "FILE_TYPE_UNSPECIFIED";
  json e = {{"name", p.name},
            {"type", type},
            {"path", p.path},
            {"size", std::to_string(p.size)},
            {"mode", go_mode(p.mode)},
            {"permissions", permissions(p.mode)},
            {"owner", p.owner},
            {"group", p.group},
            {"modifiedTime", rfc3339(p.mtime_ns)}};
  if (p.target) e["symlinkTarget"] = *p.target;
  return e;
}

}  // namespace orch::server::e2b
