#include "cli/commands.hpp"

#include <cstring>
#include <iostream>

#include "core/util/suggest.hpp"
#include "version.hpp"

namespace orch::cli {

namespace {

const std::vector<const char*> kEngine = {"DOCKER_HOST", "ORCH_TEMPLATES"};
const std::vector<const char*> kRemote = {"DOCKER_HOST", "ORCH_HOST", "ORCH_TOKEN", "ORCH_TEMPLATES"};
const std::vector<const char*> kSession = {"DOCKER_HOST", "ORCH_HOST", "ORCH_TOKEN", "ORCH_TEMPLATES", "ORCH_OWNER"};
const std::vector<const char*> kPricing = {"ORCH_PRICING_<PROVIDER>_URL", "ORCH_PRICING_TIMEOUT", "ORCH_PRICING_MAX_AGE",
                                           "ORCH_PRICING_AWS_REGIONS", "XDG_CACHE_HOME"};

std::vector<Command> session_rows() {
  return {
      {"create",
       "create a session and print its id",
       session_create_main,
       {},
       kSession,
       {"orch session create -t python-data --ttl 30m   # prints the new id"}},
      {"exec",
       "run code in a session (state persists)",
       session_exec_main,
       {},
       kSession,
       {"orch session exec $id -c 'x = 41'", "orch session exec $id -c 'print(x + 1)'   # prints 42"}},
      {"ls", "list sessions", session_ls_main, {}, kSession, {"orch session ls --json"}},
      {"show", "show a session as JSON", session_show_main, {}, kSession, {"orch session show $id"}},
      {"rm", "remove sessions", session_rm_main, {}, kSession, {"orch session rm $id"}},
      {"gc", "remove expired sessions and what they left", session_gc_main, {}, kEngine, {"orch session gc"}},
      {"extend", "set a session's expiry to now + TTL", session_extend_main, {}, kSession, {"orch session extend $id --ttl 1h"}},
      {"upload",
       "copy a file into /workspace",
       session_upload_main,
       {},
       kSession,
       {"orch session upload $id data.csv", "echo hi | orch session upload $id - notes/hi.txt"}},
      {"download",
       "copy a file out of /workspace",
       session_download_main,
       {},
       kSession,
       {"orch session download $id out/result.csv ./result.csv"}},
      {"files", "list files in /workspace", session_files_main, {}, kSession, {"orch session files $id -r"}},
      {"service",
       "start a service on the session's network",
       session_service_main,
       {},
       kSession,
       {"orch session service $id --image redis:7 --port 6379   # needs a session made with --net private"}},
      {"stats",
       "show CPU, memory, processes, network and disk use",
       session_stats_main,
       {},
       kSession,
       {"orch session stats $id", "orch session stats $id --json"}},
  };
}

std::vector<Command> build_table() {
  return {
      {"run", "run code once in a fresh sandbox", run_main, {}, kRemote,
       {"orch run -c 'print(6 * 7)'", "orch run -l node -c 'console.log(1)'", "orch run script.py -- arg1 arg2   # arguments for the program",
        "orch run -f data.csv -e MODE=fast job.py   # copy a file in, set a variable",
        "orch run --json --timeout 5 --memory 128m -c 'while True: pass'"}},
      {"serve", "serve the HTTP API (runs, sessions, Piston-compatible) and the dashboard", serve_main, {},
       {"DOCKER_HOST", "ORCH_TEMPLATES", "GITHUB_TOKEN", "XDG_CACHE_HOME", "ORCH_PRICING_MAX_AGE"},
       {"orch serve --listen 127.0.0.1:8420 --tokens tokens.txt --pool python=2"}},
      {"session", "persistent sandboxes: state, files, services, a TTL", nullptr, session_rows(), kSession,
       {"id=$(orch session create)", "orch session exec $id -c 'x = 1'", "orch session rm $id"}},
      {"templates", "list, show and build sandbox environments", templates_main, {}, kEngine,
       {"orch templates ls", "orch templates build --missing   # every template whose image is not built yet"}},
      {"repo", "test, analyze and scan git repositories in sandboxes", repo_main, {},
       {"DOCKER_HOST", "ORCH_TEMPLATES", "GITHUB_TOKEN", "GITHUB_API_URL"},
       {"orch repo test ./project --junit report.xml", "orch repo scan . --sarif scan.sarif --fail-on high"}},
      {"pricing", "GPU and CPU instance prices across clouds: refresh, ls, cheapest, watch, top", pricing_main, {}, kPricing,
       {"orch pricing refresh", "orch pricing ls --gpu H100 --sort price-per-gpu", "orch pricing top   # full-screen view"}},
      {"gc", "remove sandboxes that orch left behind", gc_main, {}, {"DOCKER_HOST"}, {"orch gc --dry-run"}},
      {"version", "print orch's version and the engine's", version_main, {}, {"DOCKER_HOST"}, {"orch version --json"}},
      {"completion", "print a shell completion script (bash, zsh, fish)", completion_main, {}, {},
       {"source <(orch completion bash)", "orch completion fish > ~/.config/fish/completions/orch.fish"}},
      {"help", "show help for a command: orch help session exec", help_main, {}, {}, {"orch help run"}},
  };
}

void print_list(const Command& c, const std::string& path) {
  if (path == "orch") std::cout << "orch " << ORCH_VERSION << ": run untrusted code in Docker sandboxes\n\n";
  std::cout << "Usage: " << path << " COMMAND [OPTIONS]\n\n";
  if (path != "orch") std::cout << c.summary << "\n\n";
  std::cout << "Commands:\n";
  for (const auto& s : c.subs) {
    std::string name = s.name;
    name.resize(12, ' ');
    std::cout << "  " << name << s.summary << "\n";
  }
  std::cout << "\nRun '" << path << " COMMAND --help' for a command's options and examples.\n";
}

}  // namespace

const Command& root_command() {
  static const Command root{"orch", "run untrusted code in Docker sandboxes", nullptr, build_table(), {}, {}};
  return root;
}

const std::vector<Command>& commands() { return root_command().subs; }

const std::vector<EnvVar>& env_vars() {
  static const std::vector<EnvVar> vars = {
      {"DOCKER_HOST", "the engine: unix:///path/to/docker.sock (default unix:///var/run/docker.sock) or tcp://HOST:PORT"},
      {"ORCH_HOST", "send runs and sessions to an orch server (http://HOST:PORT) instead of the local engine"},
      {"ORCH_TOKEN", "bearer token for ORCH_HOST"},
      {"ORCH_TEMPLATES", "folder of your own templates (default ~/.config/orch/templates); they replace built-ins of the same name"},
      {"ORCH_OWNER", "owner recorded on sessions the CLI creates (default local)"},
      {"GITHUB_TOKEN", "token for cloning private GitHub repositories and the REST API (never printed)"},
      {"GITHUB_API_URL", "GitHub REST API base (default https://api.github.com)"},
      {"ORCH_PRICING_<PROVIDER>_URL", "base URL of a provider's price source (orch pricing providers lists them)"},
      {"ORCH_PRICING_TIMEOUT", "seconds to wait for each price request (default 30)"},
      {"ORCH_PRICING_MAX_AGE", "age beyond which cached prices are called stale (default 24h)"},
      {"ORCH_PRICING_AWS_REGIONS", "AWS regions whose offer files are read (default us-east-1,us-west-2,eu-west-1; all)"},
      {"XDG_CACHE_HOME", "where prices are cached: $XDG_CACHE_HOME/orch/pricing (default ~/.cache/orch/pricing)"},
  };
  return vars;
}

const Command* find_command(const std::string& path) {
  const std::vector<Command>* rows = &commands();
  const Command* found = nullptr;
  size_t start = 0;
  while (start <= path.size()) {
    size_t sp = path.find(' ', start);
    std::string word = path.substr(start, sp == std::string::npos ? std::string::npos : sp - start);
    found = nullptr;
    for (const auto& c : *rows)
      if (word == c.name) found = &c;
    if (!found) return nullptr;
    if (sp == std::string::npos) return found;
    rows = &found->subs;
    start = sp + 1;
  }
  return found;
}

int dispatch(const Command& c, const std::string& path, int argc, char** argv) {
  if (c.main) return c.main(argc, argv);
  std::vector<std::string> names;
  for (const auto& s : c.subs) {
    if (argc >= 2 && !std::strcmp(s.name, argv[1])) return dispatch(s, path + " " + s.name, argc - 1, argv + 1);
    names.push_back(s.name);
  }
  if (argc >= 3 && !std::strcmp(argv[1], "help")) {  // `orch session help exec` is `orch session exec --help`
    static char help_flag[] = "--help";
    std::vector<char*> args(argv + 1, argv + argc);
    args.push_back(help_flag);
    return dispatch(c, path, static_cast<int>(args.size()), args.data());
  }
  bool asked = argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help"));
  if (argc < 2 || asked) {
    print_list(c, path);
    return asked ? 0 : 2;
  }
  std::string what = path == "orch" ? "command" : path.substr(5) + " command";
  std::cerr << "orch: error: unknown " << what << " '" << argv[1] << "'" << did_you_mean(argv[1], names) << "\nRun '"
            << path << " --help' for the list.\n";
  return 2;
}

}  // namespace orch::cli
