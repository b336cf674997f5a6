// Asynchronous jobs (repository tests) and price queries over HTTP, on the same core as the CLI.
#include <algorithm>
#include <thread>

#include "core/pricing/history.hpp"
#include "core/pricing/query.hpp"
#include "core/pricing/store.hpp"
#include "core/repo/remote_check.hpp"
#include "core/repo/test.hpp"
#include "core/sandbox/limits.hpp"
#include "core/util/random.hpp"
#include "core/util/units.hpp"
#include "server/body.hpp"
#include "server/context.hpp"

namespace orch::server {

namespace {

using nlohmann::json;

// Records a job's phases for GET /v1/jobs/{id}; cancels when the server's drain grace ran out.
class JobObserver : public repo::ProgressObserver {
 public:
  JobObserver(Context& ctx, std::shared_ptr<Job> job) : ctx_(ctx), job_(std::move(job)) {}
  void on_phase(const std::string&, repo::Phase phase, const std::string& detail) override {
    std::lock_guard<std::mutex> lock(ctx_.jobs_mu);
    job_->phase = repo::phase_name(phase);
    job_->log.push_back({{"phase", job_->phase}, {"detail", detail}, {"at", unix_now()}});
  }
  bool cancelled() override { return ctx_.cancel_all; }

 private:
  Context& ctx_;
  std::shared_ptr<Job> job_;
};

}  // namespace

std::shared_ptr<Job> add_job(Context& ctx, const std::string& kind, const std::string& tenant, const std::string& source) {
  auto job = std::make_shared<Job>();
  job->id = "j-" + random_hex(12);
  job->kind = kind;
  job->tenant = tenant;
  job->source = source;
  job->created = unix_now();
  std::lock_guard<std::mutex> lock(ctx.jobs_mu);
  ctx.jobs[job->id] = job;
  while (ctx.jobs.size() > 200) {  // forget the oldest finished jobs
    auto oldest = ctx.jobs.end();
    for (auto it = ctx.jobs.begin(); it != ctx.jobs.end(); ++it)
      if (it->second->status != JobStatus::Running && (oldest == ctx.jobs.end() || it->second->created < oldest->second->created))
        oldest = it;
    if (oldest == ctx.jobs.end()) break;
    ctx.jobs.erase(oldest);
  }
  return job;
}

json job_json(const Job& j) {
  json out = {{"id", j.id}, {"kind", j.kind}, {"phase", j.phase}, {"source", j.source}, {"created", j.created}, {"log", j.log}};
  out["status"] = status_name(j.status);
  if (j.finished) out["finished"] = j.finished;
  if (!j.report.is_null()) out["report"] = j.report;
  if (!j.error.empty()) out["error"] = j.error;
  return out;
}

const char* status_name(JobStatus s) {
  switch (s) {
    case JobStatus::Running: return "running";
    case JobStatus::Done: return "done";
    case JobStatus::Failed: return "failed";
  }
  return "failed";
}

namespace {

// A repository job is a run like any other: the server's and the tenant's caps hold for its memory,
// time, processes and CPUs, and what it would take by default is brought under them, not past them.
void cap_repo_job(const Context& ctx, const Tenant& tenant, const json& body, repo::TestOptions& o) {
  if (o.submodules) throw Error(ErrorKind::BadInput, "submodules are not fetched here: their URLs come from the repository, not from you");
  if (o.max_repo_bytes <= 0 || o.max_repo_bytes > repo::TestOptions{}.max_repo_bytes)
    throw Error::bad_field("max_size",
                           "must be above 0 and at most " + format_bytes(repo::TestOptions{}.max_repo_bytes) + " on this server");
  double max_t = max_timeout_s(ctx, tenant);
  if (body.contains("timeout")) check_caps(ctx, tenant, o.timeout_s, std::nullopt);
  else o.timeout_s = o.setup_timeout_s = std::min(o.timeout_s, max_t);
  int64_t max_m = max_memory_bytes(ctx, tenant);
  if (o.memory_bytes) check_caps(ctx, tenant, std::nullopt, o.memory_bytes);
  else o.memory_bytes = std::min<int64_t>(1LL << 30, max_m);
  o.pids = std::min<int64_t>(512, max_pids(ctx, tenant));
  if (o.cpus) check_cpus(ctx, tenant, *o.cpus);
  for (const auto& kv : o.env) sandbox::check_env(kv);
}

}  // namespace

void add_job_routes(httplib::Server& svr, Context& ctx) {
  svr.Post("/v1/repo/test", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
    const Tenant& tenant = current_tenant();
    json body = parse_body(req.body);
    repo::TestOptions opts = repo::test_options_from_json(body, false);
    if (opts.setup_network && !ctx.cfg.allow_network)
      throw Error(ErrorKind::BadInput, "setup_net is not allowed on this server (it runs with --allow-net off)");
    // A tenant's clones use that tenant's own credentials, never the server's.
    opts.token = tenant.github_token;
    cap_repo_job(ctx, tenant, body, opts);
    opts.remote = {true, ctx.cfg.allow_repo_hosts};
    repo::check_remote(repo::parse_source(opts.source), opts.remote);  // a refused host is a 400 now, not a failed job
    if (!ctx.cfg.runtime.empty()) opts.runtime = ctx.cfg.runtime;
    auto slot = std::make_shared<Slot>(acquire_slot(ctx, tenant));
    auto job = add_job(ctx, "repo_test", tenant.name, opts.source);
    {
      std::lock_guard<std::mutex> lock(ctx.jobs_mu);
      ++ctx.jobs_running;
      ctx.metrics.record_job("started");
      std::thread([&ctx, job, opts, slot]() mutable {
        JobObserver obs(ctx, job);
        json report, error;
        try {
          report = repo::to_json(repo::run_tests(ctx.engine, ctx.store, opts, obs));
        } catch (const std::exception& e) {
          error = e.what();
        }
        {
          std::lock_guard<std::mutex> lock(ctx.jobs_mu);
          job->status = error.is_null() ? JobStatus::Done : JobStatus::Failed;
          job->report = report;
          if (!error.is_null()) job->error = error.get<std::string>();
          job->finished = unix_now();
        }
        ctx.metrics.record_job(status_name(job->status));
        slot.reset();  // touches the limiter: before shutdown may proceed
        --ctx.jobs_running;
      }).detach();
    }
    res.set_header("Location", "/v1/jobs/" + job->id);
    std::lock_guard<std::mutex> lock(ctx.jobs_mu);
    send_json(res, job_json(*job), 202);
  }));

  svr.Get("/v1/jobs", guarded([&ctx](const httplib::Request&, httplib::Response& res) {
    std::vector<std::shared_ptr<Job>> mine;
    {
      std::lock_guard<std::mutex> lock(ctx.jobs_mu);
      for (const auto& [id, job] : ctx.jobs)
        if (job->tenant == current_tenant().name) mine.push_back(job);
    }
    std::sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) { return a->created > b->created; });
    json arr = json::array();
    std::lock_guard<std::mutex> lock(ctx.jobs_mu);
    for (const auto& job : mine) arr.push_back(job_json(*job));
    send_json(res, {{"jobs", arr}});
  }));

  svr.Get(R"(/v1/jobs/([^/]+))", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(ctx.jobs_mu);
    auto it = ctx.jobs.find(req.matches[1]);
    if (it == ctx.jobs.end() || it->second->tenant != current_tenant().name)
      throw Error(ErrorKind::NotFound, "no job " + std::string(req.matches[1]));
    send_json(res, job_json(*it->second));
  }));

  svr.Get("/v1/pricing", guarded([](const httplib::Request& req, httplib::Response& res) {
    std::vector<std::pair<std::string, std::string>> params(req.params.begin(), req.params.end());
    pricing::Filter f = pricing::parse_filter(params);
    send_json(res, pricing::to_json(pricing::query(pricing::Store::open_default(), f, unix_now())));
  }));

  svr.Get("/v1/pricing/history", guarded([](const httplib::Request& req, httplib::Response& res) {
    std::string gpu = req.get_param_value("gpu");
    if (gpu.empty()) throw Error(ErrorKind::BadInput, "query parameter 'gpu' is required (a GPU model, as --gpu takes it)");
    std::vector<std::string> providers;
    const std::string provider_list = req.get_param_value("provider");
    for (std::string_view rest = provider_list; !rest.empty();) {
      auto comma = rest.find(',');
      providers.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    bool spot = req.get_param_value("spot") == "1";
    json series = json::array();
    for (const auto& s : pricing::price_series(pricing::Store::open_default().history(), gpu, providers, spot)) series.push_back(pricing::to_json(s));
    send_json(res, {{"gpu", gpu}, {"spot", spot}, {"series", series}});
  }));
}

}  // namespace orch::server
