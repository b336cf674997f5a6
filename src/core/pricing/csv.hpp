#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace orch::pricing {

// RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF line ends, newlines inside quotes.
std::vector<std::vector<std::string>> parse_csv(std::string_view text);
std::string csv_join(const std::vector<std::string>& fields);

// Column positions by header name, so catalogs with reordered or extra columns still load.
class CsvHeader {
 public:
  explicit CsvHeader(const std::vector<std::string>& names);
  bool has(const std::string& name) const { return index(name) >= 0; }
  int index(const std::string& name) const;
  // The named field of a row, or "" when the column or the field is missing.
  std::string get(const std::vector<std::string>& row, const std::string& name) const;

 private:
  std::vector<std::string> names_;
};

}  // namespace orch::pricing
