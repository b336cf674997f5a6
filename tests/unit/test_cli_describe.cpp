#include <doctest/doctest.h>

#include <set>
#include <string>

#include "cli/commands.hpp"
#include "cli/completion.hpp"
#include "cli/describe.hpp"

using namespace orch::cli;

namespace {

const CommandSpec* find_spec(const CommandSpec& s, const std::string& path) {
  if (s.path == path) return &s;
  for (const auto& sub : s.subs)
    if (const auto* f = find_spec(sub, path)) return f;
  return nullptr;
}

bool has_option(const CommandSpec& s, const std::string& name, bool takes_value) {
  for (const auto& o : s.options)
    for (const auto& n : o.names)
      if (n == name) return o.value.empty() != takes_value;
  return false;
}

}  // namespace

TEST_CASE("describe_all reads every command's own parser, CLI11 subcommands and table rows alike") {
  auto all = describe_all();
  for (const char* path : {"run", "serve", "session exec", "session rm", "templates build", "repo test", "repo scan",
                           "pricing watch", "pricing top", "gc", "version", "completion", "help"}) {
    INFO(path);
    const auto* s = find_spec(all, path);
    REQUIRE(s != nullptr);
    CHECK(has_option(*s, "--help", false));
    CHECK_FALSE(s->summary.empty());
  }
  CHECK(has_option(*find_spec(all, "run"), "--timeout", true));
  CHECK(has_option(*find_spec(all, "run"), "-f", true));
  CHECK(has_option(*find_spec(all, "run"), "--json", false));
  CHECK(has_option(*find_spec(all, "pricing watch"), "--below", true));
  CHECK(has_option(*find_spec(all, "templates build"), "--missing", false));
  const auto* exec = find_spec(all, "session exec");
  CHECK(exec->positionals == std::vector<std::string>{"id", "source"});
  CHECK(find_spec(all, "session rm")->positionals == std::vector<std::string>{"ids..."});
}

TEST_CASE("no option of any command takes more than one word per occurrence") {
  auto check = [](const CommandSpec& s, auto& self) -> void {
    for (const auto& o : s.options) CHECK_MESSAGE(!o.greedy, "orch " << s.path << " " << o.names.back() << " is greedy");
    for (const auto& sub : s.subs) self(sub, self);
  };
  auto all = describe_all();
  check(all, check);
  const auto* run = find_spec(all, "run");
  REQUIRE(run != nullptr);
  size_t repeatable = 0;
  for (const auto& o : run->options) repeatable += o.names.back() == "--env" || o.names.back() == "--file";
  CHECK(repeatable == 2);
}

TEST_CASE("every environment variable a command lists is documented, and the table's paths resolve") {
  std::set<std::string> known;
  for (const auto& v : env_vars()) known.insert(v.name);
  auto check_rows = [&](const std::vector<Command>& rows, auto& self) -> void {
    for (const auto& c : rows) {
      for (const char* e : c.env) CHECK_MESSAGE(known.count(e), c.name << " reads undocumented " << e);
      for (const char* ex : c.examples) CHECK(std::string(ex).find("orch ") != std::string::npos);
      self(c.subs, self);
    }
  };
  check_rows(commands(), check_rows);
  CHECK(find_command("session exec") != nullptr);
  CHECK(find_command("session nosuch") == nullptr);
  CHECK(find_command("nosuch") == nullptr);
  CHECK(std::string(find_command("pricing")->name) == "pricing");
}

TEST_CASE("completion scripts and the man page name every command and option") {
  auto all = describe_all();
  auto bash = completion_script("bash"), zsh = completion_script("zsh"), fish = completion_script("fish");
  auto man = manpage(all);
  for (const auto& c : commands()) {
    CHECK(bash.find(c.name) != std::string::npos);
    CHECK(zsh.find(std::string("'") + c.name + ":") != std::string::npos);
    CHECK(fish.find(std::string(" -a ") + c.name + " ") != std::string::npos);
  }
  CHECK(bash.find("'run|--timeout'") != std::string::npos);  // an option with a value: its value is skipped
  CHECK(bash.find("'run|--json'") == std::string::npos);     // a flag is not
  CHECK(fish.find("-l timeout -r") != std::string::npos);
  CHECK(zsh.find("'--below:") != std::string::npos);
  CHECK(man.find(".SS \\&orch session exec") != std::string::npos);
  CHECK(man.find("\\fB\\&\\-\\-timeout\\fR") != std::string::npos);
  CHECK(man.find(".B \\&DOCKER_HOST") != std::string::npos);
}
