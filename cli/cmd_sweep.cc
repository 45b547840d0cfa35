// `chromatune sweep validate FILE [--force]` and
// `chromatune sweep plan FILE [--format table|json] [--force]` (docs/sweeps.md).
//
// validate: exit 0 and "FILE: ok (N trials)" on stdout; otherwise exit 2 and one line per
// problem on stderr, each "FILE:LINE:COL: FIELD.PATH: message". plan: the trials with their
// resolved parameters and keys, as a table or as {"sweep", "trials", "items"} JSON.
// Both refuse a plan of more than 1,000,000 trials unless --force.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/command.h"
#include "experiments/sweep/param_value.h"
#include "experiments/sweep/plan.h"
#include "experiments/sweep/spec.h"

namespace chromatune::cli {
namespace {

struct SweepArgs {
  std::string file;
  std::string format = "table";
  bool force = false;
};

int PlanExitCode(const Status& status) {
  return status.code() == StatusCode::kIoError || status.code() == StatusCode::kInternal
             ? kExitFailure
             : kExitBadInput;
}

// Parses and plans the file; the error lists every problem, one per line.
Result<Plan> LoadPlan(const SweepArgs& args) {
  auto spec = ParseSweepFile(args.file);
  if (!spec.ok()) return spec.status();
  for (const auto& warning : spec->warnings) std::cerr << "warning: " << warning << "\n";
  PlanOptions options;
  options.force = args.force;
  return PlanSweep(*spec, options);
}

int Fail(const Status& status) {
  std::cerr << status.message() << "\n";
  return PlanExitCode(status);
}

int RunValidate(const SweepArgs& args) {
  auto plan = LoadPlan(args);
  if (!plan.ok()) return Fail(plan.status());
  std::cout << args.file << ": ok (" << plan->count << (plan->count == 1 ? " trial" : " trials")
            << ")\n";
  return kExitOk;
}

std::string ParamsText(const nlohmann::json& params) {
  std::string out;
  for (auto it = params.begin(); it != params.end(); ++it) {
    if (!out.empty()) out += ' ';
    out += it.key() + "=" + DescribeValue(it.value());
  }
  return out;
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

// One row per trial: index, the first 16 hex digits of the key, method, shots, seeds (the
// backbone seed only for sweeps with backbone_seeds) and every resolved parameter
// (name=value).
void PrintTable(const Plan& plan) {
  const bool backbone_seeds = !plan.items.empty() && plan.items[0].contains("backbone_seed");
  std::string out = "sweep " + plan.name + ": " + std::to_string(plan.count) + " trials\n";
  out += std::string("index   key               method        shots  ") +
         (backbone_seeds ? "backbone_seed  " : "") + "data_seed  train_seed  params\n";
  for (const auto& item : plan.items) {
    out += Pad(std::to_string(item["index"].get<int64_t>()), 8);
    out += Pad(item["key"].get<std::string>().substr(0, 16), 18);
    out += Pad(item["method"].get<std::string>(), 14);
    out += Pad(std::to_string(item["shots"].get<int64_t>()), 7);
    if (backbone_seeds) out += Pad(std::to_string(item["backbone_seed"].get<int64_t>()), 15);
    out += Pad(std::to_string(item["data_seed"].get<int64_t>()), 11);
    out += Pad(std::to_string(item["train_seed"].get<int64_t>()), 12);
    out += ParamsText(item["params"]);
    out += '\n';
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

int RunPlan(const SweepArgs& args) {
  auto plan = LoadPlan(args);
  if (!plan.ok()) return Fail(plan.status());
  if (args.format == "json") {
    const std::string text = PlanJsonText(*plan);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
  } else {
    PrintTable(*plan);
  }
  std::fflush(stdout);
  return kExitOk;
}

const CommandRegistrar kRegisterSweep("sweep", [](CLI::App& root) {
  auto validate_args = std::make_shared<SweepArgs>();
  auto plan_args = std::make_shared<SweepArgs>();
  CLI::App* app = root.add_subcommand("sweep", "Validate a sweep file or list its planned trials");
  app->require_subcommand(1);
  CLI::App* validate = app->add_subcommand(
      "validate", "Check a sweep file; print \"FILE: ok (N trials)\" or every problem");
  validate->add_option("file", validate_args->file, "Sweep file (YAML)")->required();
  validate->add_flag("--force", validate_args->force, "Accept more than 1,000,000 trials");
  CLI::App* plan = app->add_subcommand("plan", "List the trials of a sweep file");
  plan->add_option("file", plan_args->file, "Sweep file (YAML)")->required();
  plan->add_option("--format", plan_args->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  plan->add_flag("--force", plan_args->force, "Plan even more than 1,000,000 trials");
  return CommandSetup{app, [=]() {
                        if (validate->parsed()) return RunValidate(*validate_args);
                        return RunPlan(*plan_args);
                      }};
});

}  // namespace
}  // namespace chromatune::cli
