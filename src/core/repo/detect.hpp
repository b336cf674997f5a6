#pragma once
#include <string>
#include <vector>

#include "core/repo/tree.hpp"

namespace orch::repo {

// How to run one kind of test suite inside a sandbox, with the repository in /workspace/src.
struct TestPlan {
  std::string stack;          // python | node | go | rust | cmake | meson | make
  std::string runner;         // pytest | unittest | npm | node-test | go | cargo | ctest | meson | make
  std::string template_name;  // the environment it needs
  std::string command;        // sh command run in /workspace/src
  std::string result_file;    // written under /workspace/out ("" = parse the output)
  std::string result_format;  // junit | tap | go-json | cargo | unittest | exit-code
  std::string language;       // the runtime it runs on (node, python, go, rust; "" for C and C++), whose declared
                              // version picks among templates
  std::string install = "";   // the setup command that installs its dependencies, as hints name it ("" = none known)
};

struct Detection {
  std::vector<std::string> build_systems;  // e.g. "npm (package.json)", "cmake"
  std::vector<std::string> test_systems;   // e.g. "pytest", "node --test"
  std::vector<TestPlan> plans;             // best first
};

// Looks at file names and a few small files (package.json, pyproject.toml, Makefile, test files). Plans
// are ordered by how much of the repository is written in their language; a Makefile runs in the template
// of the language its recipe or its files use.
Detection detect(const Tree& tree);

// The plan for a --cmd given by the user: results come from whatever the output looks like.
TestPlan custom_plan(const std::string& command, const std::string& template_name);

}  // namespace orch::repo
