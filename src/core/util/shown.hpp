#pragma once
#include <string>
#include <string_view>

namespace orch {

// Text a request or a command line gave, as a message quotes it: control characters (NUL, ESC,
// newlines, DEL, U+0080-U+009F) written as escapes, so a message is whole (an exception's text
// ends at a NUL) and cannot drive a terminal, and at most `max` bytes, cut at a character's start
// and marked "...".
std::string shown(std::string_view text, size_t max = 200);

// A whole message for a terminal: as shown(), but newlines and tabs stay and nothing is cut.
std::string terminal_safe(std::string_view message);

}  // namespace orch
