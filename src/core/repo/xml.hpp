#pragma once
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace orch::repo::xml {

// The few parts of XML that JUnit files use: elements, attributes, text, CDATA, character and the
// five named entities. Comments, processing instructions and DOCTYPE are skipped, never expanded.
struct Node {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::string text;  // concatenated character data directly inside this element
  std::vector<std::unique_ptr<Node>> children;

  std::string attr(const std::string& key, const std::string& fallback = "") const;
  std::vector<const Node*> all(const std::string& child_name) const;
  const Node* first(const std::string& child_name) const;
};

// Throws orch::Error(BadInput) on input that is not well-formed enough to read; nesting is capped.
std::unique_ptr<Node> parse(std::string_view text);

// Replaces invalid UTF-8 sequences with U+FFFD (test output is arbitrary bytes).
std::string sanitize_utf8(std::string_view text);
// Escapes text for an attribute (newlines as character references, so they survive attribute
// normalisation) or an element body; drops characters XML 1.0 forbids.
std::string escape(std::string_view text, bool attribute = true);

}  // namespace orch::repo::xml
