#pragma once
#include <stdexcept>
#include <string>

namespace orch {

// Whose fault an error is; drives the exit code and the HTTP status in one place.
enum class ErrorKind {
  BadInput,        // the caller asked for something invalid
  Forbidden,       // the caller may not do this (another tenant's name, an image not allowed, not an admin)
  NotFound,        // a named thing does not exist
  Conflict,        // the thing exists in the wrong state
  Busy,            // a limit is full; try again later
  Timeout,         // a deadline passed
  Unavailable,     // the Docker engine (or another dependency) cannot be reached
  Infrastructure,  // the engine or the host failed
};

// What exactly went wrong, for callers that react to it: set where the error is raised, so no
// caller has to read the message.
enum class Reason {
  Unspecified,
  ImageMissing,    // the image a sandbox needs is not on the engine
  UnknownRuntime,  // the engine has no such runtime (gVisor not registered, ...)
  MountRefused,    // the engine could not mount a host directory into the sandbox
  NotFound,        // the sandbox, exec or network named does not exist (any more)
  NotRunning,      // the sandbox exists but is not running
  NameInUse,       // another sandbox or network has that name
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, Reason reason = Reason::Unspecified)
      : std::runtime_error(message), kind_(kind), reason_(reason) {}
  ErrorKind kind() const { return kind_; }
  Reason reason() const { return reason_; }
  // The request field a BadInput is about ("memory"), or empty. The message then starts with that
  // name, so a front end may say it in its own words (the CLI names its flag).
  const std::string& field() const { return field_; }
  static Error bad_field(const std::string& field, const std::string& rest) {
    Error e(ErrorKind::BadInput, field + " " + rest);
    e.field_ = field;
    return e;
  }

 private:
  ErrorKind kind_;
  Reason reason_;
  std::string field_;
};

const char* kind_name(ErrorKind kind);
int exit_code_for(ErrorKind kind);
int http_status_for(ErrorKind kind);

}  // namespace orch
