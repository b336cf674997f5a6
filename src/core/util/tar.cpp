#include "core/util/tar.hpp"

#include <cstdio>
#include <cstring>

#include "core/error.hpp"

namespace orch::tar {

namespace {

constexpr size_t kBlock = 512;

void put_octal(char* field, size_t width, uint64_t value) {
  // width includes the terminating NUL; values too large for the octal digits use GNU base-256.
  if (value >> (3 * (width - 1))) {
    for (size_t i = width; i-- > 1; value >>= 8) field[i] = static_cast<char>(value & 0xff);
    field[0] = static_cast<char>(0x80);
    return;
  }
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0; value >>= 3) field[i] = static_cast<char>('0' + (value & 7));
}

uint64_t get_octal(const char* field, size_t width) {
  uint64_t v = 0;
  size_t i = 0;
  if (static_cast<unsigned char>(field[0]) & 0x80) {  // base-256 for large sizes
    for (i = 1; i < width; ++i) v = (v << 8) | static_cast<unsigned char>(field[i]);
    return v;
  }
  while (i < width && (field[i] == ' ' || field[i] == '\0')) ++i;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) v = v * 8 + static_cast<uint64_t>(field[i] - '0');
  return v;
}

std::string field_str(const char* field, size_t width) { return std::string(field, strnlen(field, width)); }

size_t padded(uint64_t n) { return static_cast<size_t>((n + kBlock - 1) / kBlock * kBlock); }

}  // namespace

void Writer::header(std::string_view path, char type, uint64_t size, uint32_t mode, int64_t mtime, std::string_view link) {
  if (link.size() > 100) {  // GNU long link record precedes the real header
    std::string name(link);
    name += '\0';
    header("././@LongLink", 'K', name.size(), 0644, 0);
    out_.append(name);
    out_.append(padded(name.size()) - name.size(), '\0');
    link = link.substr(0, 100);
  }
  if (path.size() > 100) {  // GNU long name record precedes the real header
    std::string name(path);
    name += '\0';
    header("././@LongLink", 'L', name.size(), 0644, 0);
    out_.append(name);
    out_.append(padded(name.size()) - name.size(), '\0');
    path = path.substr(0, 100);
  }
  char h[kBlock] = {};
  std::memcpy(h, path.data(), path.size());
  put_octal(h + 100, 8, mode & 07777);
  put_octal(h + 108, 8, 0);
  put_octal(h + 116, 8, 0);
  put_octal(h + 124, 12, size);
  put_octal(h + 136, 12, static_cast<uint64_t>(mtime < 0 ? 0 : mtime));
  std::memset(h + 148, ' ', 8);
  h[156] = type;
  std::memcpy(h + 157, link.data(), link.size());
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);
  h[155] = ' ';
  out_.append(h, kBlock);
}

void Writer::add_file(std::string_view path, std::string_view data, uint32_t mode, int64_t mtime) {
  header(path, '0', data.size(), mode, mtime);
  out_.append(data);
  out_.append(padded(data.size()) - data.size(), '\0');
}

void Writer::add_dir(std::string_view path, uint32_t mode, int64_t mtime) {
  std::string p(path);
  if (p.empty() || p.back() != '/') p += '/';
  header(p, '5', 0, mode, mtime);
}

void Writer::add_symlink(std::string_view path, std::string_view target, int64_t mtime) {
  header(path, '2', 0, 0777, mtime, target);
}

std::string Writer::finish() {
  out_.append(2 * kBlock, '\0');
  return std::move(out_);
}

namespace {

// pax records: "LEN key=value\n"
void apply_pax(std::string_view recs, std::string& path, std::string& link, uint64_t& size, bool& has_size) {
  while (!recs.empty()) {
    size_t sp = recs.find(' ');
    if (sp == std::string_view::npos) break;
    size_t len = std::strtoull(std::string(recs.substr(0, sp)).c_str(), nullptr, 10);
    if (len == 0 || len > recs.size()) break;
    std::string_view rec = recs.substr(sp + 1, len - sp - 2);
    size_t eq = rec.find('=');
    if (eq != std::string_view::npos) {
      auto key = rec.substr(0, eq);
      auto val = rec.substr(eq + 1);
      if (key == "path") path = std::string(val);
      if (key == "linkpath") link = std::string(val);
      if (key == "size") {
        size = std::strtoull(std::string(val).c_str(), nullptr, 10);
        has_size = true;
      }
    }
    recs.remove_prefix(len);
  }
}

}  // namespace

Prefix read_prefix(std::string_view archive) {
  Prefix res;
  auto& entries = res.entries;
  size_t off = 0;
  std::string long_name, long_link;
  uint64_t pax_size = 0;
  bool has_pax_size = false;
  while (off + kBlock <= archive.size()) {
    const char* h = archive.data() + off;
    bool zero = true;
    for (size_t i = 0; i < kBlock && zero; ++i) zero = h[i] == 0;
    if (zero) break;
    unsigned sum = 0;
    for (size_t i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    if (sum != get_octal(h + 148, 8)) {
      res.error = "tar archive has a corrupt header";
      return res;
    }
    uint64_t size = get_octal(h + 124, 12);
    if (has_pax_size) size = pax_size;
    char type = h[156];
    off += kBlock;
    if (size > archive.size() - off) {
      res.error = "tar archive is truncated";
      res.cut = !long_name.empty() ? long_name : field_str(h, 100);
      return res;
    }
    std::string_view data = archive.substr(off, static_cast<size_t>(size));
    off += padded(size);
    if (off > archive.size()) off = archive.size();
    if (type == 'L') {
      long_name = field_str(data.data(), data.size());
      continue;
    }
    if (type == 'K') {
      long_link = field_str(data.data(), data.size());
      continue;
    }
    if (type == 'x') {
      apply_pax(data, long_name, long_link, pax_size, has_pax_size);
      continue;
    }
    if (type == 'g') continue;
    Entry e;
    if (!long_name.empty()) {
      e.path = long_name;
    } else {
      // Only POSIX ustar has a prefix there; GNU headers ("ustar  ") keep atime and ctime in those bytes.
      std::string prefix = std::memcmp(h + 257, "ustar", 6) == 0 ? field_str(h + 345, 155) : "";
      e.path = (prefix.empty() ? "" : prefix + "/") + field_str(h, 100);
    }
    e.link = !long_link.empty() ? long_link : field_str(h + 157, 100);
    long_name.clear();
    long_link.clear();
    has_pax_size = false;
    e.mode = static_cast<uint32_t>(get_octal(h + 100, 8));
    e.size = size;
    switch (type) {
      case '0': case '\0': case '7': e.type = EntryType::File; e.data = data; break;
      case '5': e.type = EntryType::Dir; break;
      case '2': e.type = EntryType::Symlink; break;
      case '1': e.type = EntryType::Hardlink; break;
      default: e.type = EntryType::Other; break;
    }
    while (e.path.size() > 1 && e.path.back() == '/') e.path.pop_back();
    entries.push_back(std::move(e));
  }
  if (off < archive.size() && off + kBlock > archive.size()) res.error = "tar archive is truncated";
  return res;
}

std::vector<Entry> read(std::string_view archive) {
  Prefix p = read_prefix(archive);
  if (!p.error.empty()) throw Error(ErrorKind::BadInput, p.error);
  return std::move(p.entries);
}

bool is_safe_relative(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos) return false;
  if (path.find('\\') != std::string_view::npos) return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

}  // namespace orch::tar
