#include "core/repo/test.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include "core/error.hpp"
#include "core/repo/clone.hpp"
#include "core/repo/detect.hpp"
#include "core/repo/diagnose.hpp"
#include "core/repo/runtime.hpp"
#include "core/repo/sandbox_job.hpp"
#include "core/repo/source.hpp"
#include "core/repo/tree.hpp"
#include "core/templates/build.hpp"

namespace orch::repo {

namespace {

using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

std::string tail(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(s.size() - n); }

// Results from the run: the runner's report file, else its output, else the exit code alone.
Results collect_results(const TestPlan& plan, const JobResult& job, std::vector<std::string>& warnings) {
  Results res;
  std::string output = job.run.stdout_data + "\n" + job.run.stderr_data;
  auto parse_as = [&](const std::string& format, std::string_view text) -> Results {
    if (format == "junit") return parse_junit(text);
    if (format == "tap") return parse_tap(text);
    if (format == "go-json") return parse_go_test_json(text);
    if (format == "cargo") return parse_cargo_test(text);
    if (format == "unittest") return parse_unittest(text);
    return Results{};
  };
  try {
    if (!plan.result_file.empty()) {
      // go 1.19 reports compile errors on stderr, outside its JSON stream.
      std::string extra = plan.result_format == "go-json" ? "\n" + job.run.stderr_data : "";
      if (const auto* a = job.artifact(plan.result_file)) res = parse_as(plan.result_format, a->data + extra);
      else if (plan.runner != "npm")  // an npm script may use any runner; only node --test writes the file
        warnings.push_back("the runner wrote no " + plan.result_file + "; counting from its output");
    } else {
      res = parse_as(plan.result_format, output);
    }
  } catch (const Error& e) {
    warnings.push_back(std::string("could not read the test report: ") + e.what());
    res = Results{};
  }
  // Runners behind make or a custom command still print something recognisable.
  for (const char* fmt : {"tap", "cargo", "unittest"}) {
    if (res.parsed()) break;
    res = parse_as(fmt, output);
  }
  if (!res.parsed()) {
    res = Results{};
    res.format = "exit-code";
    TestCase t{"", plan.command, job.test_rc == 0 ? TestCase::Status::Passed : TestCase::Status::Failed, "", "", 0};
    if (job.test_rc != 0) {
      t.message = "the test command exited with " + std::to_string(job.test_rc);
      t.details = clip(tail(output, 8000), 8000);
    }
    t.time_s = static_cast<double>(job.run.duration_ms) / 1000.0;
    res.cases.push_back(std::move(t));
  } else if (job.test_rc != 0 && res.counts.failed + res.counts.errored == 0) {
    res.cases.push_back({"", "exit status", TestCase::Status::Errored,
                         "the test command exited with " + std::to_string(job.test_rc) + " although no test failed",
                         clip(tail(output, 8000), 8000), 0});
  }
  res.counts = count(res.cases);
  return res;
}

void fail(TestReport& r, ReportStatus status, const std::string& message) {
  r.status = status;
  r.message = message;
}

// Moves the plan to a template whose runtime satisfies what the repository declares (engines, .nvmrc,
// requires-python, go.mod, rust-toolchain). False, with the report failed, when none does; a template
// the user named is kept, with a warning.
bool pick_runtime(const templates::Store& store, const Tree& tree, TestPlan& plan, bool user_template, TestReport& r) {
  if (plan.language.empty()) return true;
  auto choice = choose_template(store, plan.template_name, plan.language, declared_runtimes(tree));
  r.warnings.insert(r.warnings.end(), choice.warnings.begin(), choice.warnings.end());
  if (choice.template_name == plan.template_name) return true;
  if (user_template) {
    // The user chose the template: the problem's advice to pass --template is already taken.
    std::string problem = choice.problem.substr(0, choice.problem.find(": add a template with a matching version"));
    r.warnings.push_back(choice.problem.empty() ? "template '" + plan.template_name + "' does not have the " + plan.language +
                                                      " version the repository declares ('" + choice.template_name + "' does)"
                                                : problem + "; running on '" + plan.template_name + "' as asked");
    return true;
  }
  if (choice.template_name.empty()) {
    fail(r, ReportStatus::Error, choice.problem);
    return false;
  }
  plan.template_name = choice.template_name;
  return true;
}

// Turns an engine error into a report status with a message that says what to do.
void engine_failure(TestReport& r, const Error& e, const templates::Template& tmpl) {
  std::string msg = e.reason() == Reason::ImageMissing ? templates::not_built(tmpl).what() : e.what();
  fail(r, e.kind() == ErrorKind::BadInput ? ReportStatus::Error : ReportStatus::InfraError, msg);
}

}  // namespace

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::Cloning: return "cloning";
    case Phase::Detecting: return "detecting";
    case Phase::Setup: return "setup";
    case Phase::Testing: return "testing";
    case Phase::Parsing: return "parsing";
    case Phase::Done: return "done";
  }
  return "done";
}

TestReport run_tests(engine::Engine& engine, const templates::Store& store, const TestOptions& o, ProgressObserver& progress) {
  auto t0 = Clock::now();
  TestReport r;
  r.source = mask_url_credentials(o.source);
  r.name = r.source;
  r.ref = o.ref;
  auto finish = [&]() -> TestReport {
    r.duration_ms = ms_since(t0);
    std::string detail = status_name(r.status);
    if (tests_ran(r.status))
      detail += ": " + std::to_string(r.results.counts.passed) + " passed, " + std::to_string(r.results.counts.failed) +
                " failed, " + std::to_string(r.results.counts.errored) + " errored, " + std::to_string(r.results.counts.skipped) + " skipped";
    else
      detail += ": " + r.message;
    progress.on_phase(r.source, Phase::Done, detail);
    return r;
  };

  // Clone.
  Checkout co;
  try {
    Source src = parse_source(o.source);
    r.source = src.display;
    r.name = short_name(src);
    progress.on_phase(r.source, Phase::Cloning, src.display + (o.ref.empty() ? "" : " @ " + o.ref));
    CloneOptions copts{o.ref, o.submodules, o.clone_timeout_s, o.max_repo_bytes, o.token, o.remote};
    co = clone(src, copts, [&] { return progress.cancelled(); },
               [&](const std::string& line) { progress.on_phase(r.source, Phase::Cloning, line); });
    r.commit = co.commit;
  } catch (const CloneError& e) {
    fail(r, ReportStatus::CloneFailed, redact(e.what(), {o.token}));
  } catch (const Error& e) {
    fail(r, e.kind() == ErrorKind::Infrastructure ? ReportStatus::InfraError : ReportStatus::CloneFailed, redact(e.what(), {o.token}));
  }
  r.clone_ms = ms_since(t0);
  if (r.status != ReportStatus::Pending) return finish();

  // Detect and pack.
  progress.on_phase(r.source, Phase::Detecting, r.commit.substr(0, 12));
  TestPlan plan;
  std::string input;
  try {
    Tree tree = walk_tree(co.path);
    Detection d = detect(tree);
    if (!o.command.empty()) {
      plan = custom_plan(o.command, !o.template_name.empty() ? o.template_name : d.plans.empty() ? "bash" : d.plans.front().template_name);
      if (!d.plans.empty()) plan.language = d.plans.front().language;
    } else if (d.plans.empty()) {
      fail(r, ReportStatus::Error,
           "no test suite detected (looked for pytest/unittest, npm test/node --test, go test, cargo test, "
           "CTest, meson test and make test/check); give the command with --cmd");
      return finish();
    } else {
      plan = d.plans.front();
      if (!o.template_name.empty()) plan.template_name = o.template_name;
    }
    if (!pick_runtime(store, tree, plan, !o.template_name.empty(), r)) return finish();
    if (!store.find(plan.template_name)) {
      fail(r, ReportStatus::Error,
           "no template '" + plan.template_name + "' for " + plan.stack + " projects: add one under templates/ or pass --template");
      return finish();
    }
    input = pack_tree(tree, "src/", r.warnings);
  } catch (const Error& e) {
    fail(r, ReportStatus::Error, e.what());
    return finish();
  }
  r.stack = plan.stack;
  r.runner = plan.runner;
  r.template_name = plan.template_name;
  r.command = plan.command;
  co.dir.reset();  // the checkout is in the tar now; nothing of it stays on disk

  const auto& tmpl = store.get(plan.template_name);
  try {
    // A setup with network runs in its own sandbox; its workspace carries over, the network does not.
    if (!o.setup.empty() && o.setup_network) {
      progress.on_phase(r.source, Phase::Setup, o.setup + " (with network)");
      auto ts = Clock::now();
      JobRun setup{plan.template_name, std::move(input), o.setup, "", true, "bridge", o.setup_timeout_s};
      JobResult s = run_job(engine, store, o, setup, r.source, progress);
      r.setup_ms = ms_since(ts);
      if (s.run.status == sandbox::RunStatus::Timeout) {
        fail(r, ReportStatus::Error, "the setup timed out after " + std::to_string(static_cast<int>(o.setup_timeout_s)) + "s");
        r.output_tail = tail(s.run.stdout_data + s.run.stderr_data, 4000);  // where it hung
        return finish();
      }
      if (s.setup_rc != 0) {
        fail(r, ReportStatus::Error,
             "the setup command failed (exit code " + std::to_string(s.setup_rc < 0 ? s.run.exit_code : s.setup_rc) + ")");
        r.output_tail = tail(s.run.stdout_data + s.run.stderr_data, 4000);
        return finish();
      }
      const auto* ws = s.artifact(".orch-workspace.tar");
      if (!ws || s.run.artifacts_truncated) {
        fail(r, ReportStatus::Error, "the workspace after the setup is too large to carry into the test sandbox (over 64 MiB)");
        return finish();
      }
      input = ws->data;
    }
    progress.on_phase(r.source, Phase::Testing, plan.command + " [" + plan.template_name + "]");
    auto tt = Clock::now();
    bool inline_setup = !o.setup.empty() && !o.setup_network;
    JobRun run{plan.template_name, std::move(input), inline_setup ? o.setup : "", plan.command, false, "none", o.timeout_s};
    JobResult j = run_job(engine, store, o, run, r.source, progress);
    r.test_ms = ms_since(tt);
    r.test_exit_code = j.test_rc;
    r.output_tail = clip(tail(j.run.stdout_data, 3000) + (j.run.stderr_data.empty() ? "" : "\n" + tail(j.run.stderr_data, 3000)), 8000);
    if (j.run.status == sandbox::RunStatus::Timeout) {
      fail(r, ReportStatus::Error, "the tests timed out after " + std::to_string(static_cast<int>(o.timeout_s)) + "s (raise --timeout)");
    } else if (j.run.status == sandbox::RunStatus::Oom) {
      fail(r, ReportStatus::Error, "the tests ran out of memory (raise --memory)");
    } else if (j.run.status == sandbox::RunStatus::Cancelled) {
      fail(r, ReportStatus::Error, "cancelled");
    } else if (inline_setup && j.setup_rc != 0) {
      fail(r, ReportStatus::Error,
           "the setup command failed (exit code " + std::to_string(j.setup_rc < 0 ? j.run.exit_code : j.setup_rc) + ")");
    } else if (j.test_rc < 0) {
      fail(r, ReportStatus::InfraError, "the sandbox ended before the tests ran (exit code " + std::to_string(j.run.exit_code) + ")");
    }
    if (r.status != ReportStatus::Pending) return finish();
    progress.on_phase(r.source, Phase::Parsing, plan.result_format);
    r.results = collect_results(plan, j, r.warnings);
    r.status = r.results.counts.failed + r.results.counts.errored > 0 ? ReportStatus::Failed : ReportStatus::Passed;
    std::string output = j.run.stdout_data + "\n" + j.run.stderr_data;
    std::string why = could_not_run_reason(output, j.test_rc, r.results, plan.stack, plan.install);
    if (!why.empty()) fail(r, ReportStatus::Error, "the tests could not run: " + why);
    else if (std::string none = no_tests_reason(output, j.test_rc, r.results); !none.empty())
      fail(r, ReportStatus::Error, "no tests ran: " + none);
    // A run that tested nothing counts no case: the exit code stood in for results that never came.
    if (r.status == ReportStatus::Error && !r.results.parsed()) r.results = Results{};
  } catch (const Error& e) {
    engine_failure(r, e, tmpl);
  }
  return finish();
}

std::vector<TestReport> run_tests_parallel(engine::Engine& engine, const templates::Store& store,
                                           const std::vector<TestOptions>& all, int jobs, ProgressObserver& progress) {
  std::vector<TestReport> out(all.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < all.size(); i = next++) {
      try {
        out[i] = run_tests(engine, store, all[i], progress);
      } catch (const std::exception& e) {
        out[i].source = mask_url_credentials(all[i].source);
        out[i].name = out[i].source;
        out[i].status = ReportStatus::InfraError;
        out[i].message = redact(e.what(), {all[i].token});
      }
    }
  };
  size_t n = std::min<size_t>(std::max(jobs, 1), all.size());
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace orch::repo
