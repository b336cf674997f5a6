#pragma once
#include <stdexcept>
#include <string>

namespace orch {

// Whose fault an error is; drives the exit code and the HTTP status in one place.
enum class ErrorKind {
  BadInput,        // the caller asked for something invalid
  NotFound,        // a named thing does not exist
  Conflict,        // the thing exists in the wrong state
  Busy,            // a limit is full; try again later
  Timeout,         // a deadline passed
  Unavailable,     // the Docker engine (or another dependency) cannot be reached
  Infrastructure,  // the engine or the host failed
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

const char* kind_name(ErrorKind kind);
int exit_code_for(ErrorKind kind);
int http_status_for(ErrorKind kind);

}  // namespace orch
