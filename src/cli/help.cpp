#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/completion.hpp"
#include "version.hpp"

namespace orch::cli {

namespace {

// Text for roff: backslashes escaped, hyphens as \-, and no line may start with a control character.
std::string roff(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
    if (c == '\n') out += "\\&";
  }
  return "\\&" + out;
}

void command_section(const CommandSpec& s, std::ostringstream& o) {
  if (!s.path.empty() && (s.row == nullptr || s.row->main)) {
    o << ".SS " << roff("orch " + s.path) << "\n" << roff(s.summary) << "\n";
    if (!s.positionals.empty()) {
      o << ".PP\nArguments:";
      for (const auto& p : s.positionals) o << " \\fI" << roff(p) << "\\fR";
      o << "\n";
    }
    for (const auto& opt : s.options) {
      o << ".TP\n";
      for (size_t i = 0; i < opt.names.size(); ++i) o << (i ? ", " : "") << "\\fB" << roff(opt.names[i]) << "\\fR";
      if (!opt.value.empty()) o << " \\fI" << roff(opt.value) << "\\fR";
      o << "\n" << roff(opt.help) << "\n";
    }
    if (s.row && !s.row->examples.empty()) {
      o << ".PP\nExamples:\n.RS\n.nf\n";
      for (const char* e : s.row->examples) o << roff(e) << "\n";
      o << ".fi\n.RE\n";
    }
  }
  for (const auto& sub : s.subs) command_section(sub, o);
}

}  // namespace

std::string manpage(const CommandSpec& all) {
  std::ostringstream o;
  o << ".TH ORCH 1 \"\" \"orch " << ORCH_VERSION << "\" \"User Commands\"\n"
    << ".SH NAME\norch \\- run untrusted and AI-generated code in Docker sandboxes\n"
    << ".SH SYNOPSIS\n.B orch\n.I COMMAND\n.RI [ OPTIONS ]\n.br\n.B orch help\n.IR COMMAND \" [\" SUBCOMMAND ]\n"
    << ".SH DESCRIPTION\norch runs code in locked\\-down, labelled Docker containers: once (\\fBorch run\\fR), in "
       "sessions that keep state (\\fBorch session\\fR), or behind an HTTP API (\\fBorch serve\\fR). It also tests "
       "repositories in sandboxes (\\fBorch repo\\fR) and tracks cloud GPU and CPU prices (\\fBorch pricing\\fR).\n"
    << ".SH COMMANDS\n";
  command_section(all, o);
  o << ".SH ENVIRONMENT\n";
  for (const auto& v : env_vars()) o << ".TP\n.B " << roff(v.name) << "\n" << roff(v.meaning) << "\n";
  o << ".SH EXIT STATUS\n"
       "\\fBorch run\\fR exits with the program's own status; 124 on timeout; 137 out of memory; 130 interrupted; "
       "125 when orch or the engine failed. Other commands exit 0 on success, 2 for bad input, 3 not found, "
       "4 conflict, 5 busy, 124 timeout, 125 engine or infrastructure failure; \\fBorch repo test\\fR exits 1 when "
       "tests failed.\n"
    << ".SH FILES\n.TP\n.I ~/.config/orch/templates/\nyour own templates (or \\fB$ORCH_TEMPLATES\\fR)\n"
    << ".TP\n.I ~/.cache/orch/pricing/\nthe price cache, history and watch state\n"
    << ".SH SEE ALSO\n\\fBdocker\\fR(1), \\fBsystemd.service\\fR(5)\n";
  return o.str();
}

// `orch help A B` is `orch A B --help`.
int help_main(int argc, char** argv) {
  CLI::App app{"Show a command's help: 'orch help session exec' is 'orch session exec --help'.", "help"};
  std::vector<std::string> words;
  bool man = false;
  app.add_option("command", words, "a command and its subcommands");
  app.add_flag("--man", man, "print orch's manual page (roff), generated from the commands' own options");
  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  if (man) {
    std::cout << manpage(describe_all());
    return 0;
  }
  words.insert(words.begin(), "orch");
  words.push_back("--help");
  std::vector<char*> args;
  for (auto& w : words) args.push_back(w.data());
  return dispatch(root_command(), "orch", static_cast<int>(args.size()), args.data());
}

}  // namespace orch::cli
