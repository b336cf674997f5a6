#pragma once
#include <string>

#include <CLI/CLI.hpp>

namespace orch::cli {

// `orch pricing top`: the price store as a full-screen terminal view, like htop.
struct TopFlags {
  std::string interval = "5s", gpu, provider;
  bool spot = false;
};

void add_top_flags(CLI::App* app, TopFlags& f);
int run_top(const TopFlags& f);

}  // namespace orch::cli
