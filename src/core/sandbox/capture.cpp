#include "core/sandbox/capture.hpp"

namespace orch::sandbox {

std::string_view CappedBuffer::append(std::string_view d) {
  size_t room = cap > data.size() ? cap - data.size() : 0;
  if (d.size() > room) {
    truncated = true;
    d = d.substr(0, room);
  }
  size_t at = data.size();
  data.append(d);
  return std::string_view(data).substr(at);
}

void MarkerSplitter::feed(std::string_view d) {
  if (found_) {
    feed_trailer(d);
    return;
  }
  held_.append(d);
  size_t pos = held_.find(marker_);
  if (pos != std::string::npos) {
    if (pos > 0) normal_(std::string_view(held_).substr(0, pos));
    found_ = true;
    std::string rest = held_.substr(pos + marker_.size());
    held_.clear();
    feed_trailer(rest);
    return;
  }
  // Emit all but the longest suffix that could begin the marker.
  size_t keep = std::min(held_.size(), marker_.size() - 1);
  while (keep > 0 && held_.compare(held_.size() - keep, keep, marker_, 0, keep) != 0) --keep;
  if (held_.size() > keep) {
    normal_(std::string_view(held_).substr(0, held_.size() - keep));
    held_.erase(0, held_.size() - keep);
  }
}

void MarkerSplitter::feed_trailer(std::string_view d) {
  size_t scan_from = trailer_.size() >= marker_.size() ? trailer_.size() - marker_.size() + 1 : 0;
  if (trailer_.size() + d.size() > trailer_cap_) {
    trailer_truncated_ = true;
    d = d.substr(0, trailer_cap_ > trailer_.size() ? trailer_cap_ - trailer_.size() : 0);
  }
  trailer_.append(d);
  // A second marker means the first one was printed by the program itself: it was output.
  size_t again = trailer_.find(marker_, scan_from);
  while (again != std::string::npos) {
    normal_(marker_);
    normal_(std::string_view(trailer_).substr(0, again));
    trailer_.erase(0, again + marker_.size());
    again = trailer_.find(marker_);
  }
}

void MarkerSplitter::finish() {
  if (!found_ && !held_.empty()) normal_(held_);
  held_.clear();
}

}  // namespace orch::sandbox
