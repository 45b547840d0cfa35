// `chromatune report --db FILE [--sweep NAME] [--metric accuracy] [--format table|md|csv|json]
//  [--ddof 1] [--baseline finetune]`: cells over replicates and paired comparisons against a
// baseline method (storage/report.h, docs/statistics.md), read from the result store
// through a read-only connection. Exit 2 with one line on stderr for a missing or invalid
// database, an unknown sweep, an unknown metric or a bad option; 1 for an I/O failure.
#include <iostream>
#include <memory>
#include <string>

#include "cli/command.h"
#include "storage/report.h"
#include "storage/report_format.h"
#include "storage/report_store.h"

namespace chromatune::cli {
namespace {

struct ReportArgs {
  std::string db;
  std::string sweep;
  std::string format = "table";
  ReportOptions options;
};

int RunReport(const ReportArgs& args) {
  auto format = ParseReportFormat(args.format);
  if (!format.ok()) {
    std::cerr << "chromatune report: " << format.status().message() << "\n";
    return kExitBadInput;
  }
  auto report = ReportFromStore(args.db, args.sweep, args.options);
  if (!report.ok()) {
    std::cerr << "chromatune report: " << report.status().message() << "\n";
    return ExitCodeFor(report.status());
  }
  std::cout << RenderReport(*report, *format);
  return kExitOk;
}

const CommandRegistrar kRegisterReport("report", [](CLI::App& root) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* app = root.add_subcommand(
      "report", "Cells over replicates and paired comparisons against a baseline method");
  app->add_option("--db", args->db, "Result store (SQLite file)")->required();
  app->add_option("--sweep", args->sweep, "Only this sweep (default: every sweep, separately)");
  app->add_option("--metric", args->options.metric, "Metric to aggregate")->capture_default_str();
  app->add_option("--format", args->format, "table, md, csv or json")
      ->check(CLI::IsMember({"table", "md", "csv", "json"}))
      ->capture_default_str();
  app->add_option("--ddof", args->options.ddof,
                  "Std divisor n - ddof: 1 sample (default), 0 population (CPT)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app->add_option("--baseline", args->options.baseline, "Method the others are compared with")
      ->capture_default_str();
  return CommandSetup{app, [args] { return RunReport(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
