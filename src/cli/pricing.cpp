#include <ctime>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/pricing_top.hpp"
#include "core/error.hpp"
#include "core/pricing/catalog_import.hpp"
#include "core/pricing/history.hpp"
#include "core/pricing/providers.hpp"
#include "core/pricing/refresh.hpp"
#include "core/pricing/render.hpp"
#include "core/pricing/watch.hpp"
#include "core/util/units.hpp"

namespace orch::cli {

namespace {

using namespace orch::pricing;

int64_t now() { return static_cast<int64_t>(std::time(nullptr)); }

// ls and cheapest share one rule: nothing matching the filters exits 3 (after printing the empty listing).
constexpr int kNoMatch = 3;

double default_timeout() {
  const char* v = std::getenv("ORCH_PRICING_TIMEOUT");
  return v && *v ? parse_seconds(v, "ORCH_PRICING_TIMEOUT") : 30;
}

// The filter flags shared by ls, cheapest and watch; they become the same key/value pairs the server gets.
struct FilterFlags {
  std::string gpu, sort, currency = "USD", min_gpus, gpus, vcpus, memory, max_price, limit;
  std::vector<std::string> providers, regions;
  bool spot = false;

  void add(CLI::App* app, bool with_sort) {
    app->add_option("--gpu", gpu, "GPU model, e.g. H100, A100-80GB (A100 also matches A100-80GB)");
    app->add_option("--min-gpus", min_gpus, "at least this many GPUs");
    app->add_option("--vcpus", vcpus, "at least this many vCPUs");
    app->add_option("--memory", memory, "at least this much memory, in GiB");
    app->add_option("--provider", providers, "only these providers (repeat or comma-separate)")->delimiter(',');
    app->add_option("--region", regions,
                    "only these regions; '*' is a wildcard (repeat or comma-separate). Oracle's prices hold in every "
                    "region and are listed once, as region 'global' (so are Linode's base prices)")
        ->delimiter(',');
    app->add_flag("--spot", spot, "rank by spot price (offers without one are left out)");
    app->add_option("--currency", currency, "only prices in this currency, or 'any' (default USD)");
    if (!with_sort) return;
    app->add_option("--max-price", max_price, "at most this hourly price");
    app->add_option("--sort", sort, "price (default) or price-per-gpu");
    app->add_option("--limit", limit, "show at most N offers");
  }
  Filter build() const {
    std::vector<std::pair<std::string, std::string>> kv;
    auto put = [&](const char* k, const std::string& v) {
      if (!v.empty()) kv.emplace_back(k, v);
    };
    put("gpu", gpu);
    put("min_gpus", min_gpus);
    put("gpus", gpus);
    put("vcpus", vcpus);
    put("memory", memory);
    put("max_price", max_price);
    put("sort", sort);
    put("limit", limit);
    put("currency", currency);
    for (const auto& p : providers) put("provider", p);
    for (const auto& r : regions) put("region", r);
    if (spot) kv.emplace_back("spot", "true");
    return parse_filter(kv);
  }
};

void print_warnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::cerr << "orch: warning: " << w << "\n";
}

std::function<void(const std::string&, const std::string&)> progress_printer(bool quiet) {
  if (quiet) return nullptr;
  return [](const std::string& source, const std::string& line) { std::cerr << source << ": " << line << "\n"; };
}

// Prints each source's outcome; returns how many failed.
size_t report_results(const std::vector<SourceResult>& results, bool as_json) {
  size_t failed = 0;
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : results) {
    if (r.status == SourceResult::Status::Failed) ++failed;
    if (as_json) {
      arr.push_back(to_json(r));
      continue;
    }
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1fs", r.seconds);
    if (r.status == SourceResult::Status::Ok)
      std::cout << r.source << ": ok, " << r.offers << " offers (" << secs << ")\n";
    else
      std::cout << r.source << ": " << status_name(r.status) << ": " << r.message << "\n";
  }
  if (as_json) print_json(arr);
  return failed;
}

int cmd_providers(bool as_json) {
  nlohmann::json arr = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows = {{"PROVIDER", "SOURCE", "TOKEN", "URL_VARIABLE", "NOTES"}};
  for (const auto& p : providers()) {
    const char* access = p.access == Access::Public ? "public" : p.access == Access::Token ? "token" : "none";
    arr.push_back({{"name", p.name}, {"title", p.title}, {"access", access}, {"token_env", p.token_env},
                   {"url_env", url_env_name(p.name)}, {"url", base_url_for(p)}, {"note", p.note}});
    rows.push_back({p.name, access, *p.token_env ? p.token_env : "-", p.fetch ? url_env_name(p.name) : "-", p.note});
  }
  if (as_json) print_json(arr);
  else std::cout << format_table(rows);
  return 0;
}

int cmd_refresh(const std::vector<std::string>& names, const std::vector<std::string>& regions, double timeout,
                bool as_json, bool quiet) {
  auto store = Store::open_default();
  RefreshOptions opt{names, regions, timeout, progress_printer(quiet)};
  auto results = refresh(store, opt, now());
  return report_results(results, as_json) ? 1 : 0;
}

int cmd_import(const std::string& what, const std::string& provider, double timeout, bool as_json) {
  auto store = Store::open_default();
  Http http(timeout);
  std::vector<std::string> warnings;
  auto s = import_catalog(what, provider, http, now(), &warnings);
  if (s.offers.empty())
    throw Error(ErrorKind::BadInput, what + " holds no priced offers" +
                                         (s.unpriced_rows ? " (" + std::to_string(s.unpriced_rows) + " rows without a price)" : "") +
                                         "; nothing imported");
  store.save(s);
  print_warnings(warnings);
  if (as_json) {
    print_json({{"origin", s.origin},
                {"format", s.format},
                {"offers", s.offers.size()},
                {"rows_without_price", s.unpriced_rows},
                {"fetched_at", format_iso_time(s.fetched_at)},
                {"warnings", warnings}});
  } else {
    std::cout << "imported " << s.offers.size() << " offers from " << s.origin << " (" << s.format << ")";
    if (s.unpriced_rows) std::cout << "; " << s.unpriced_rows << " rows without a price left out";
    std::cout << "\n";
  }
  return 0;
}

int cmd_ls(const FilterFlags& ff, bool as_json, bool as_csv) {
  auto f = ff.build();
  auto r = query(Store::open_default(), f, now());
  print_warnings(r.warnings);
  if (as_json) {
    print_json(to_json(r));
  } else if (as_csv) {
    std::vector<Offer> offers;
    for (const auto& m : r.matches) offers.push_back(m.offer);
    std::cout << to_csv(offers);
  } else {
    std::cout << offers_table(r, f.spot);
    std::cerr << r.matches.size() << " of " << r.total << " matching offers";
    if (r.spot_only_left_out) std::cerr << "; " << r.spot_only_left_out << " spot-only offers left out (add --spot to rank by spot price)";
    std::cerr << "; data age: " << sources_summary(r) << "\n";
  }
  return r.total == 0 ? kNoMatch : 0;
}

int cmd_cheapest(FilterFlags ff, const std::string& count, bool as_json) {
  ff.gpus = count;
  ff.limit = "1";
  auto f = ff.build();
  auto r = query(Store::open_default(), f, now());
  print_warnings(r.warnings);
  if (r.matches.empty())
    throw Error(ErrorKind::NotFound,
                "no cached offer matches" + std::string(f.gpu.empty() ? "" : " " + f.gpu) + (count.empty() ? "" : " x" + count) +
                    (r.spot_only_left_out ? " (" + std::to_string(r.spot_only_left_out) + " spot-only offers would: add --spot)" : "") +
                    "; run 'orch pricing refresh' or loosen the filters");
  if (as_json) print_json(to_json(r.matches[0]));
  else std::cout << describe_offer(r.matches[0], f.spot) << "\n";
  return 0;
}

struct WatchFlags {
  double below = 0;
  std::string interval = "10m", exec;
  bool once = false, no_refresh = false, as_json = false, quiet = false;
};

bool sleep_interruptible(double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (g_interrupted.load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return !g_interrupted.load();
}

int cmd_watch(const FilterFlags& ff, const WatchFlags& w, double timeout) {
  WatchSpec spec{ff.build(), w.below};
  double interval = parse_seconds(w.interval, "--interval");
  if (interval < 1) throw Error(ErrorKind::BadInput, "--interval must be at least 1s");
  install_signal_handlers();
  auto store = Store::open_default();
  int rc = 0;
  while (true) {
    if (!w.no_refresh) {
      // Live providers: the ones filtered on, else the ones refreshed before; then every imported catalog.
      RefreshOptions opt{spec.filter.providers, {}, timeout, progress_printer(w.quiet)};
      if (opt.providers.empty())
        for (const auto& s : store.load_all())
          if (s.kind == "live") opt.providers.push_back(s.origin);
      std::vector<SourceResult> results;
      if (!opt.providers.empty()) results = refresh(store, opt, now());
      auto more = reimport(store, opt, now());
      results.insert(results.end(), more.begin(), more.end());
      for (const auto& r : results)
        if (r.status == SourceResult::Status::Failed)
          std::cerr << "orch: warning: " << r.source << ": " << r.message << " (using cached prices)\n";
    }
    auto r = query(store, spec.filter, now());
    print_warnings(r.warnings);
    auto state = store.read_state(spec.state_name());
    auto crossed = detect_crossings(r.matches, spec.below, state);
    record_check(state, spec, crossed, now());
    // State is saved before the hooks run: a crash mid-hook must not launch the same offer twice.
    store.write_state(spec.state_name(), state);
    for (const auto& m : crossed) {
      if (w.as_json) std::cout << to_json(m).dump() << std::endl;
      else std::cout << "below " << format_price(spec.below) << ": " << describe_offer(m, spec.filter.spot) << std::endl;
      if (w.exec.empty()) continue;
      int status = run_hook(w.exec, m, spec.below, spec.filter.spot);
      if (status != 0) {
        std::cerr << "orch: warning: --exec command exited with " << status << " for " << m.offer.key() << "\n";
        rc = 1;
      }
    }
    if (!w.quiet) std::cerr << "watch: " << crossed.size() << " new offers below " << format_price(spec.below) << ", "
                            << state["below"].size() << " below in all; data age: " << sources_summary(r) << "\n";
    if (w.once || !sleep_interruptible(interval)) break;
  }
  return rc;
}

int cmd_history(const std::string& gpu, const std::vector<std::string>& provs, bool spot, bool as_json) {
  for (const auto& p : provs) find_provider(p);
  auto series = price_series(Store::open_default().history(), gpu, provs, spot);
  if (as_json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : series) arr.push_back(to_json(s));
    print_json(arr);
    return 0;
  }
  if (series.empty()) {
    std::cerr << "no price history for " << gpu << " yet: each refresh or import adds a point\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"PROVIDER", "FIRST", "LAST", "MIN", "MAX", "POINTS", "SINCE", "CHART"}};
  for (const auto& s : series) {
    std::vector<double> v;
    for (const auto& [at, price] : s.points) v.push_back(price);
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    std::string cur = s.currency == "USD" ? "" : " " + s.currency;
    rows.push_back({s.provider, format_price(v.front()) + cur, format_price(v.back()) + cur, format_price(*lo),
                    format_price(*hi), std::to_string(v.size()), format_iso_time(s.points.front().first), sparkline(v)});
  }
  std::cout << "cheapest " << (spot ? "spot" : "on-demand") << " price of one " << gpu << " per hour, per refresh\n"
            << format_table(rows, {1, 2, 3, 4, 5});
  return 0;
}

}  // namespace

int pricing_main(int argc, char** argv) {
  CLI::App app{"GPU and CPU instance prices across clouds: fetch, import, filter, watch.", "pricing"};
  app.require_subcommand(1);
  app.footer(
      "AWS's spot feed is ORCH_PRICING_AWS_SPOT_URL; 'orch pricing providers' lists every provider's URL variable.\n"
      "Exit codes: 0 ok; 1 refresh: a provider failed (the others were saved), watch --once: an --exec command failed;\n"
      "2 bad input; 3 nothing matches the filters (ls and cheapest alike: ls still prints its empty listing) or no\n"
      "such file/provider.\n"
      "Offers with only a spot price are left out unless --spot (ls says how many); offers that price only part of a\n"
      "machine (a GCP GPU without its host VM) are never ranked; offers whose memory or vCPU count is unknown are kept\n"
      "by --memory/--vcpus, with a warning.");
  bool as_json = false, as_csv = false, quiet = false, spot = false;
  double timeout = default_timeout();
  std::vector<std::string> names, regions;
  std::string what, provider, gpu, count;
  FilterFlags ff;
  WatchFlags wf;

  auto* pv = app.add_subcommand("providers", "list providers, where their prices come from, and the tokens they need");
  pv->add_flag("--json", as_json, "print JSON");

  auto* rf = app.add_subcommand("refresh", "fetch live prices from each provider's public source");
  rf->add_option("--provider", names, "only these providers (repeat or comma-separate); named ones must succeed")->delimiter(',');
  rf->add_option("--region", regions, "limit per-region sources (AWS offer files, Azure) to these regions; 'all' for every AWS region")
      ->delimiter(',');
  rf->add_option("--timeout", timeout, "seconds to wait for each request (ORCH_PRICING_TIMEOUT, default 30)");
  rf->add_flag("--json", as_json, "print each provider's outcome as JSON");
  rf->add_flag("-q,--quiet", quiet, "no progress on stderr");
  rf->footer("Exit 0 when every provider tried was saved; 1 when any failed (the others are still saved).\n"
             "Without --provider, providers that need a token that is not set are skipped, not failed.\n"
             "AWS reads the offer files of us-east-1, us-west-2 and eu-west-1 unless --region or ORCH_PRICING_AWS_REGIONS\n"
             "names others ('all' for every region; each file is hundreds of megabytes); its spot feed covers every region.\n"
             "Oracle's price list is global: its offers are in region 'global' and --region does not limit it.");

  auto* im = app.add_subcommand("import", "import a SkyPilot vms.csv, a CSV of offers, or orch's own CSV/JSON export, from a file or URL");
  im->add_option("source", what, "FILE or http(s) URL")->required();
  im->add_option("--provider", provider,
                 "the cloud a SkyPilot CSV (default: its parent folder name) or a CSV without a provider column prices");
  im->footer(
      "A CSV of offers needs an instance column (instance_type, instance, machine_type) and a price column: on-demand\n"
      "from on_demand, price, price_hourly, price_hourly_usd, hourly_price; spot from spot, spot_price,\n"
      "spot_price_hourly_usd. GPUs from gpu_model, gpu, accelerator; counts from gpu_count, gpus. Rows without any\n"
      "price are left out and counted. Exit 2 when no price column is found (the message names the columns read).");
  im->add_option("--timeout", timeout, "seconds to wait when SOURCE is a URL");
  im->add_flag("--json", as_json, "print JSON");

  auto* ls = app.add_subcommand("ls", "list cached offers, cheapest first");
  ff.add(ls, true);
  ls->add_option("--gpus", ff.gpus, "exactly this many GPUs");
  ls->add_flag("--json", as_json, "print JSON: offers, their sources and ages, warnings");
  ls->add_flag("--csv", as_csv, "print orch's CSV export (importable with 'orch pricing import')");

  auto* ch = app.add_subcommand("cheapest", "answer in one line: the cheapest offer that matches");
  ff.add(ch, false);
  ch->add_option("--count", count, "exactly this many GPUs");
  ch->add_flag("--json", as_json, "print JSON");

  auto* wa = app.add_subcommand("watch", "re-read prices every interval and run a command when an offer drops below a price");
  ff.add(wa, false);
  wa->add_option("--below", wf.below, "the hourly price an offer must drop below")->required();
  wa->add_option("--gpus", ff.gpus, "exactly this many GPUs");
  wa->add_option("--interval", wf.interval, "time between checks: 30s, 10m, 1h (default 10m)");
  wa->add_option("--exec", wf.exec,
                 "run this shell command once per crossing, with ORCH_PRICE_PROVIDER, _INSTANCE, _REGION, _PRICE "
                 "(and _GPU, _GPU_COUNT, _CURRENCY, _SPOT, _THRESHOLD) set and the offer as JSON on stdin");
  wa->add_flag("--once", wf.once, "check once and exit (crossings are remembered between runs)");
  wa->add_flag("--no-refresh", wf.no_refresh, "only read the cache; do not fetch or re-import");
  wa->add_option("--timeout", timeout, "seconds to wait for each request");
  wa->add_flag("--json", wf.as_json, "print each crossing as one JSON line");
  wa->add_flag("-q,--quiet", wf.quiet, "no progress on stderr");

  TopFlags tf;
  auto* tp = app.add_subcommand("top", "full-screen view: cheapest offer per GPU model, watch thresholds, recent crossings");
  add_top_flags(tp, tf);

  auto* hi = app.add_subcommand("history", "show how the cheapest per-GPU price moved across refreshes");
  hi->add_option("--gpu", gpu, "GPU model")->required();
  hi->add_option("--provider", names, "only these providers")->delimiter(',');
  hi->add_flag("--spot", spot, "spot prices");
  hi->add_flag("--json", as_json, "print JSON");

  if (int rc = parse(app, argc, argv); rc >= 0) return rc;
  if (timeout <= 0) throw Error(ErrorKind::BadInput, "--timeout must be positive");
  if (pv->parsed()) return cmd_providers(as_json);
  if (rf->parsed()) return cmd_refresh(names, regions, timeout, as_json, quiet);
  if (im->parsed()) return cmd_import(what, provider, timeout, as_json);
  if (ls->parsed()) {
    if (as_json && as_csv) throw Error(ErrorKind::BadInput, "choose one of --json and --csv");
    return cmd_ls(ff, as_json, as_csv);
  }
  if (ch->parsed()) return cmd_cheapest(ff, count, as_json);
  if (wa->parsed()) return cmd_watch(ff, wf, timeout);
  if (tp->parsed()) return run_top(tf);
  return cmd_history(gpu, names, spot, as_json);
}

}  // namespace orch::cli
