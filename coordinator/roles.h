// Roles of the coordinator's tokens and what each may do (docs/protocol.md, "Roles").
//
//   admin   everything, on every sweep; priorities unbounded
//   user    read; submit sweeps; cancel and set the priority of the sweeps they own
//   viewer  read only (GET routes, the dashboard)
//   worker  only register worker groups, lease trials, and heartbeat, complete, fail and
//           release the trials its groups hold
//
// Authorize decides by role alone; ownership of a sweep (a user acts on their own sweeps
// only) is checked by the Coordinator, which knows the owner.
#pragma once

#include <string>

#include "common/status.h"

namespace chromatune::coordinator {

enum class Role { kAdmin, kUser, kViewer, kWorker };

// "admin", "user", "viewer", "worker".
const char* RoleName(Role role);
// Inverse of RoleName; kInvalidArgument naming the text and the roles otherwise.
Result<Role> ParseRole(const std::string& text);

// Who a request acts as: the user its token names, and the token's role.
struct Identity {
  std::string user;
  Role role = Role::kUser;
};

// What a route does, as far as roles are concerned.
enum class Action {
  kRead,           // GET routes: status, sweeps, audit, the dashboard
  kSubmit,         // POST /sweeps
  kCancel,         // POST /sweeps/NAME/cancel (users: their own sweeps)
  kSetPriority,    // POST /sweeps/NAME/priority (users: their own sweeps)
  kRegisterGroup,  // POST /groups
  kLease,          // POST /lease
  kReport,         // POST /trials/ID/{heartbeat,complete,fail,release}
};

// Ok when `who`'s role allows `action`; otherwise kPermissionDenied (HTTP 403) with a
// message naming the user, the role, what was refused (`what`, e.g. "POST /api/v1/lease")
// and the rule, e.g. "user bob (role viewer) may not POST /api/v1/sweeps: viewers may only
// read".
Status Authorize(const Identity& who, Action action, const std::string& what);

}  // namespace chromatune::coordinator
