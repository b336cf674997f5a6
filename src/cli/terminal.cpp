#include "cli/terminal.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace orch::cli {

namespace {

termios g_saved{};

void write_out(const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(1, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Cuts to `width` visible columns; escape sequences take no room.
std::string fit(const std::string& line, int width) {
  std::string out;
  int shown = 0;
  bool in_escape = false;
  for (char c : line) {
    if (c == '\x1b') in_escape = true;
    if (in_escape) {
      out += c;
      if (c == 'm') in_escape = false;
      continue;
    }
    if (shown >= width) continue;
    out += c;
    ++shown;
  }
  return out;
}

}  // namespace

FullScreen::FullScreen() {
  ::tcgetattr(0, &g_saved);
  termios raw = g_saved;
  raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);  // ISIG stays on: Ctrl-C is a signal the loop sees
  raw.c_iflag &= ~static_cast<tcflag_t>(IXON | ICRNL);
  raw.c_cc[VMIN] = 0;
  raw.c_cc[VTIME] = 0;
  ::tcsetattr(0, TCSAFLUSH, &raw);
  write_out("\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J");
  update_size();
}

FullScreen::~FullScreen() {
  write_out("\x1b[0m\x1b[?25h\x1b[?1049l");
  ::tcsetattr(0, TCSAFLUSH, &g_saved);
}

void FullScreen::update_size() {
  winsize ws{};
  if (::ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
    rows_ = ws.ws_row;
    cols_ = ws.ws_col;
  }
}

void FullScreen::draw(const std::vector<std::string>& lines) {
  std::string frame = "\x1b[H";
  for (int i = 0; i < rows_ && i < static_cast<int>(lines.size()); ++i) {
    if (i) frame += "\r\n";
    frame += fit(lines[static_cast<size_t>(i)], cols_) + "\x1b[0m\x1b[K";
  }
  frame += "\x1b[J";
  write_out(frame);
}

int read_key(int timeout_ms) {
  pollfd p{0, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return kNoKey;
  unsigned char c = 0;
  if (::read(0, &c, 1) != 1) return kNoKey;
  if (c != 0x1b) return c;
  // An escape sequence arrives at once; a lone Escape does not.
  char seq[3] = {0, 0, 0};
  if (::poll(&p, 1, 30) <= 0 || ::read(0, &seq[0], 1) != 1) return kKeyEscape;
  if (::poll(&p, 1, 30) <= 0 || ::read(0, &seq[1], 1) != 1) return kKeyEscape;
  if (seq[0] != '[') return kKeyEscape;
  if (seq[1] == 'A') return kKeyUp;
  if (seq[1] == 'B') return kKeyDown;
  if ((seq[1] == '5' || seq[1] == '6') && ::poll(&p, 1, 30) > 0 && ::read(0, &seq[2], 1) == 1 && seq[2] == '~')
    return seq[1] == '5' ? kKeyPageUp : kKeyPageDown;
  return kNoKey;
}

std::string inverse(const std::string& text, int width) {
  std::string padded = text;
  if (static_cast<int>(padded.size()) < width) padded.resize(static_cast<size_t>(width), ' ');
  return "\x1b[7m" + padded + "\x1b[0m";
}

InertText::InertText(std::ostream& out) : out_(out), inner_(out.rdbuf(this)) {}

InertText::~InertText() {
  if (c2_) inner_->sputc(static_cast<char>(0xc2));
  out_.rdbuf(inner_);
}

int InertText::overflow(int c) {
  if (c == traits_type::eof()) return 0;
  auto b = static_cast<unsigned char>(c);
  auto escape = [this](unsigned v) {
    static const char hex[] = "0123456789abcdef";
    const char e[4] = {'\\', 'x', hex[v >> 4], hex[v & 15]};
    inner_->sputn(e, 4);
  };
  if (c2_) {
    c2_ = false;
    if (b >= 0x80 && b <= 0x9f) {
      escape(b);
      return c;
    }
    inner_->sputc(static_cast<char>(0xc2));
  }
  if (b == 0xc2) c2_ = true;
  else if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7f) escape(b);
  else inner_->sputc(static_cast<char>(b));
  return c;
}

int InertText::sync() { return inner_->pubsync(); }  // a 0xc2 waiting stays: its next byte decides

}  // namespace orch::cli
