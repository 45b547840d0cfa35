#include "coordinator/roles.h"

namespace chromatune::coordinator {
namespace {

bool WorkerAction(Action a) {
  return a == Action::kRegisterGroup || a == Action::kLease || a == Action::kReport;
}

// The rule a refusal names, per role.
const char* Rule(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admins may do everything";
    case Role::kUser:
      return "users may read, submit sweeps, and cancel or re-prioritise their own sweeps; "
             "worker groups need a worker token";
    case Role::kViewer:
      return "viewers may only read";
    case Role::kWorker:
      return "workers may only register groups, lease trials and report on them";
  }
  return "";
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kUser:
      return "user";
    case Role::kViewer:
      return "viewer";
    case Role::kWorker:
      return "worker";
  }
  return "?";
}

Result<Role> ParseRole(const std::string& text) {
  for (Role r : {Role::kAdmin, Role::kUser, Role::kViewer, Role::kWorker}) {
    if (text == RoleName(r)) return r;
  }
  return InvalidArgument("unknown role \"" + text + "\" (expected admin, user, viewer or worker)");
}

Status Authorize(const Identity& who, Action action, const std::string& what) {
  bool allowed = false;
  switch (who.role) {
    case Role::kAdmin:
      allowed = true;
      break;
    case Role::kUser:
      allowed = !WorkerAction(action);
      break;
    case Role::kViewer:
      allowed = action == Action::kRead;
      break;
    case Role::kWorker:
      allowed = WorkerAction(action);
      break;
  }
  if (allowed) return Status::Ok();
  return PermissionDenied("user " + who.user + " (role " + RoleName(who.role) + ") may not " +
                          what + ": " + Rule(who.role));
}

}  // namespace chromatune::coordinator
