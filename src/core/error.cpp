#include "core/error.hpp"

namespace orch {

const char* kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadInput: return "bad_input";
    case ErrorKind::Forbidden: return "forbidden";
    case ErrorKind::NotFound: return "not_found";
    case ErrorKind::Conflict: return "conflict";
    case ErrorKind::Busy: return "busy";
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::Unavailable: return "unavailable";
    case ErrorKind::Infrastructure: return "infrastructure";
  }
  return "infrastructure";
}

// Exit codes for every command but `orch run`, which follows `docker run` (125 for any orch failure).
int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadInput:
    case ErrorKind::Forbidden: return 2;
    case ErrorKind::NotFound: return 3;
    case ErrorKind::Conflict: return 4;
    case ErrorKind::Busy: return 5;
    case ErrorKind::Timeout: return 124;
    case ErrorKind::Unavailable:
    case ErrorKind::Infrastructure: return 125;
  }
  return 125;
}

int http_status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadInput: return 400;
    case ErrorKind::Forbidden: return 403;
    case ErrorKind::NotFound: return 404;
    case ErrorKind::Conflict: return 409;
    case ErrorKind::Busy: return 429;
    case ErrorKind::Timeout: return 504;
    case ErrorKind::Unavailable: return 503;
    case ErrorKind::Infrastructure: return 500;
  }
  return 500;
}

}  // namespace orch
