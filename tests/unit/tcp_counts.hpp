#pragma once
#include <cstdint>

namespace orch::testing {

// How many segments carrying data the TCP socket `fd` has received (the kernel's
// tcpi_data_segs_in); -1 when the kernel does not say. Apart from the tests that include
// httplib.h, whose <netinet/tcp.h> has an older struct tcp_info.
int64_t data_segments_in(int fd);

}  // namespace orch::testing
