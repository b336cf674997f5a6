#include "cli/pricing_top.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include "cli/common.hpp"
#include "cli/terminal.hpp"
#include "core/error.hpp"
#include "core/pricing/render.hpp"
#include "core/pricing/watch.hpp"
#include "core/util/units.hpp"

namespace orch::cli {

namespace {

using namespace orch::pricing;

enum class SortBy { PerGpu, Model, Offers };
const char* sort_name(SortBy s) { return s == SortBy::PerGpu ? "price per GPU" : s == SortBy::Model ? "model" : "offers"; }

// What the keys change.
struct View {
  std::string gpu;  // part of the model name, any case
  std::string provider;
  bool spot = false;
  SortBy sort = SortBy::PerGpu;
  size_t scroll = 0;
  bool typing = false;
  std::string typed;
};

struct ModelRow {
  std::string model;
  Match best;
  size_t offers = 0;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string pad(std::string s, size_t width, bool right = false) {
  if (s.size() >= width) return s.substr(0, width);
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

// Everything one frame shows, read from the store.
struct Data {
  QueryResult result;
  std::vector<ModelRow> rows;
  std::vector<std::string> providers;  // every provider with GPU offers, for the `p` key
  std::vector<nlohmann::json> watches;
};

Data load(const Store& store, const View& v, int64_t now) {
  Data d;
  Filter f;
  f.spot = v.spot;
  f.min_gpus = 0.0001;  // GPU machines only
  if (!v.provider.empty()) f.providers = {v.provider};
  d.result = query(store, f, now);
  std::map<std::string, ModelRow> by_model;
  std::string want = lower(v.gpu);
  for (const auto& m : d.result.matches) {
    if (m.offer.gpu_model.empty() || !m.price_per_gpu) continue;
    if (!want.empty() && lower(m.offer.gpu_model).find(want) == std::string::npos) continue;
    auto& row = by_model[m.offer.gpu_model];
    if (row.offers++ == 0 || *m.price_per_gpu < *row.best.price_per_gpu) row.best = m;
    row.model = m.offer.gpu_model;
  }
  for (auto& [_, r] : by_model) d.rows.push_back(std::move(r));
  std::sort(d.rows.begin(), d.rows.end(), [&](const ModelRow& a, const ModelRow& b) {
    if (v.sort == SortBy::Model) return a.model < b.model;
    if (v.sort == SortBy::Offers && a.offers != b.offers) return a.offers > b.offers;
    return *a.best.price_per_gpu < *b.best.price_per_gpu;
  });
  Filter all;
  all.min_gpus = 0.0001;
  std::set<std::string> provs;
  for (const auto& m : query(store, all, now).matches) provs.insert(m.offer.provider);
  d.providers.assign(provs.begin(), provs.end());
  d.watches = watch_states(store);
  return d;
}

std::string clock_time(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::localtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

// One watch's line: what it watches (state["watch"]), how many offers were below, when it last looked.
std::string describe_watch(const nlohmann::json& state, int64_t now) {
  const auto& w = state["watch"];
  std::string what = w.value("gpu", "");
  if (what.empty()) what = "any GPU";
  double gpus = w.value("gpus", 0.0);
  if (gpus > 0) what += " x" + std::to_string(static_cast<int>(gpus));
  std::string provs;
  for (const auto& p : w.value("providers", nlohmann::json::array())) provs += (provs.empty() ? "" : ",") + p.get<std::string>();
  return pad(what, 18) + " below " + pad(format_price(w.value("below", 0.0)), 9) + pad(w.value("spot", false) ? "spot" : "on-demand", 10) +
         pad(provs.empty() ? "all providers" : provs, 18) + std::to_string(state.value("below", nlohmann::json::array()).size()) +
         " below at the last check, " + format_age(now - state.value("checked_at", int64_t{0})) + " ago";
}

std::vector<std::string> frame(const Data& d, View& v, const FullScreen& screen, double interval, int64_t now) {
  const size_t rows = static_cast<size_t>(screen.rows());
  std::vector<std::string> out;
  size_t offers = 0;
  for (const auto& r : d.rows) offers += r.offers;
  out.push_back(inverse("orch pricing top  " + std::to_string(d.rows.size()) + " GPU models, " + std::to_string(offers) +
                            " offers  " + clock_time(now) + "  data age: " + sources_summary(d.result),
                        screen.cols()));
  out.push_back("GPU: " + (v.gpu.empty() ? std::string("any") : v.gpu) + "   provider: " +
                (v.provider.empty() ? std::string("all") : v.provider) + "   price: " + (v.spot ? "spot" : "on-demand") +
                "   sort: " + sort_name(v.sort) + "   reload every " + format_age(static_cast<int64_t>(interval)));
  out.push_back(d.result.warnings.empty() ? "" : "\x1b[33mwarning: " + d.result.warnings.front() + "\x1b[0m");

  // The lower panel: thresholds and the latest crossings, a few lines each.
  std::vector<std::string> lower_panel;
  std::vector<nlohmann::json> recent;
  for (const auto& w : d.watches)
    for (const auto& c : w.value("recent", nlohmann::json::array())) recent.push_back(c);
  std::sort(recent.begin(), recent.end(), [](const auto& a, const auto& b) { return a.value("at", 0) > b.value("at", 0); });
  lower_panel.push_back(inverse("THRESHOLDS (orch pricing watch)", screen.cols()));
  if (d.watches.empty()) lower_panel.push_back("  none: 'orch pricing watch --gpu H100 --below 2.50' sets one");
  for (size_t i = 0; i < d.watches.size() && i < 4; ++i) lower_panel.push_back("  " + describe_watch(d.watches[i], now));
  lower_panel.push_back(inverse("RECENT CROSSINGS", screen.cols()));
  if (recent.empty()) lower_panel.push_back("  none yet");
  for (size_t i = 0; i < recent.size() && i < 5; ++i) {
    const auto& c = recent[i];
    lower_panel.push_back("  " + clock_time(c.value("at", int64_t{0})) + "  " + pad(c.value("gpu", ""), 12) +
                          pad(format_price(c.value("price", 0.0)) + " " + c.value("currency", ""), 14) + c.value("provider", "") + " " +
                          c.value("instance_type", "") + " " + c.value("region", ""));
  }

  out.push_back(inverse(pad("GPU MODEL", 16) + pad("PER GPU/H", 11, true) + pad("OFFER/H", 11, true) + pad("GPUS", 6, true) + "  " +
                            pad("PROVIDER", 14) + pad("INSTANCE", 26) + pad("REGION", 18) + pad("AGE", 5, true) + pad("OFFERS", 8, true),
                        screen.cols()));
  size_t footer = 1;
  size_t room = rows > out.size() + lower_panel.size() + footer + 1 ? rows - out.size() - lower_panel.size() - footer - 1 : 3;
  if (v.scroll + room > d.rows.size()) v.scroll = d.rows.size() > room ? d.rows.size() - room : 0;
  if (d.rows.empty())
    out.push_back(d.result.sources.empty() ? "  no prices cached yet: run 'orch pricing refresh' or 'orch pricing import FILE'"
                                           : "  no GPU offer matches (keys: / to change the GPU filter, p the provider, s spot)");
  for (size_t i = v.scroll; i < d.rows.size() && i < v.scroll + room; ++i) {
    const auto& r = d.rows[i];
    const auto& o = r.best.offer;
    std::string cur = o.currency == "USD" ? "" : " " + o.currency;
    char gpus[16];
    std::snprintf(gpus, sizeof gpus, "%g", o.gpu_count);
    out.push_back(pad(r.model, 16) + pad(format_price(*r.best.price_per_gpu), 11, true) + pad(format_price(r.best.price), 11, true) +
                  pad(gpus, 6, true) + "  " + pad(o.provider, 14) + pad(o.instance_type, 26) + pad(o.region, 18) +
                  pad(format_age(r.best.age_s), 5, true) + pad(std::to_string(r.offers), 8, true) + cur);
  }
  while (out.size() + lower_panel.size() + footer < rows) out.push_back("");
  out.insert(out.end(), lower_panel.begin(), lower_panel.end());
  if (v.typing) out.push_back("GPU filter (Enter to apply, Esc to cancel): " + v.typed + "_");
  else out.push_back(inverse("q quit  / GPU filter  p provider  s spot/on-demand  o sort  r reload  up/down scroll", screen.cols()));
  return out;
}

// Applies one key; returns false when the program should end.
bool on_key(int key, View& v, const Data& d, bool& reload) {
  if (v.typing) {
    if (key == '\r' || key == '\n') {
      v.gpu = v.typed;
      v.typing = false;
      reload = true;
    } else if (key == kKeyEscape) {
      v.typing = false;
    } else if (key == 127 || key == 8) {
      if (!v.typed.empty()) v.typed.pop_back();
    } else if (key >= 32 && key < 127) {
      v.typed += static_cast<char>(key);
    }
    return true;
  }
  switch (key) {
    case 'q': case 'Q': return false;
    case '/': case 'g': v.typing = true; v.typed = v.gpu; break;
    case 's': v.spot = !v.spot; reload = true; break;
    case 'o': v.sort = v.sort == SortBy::PerGpu ? SortBy::Model : v.sort == SortBy::Model ? SortBy::Offers : SortBy::PerGpu; reload = true; break;
    case 'r': reload = true; break;
    case 'p': {
      auto it = std::find(d.providers.begin(), d.providers.end(), v.provider);
      if (v.provider.empty()) v.provider = d.providers.empty() ? "" : d.providers.front();
      else v.provider = (it == d.providers.end() || it + 1 == d.providers.end()) ? "" : *(it + 1);
      reload = true;
      break;
    }
    case kKeyUp: case 'k': if (v.scroll > 0) --v.scroll; break;
    case kKeyDown: case 'j': ++v.scroll; break;
    case kKeyPageUp: v.scroll = v.scroll > 10 ? v.scroll - 10 : 0; break;
    case kKeyPageDown: v.scroll += 10; break;
    default: break;
  }
  return true;
}

}  // namespace

void add_top_flags(CLI::App* app, TopFlags& f) {
  app->add_option("--interval", f.interval, "how often the store is re-read: 2s, 1m (default 5s); 'orch pricing watch' or a timer refreshes it");
  app->add_option("--gpu", f.gpu, "show only GPU models containing this text (key: /)");
  app->add_option("--provider", f.provider, "show only this provider (key: p)");
  app->add_flag("--spot", f.spot, "rank by spot price (key: s)");
  app->footer("Keys: q quit, / filter by GPU model, p next provider, s spot/on-demand, o sort (price per GPU, model,\n"
              "offers), r reload now, up/down/PgUp/PgDn scroll. Exit 0 after q, 130 after Ctrl-C or SIGTERM (the terminal\n"
              "is restored either way), 2 without a terminal: scripts use 'orch pricing ls --json'.");
}

int run_top(const TopFlags& f) {
  double interval = parse_seconds(f.interval, "--interval");
  if (interval < 1) throw Error(ErrorKind::BadInput, "--interval must be at least 1s");
  if (!::isatty(0) || !::isatty(1))
    throw Error(ErrorKind::BadInput, "'orch pricing top' needs a terminal; in scripts use 'orch pricing ls --json'");
  auto store = Store::open_default();
  View v;
  v.gpu = f.gpu;
  v.provider = f.provider;
  v.spot = f.spot;
  install_signal_handlers();
  FullScreen screen;
  auto now = [] { return static_cast<int64_t>(std::time(nullptr)); };
  Data d = load(store, v, now());
  auto next_load = std::chrono::steady_clock::now() + std::chrono::duration<double>(interval);
  bool running = true;
  while (running && !g_interrupted.load()) {
    screen.update_size();
    screen.draw(frame(d, v, screen, interval, now()));
    int key = read_key(200);
    bool reload = std::chrono::steady_clock::now() >= next_load;
    if (key != kNoKey) running = on_key(key, v, d, reload);
    if (reload && running) {
      d = load(store, v, now());
      next_load = std::chrono::steady_clock::now() + std::chrono::duration<double>(interval);
    }
  }
  return g_interrupted.load() ? 130 : 0;
}

}  // namespace orch::cli
