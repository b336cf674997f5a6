#pragma once
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

namespace orch::cli {

// A full-screen terminal session: the alternate screen, no echo, keys read one at a time, no cursor. The
// terminal is put back as it was when this object ends, on any exit path (Ctrl-C and SIGTERM end the
// program's loop through g_interrupted rather than killing it mid-frame).
class FullScreen {
 public:
  FullScreen();
  ~FullScreen();
  FullScreen(const FullScreen&) = delete;
  FullScreen& operator=(const FullScreen&) = delete;

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  void update_size();
  // Draws a whole frame: each line cut or padded to the width, the rest of the screen cleared.
  void draw(const std::vector<std::string>& lines);

 private:
  int rows_ = 24, cols_ = 80;
};

enum Key : int { kNoKey = -1, kKeyUp = 1000, kKeyDown, kKeyPageUp, kKeyPageDown, kKeyEscape };

// The next key within timeout_ms: a byte, a Key for arrows and paging, or kNoKey.
int read_key(int timeout_ms);

// "\x1b[7m" + text + "\x1b[0m", padded to width first so the bar spans the line.
std::string inverse(const std::string& text, int width);

// While it lives, what goes to `out` has its control characters escaped as terminal_safe() does
// (newlines and tabs stay): for human-readable text that quotes a repository's or a provider's
// data (file and test names), which must not drive the reader's terminal. Not for JSON or XML.
class InertText : private std::streambuf {
 public:
  explicit InertText(std::ostream& out);
  ~InertText() override;
  InertText(const InertText&) = delete;
  InertText& operator=(const InertText&) = delete;

 private:
  int overflow(int c) override;
  int sync() override;
  std::ostream& out_;
  std::streambuf* inner_;
  bool c2_ = false;  // a 0xc2 byte waits: it may start a C1 control
};

}  // namespace orch::cli
