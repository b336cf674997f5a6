#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace orch::tar {

// Writes an uncompressed POSIX ustar archive in memory (GNU long-name records for paths over 100 bytes).
class Writer {
 public:
  void add_file(std::string_view path, std::string_view data, uint32_t mode = 0644, int64_t mtime = 0);
  void add_dir(std::string_view path, uint32_t mode = 0755, int64_t mtime = 0);
  // The caller decides whether the target is safe; the writer only records it (targets over 100 bytes
  // get a GNU long-link record).
  void add_symlink(std::string_view path, std::string_view target, int64_t mtime = 0);
  // Appends the two zero blocks that end the archive and returns it.
  std::string finish();
  size_t size() const { return out_.size(); }

 private:
  void header(std::string_view path, char type, uint64_t size, uint32_t mode, int64_t mtime, std::string_view link = {});
  std::string out_;
};

enum class EntryType { File, Dir, Symlink, Hardlink, Other };

struct Entry {
  std::string path;      // as stored, with a trailing slash removed
  EntryType type = EntryType::Other;
  uint32_t mode = 0;
  uint64_t size = 0;
  std::string link;      // symlink or hard-link target
  std::string_view data; // file contents (views into the archive)
};

// Parses an archive; throws orch::Error(BadInput) on a malformed one. Handles GNU long names and
// pax path/linkpath/size records, which is what `tar -c` inside templates produces.
std::vector<Entry> read(std::string_view archive);

// As much of an archive as is whole: the entries before the first malformed or cut-off part, why
// parsing stopped ("" when it did not), and the name of an entry whose data was cut off.
struct Prefix {
  std::vector<Entry> entries;
  std::string error;
  std::string cut;
};
Prefix read_prefix(std::string_view archive);

// True when a relative path stays inside its root: no absolute path, no "..", no NUL, not empty.
bool is_safe_relative(std::string_view path);

}  // namespace orch::tar
