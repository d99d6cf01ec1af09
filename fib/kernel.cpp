#include "fib/kernel.h"

#include <algorithm>

namespace ridgeline::fib {

void FakeKernel::visit_dump(KernelDumpVisitor& visitor) {
  visitor.objects(state);
  for (const auto& [prefix, route] : state.routes) visitor.route(prefix, route);
}

std::string to_string(const Op& op) {
  switch (op.kind) {
    case Op::AddNexthop: return "add nexthop " + std::to_string(op.id) + " via " + op.key.gateway.to_string();
    case Op::AddGroup: return "add group " + std::to_string(op.id);
    case Op::ReplaceGroup: return "replace group " + std::to_string(op.id);
    case Op::DeleteNexthop: return "delete nexthop " + std::to_string(op.id);
    case Op::ReplaceRoute: return "route " + op.prefix.to_string() + " nhid " + std::to_string(op.id);
    case Op::DeleteRoute: return "delete route " + op.prefix.to_string();
  }
  return "?";
}

size_t FakeKernel::apply(const std::vector<Op>& ops) {
  size_t failed = 0;
  for (const Op& op : ops) {
    ++ops_applied;
    switch (op.kind) {
      case Op::AddNexthop:
        if (state.nexthops.count(op.id) || state.groups.count(op.id)) {
          ++failed;  // EEXIST
        } else {
          state.nexthops[op.id] = op.key;
        }
        break;
      case Op::AddGroup:
      case Op::ReplaceGroup: {
        const bool exists = state.groups.count(op.id) > 0;
        const bool members_ok =
            !op.members.empty() &&
            std::all_of(op.members.begin(), op.members.end(), [&](NexthopId m) { return state.nexthops.count(m) > 0; });
        if (!members_ok || (op.kind == Op::AddGroup) == exists || state.nexthops.count(op.id)) {
          ++failed;
        } else {
          state.groups[op.id] = op.members;
        }
        break;
      }
      case Op::DeleteNexthop: {
        if (state.nexthops.erase(op.id)) {
          for (auto it = state.groups.begin(); it != state.groups.end();) {
            std::erase(it->second, op.id);
            if (it->second.empty()) {
              std::erase_if(state.routes, [&](const auto& r) { return r.second.nhid == it->first; });
              it = state.groups.erase(it);
            } else {
              ++it;
            }
          }
        } else {
          state.groups.erase(op.id);  // ENOENT is what a delete wants: not a failure
        }
        std::erase_if(state.routes, [&](const auto& r) { return r.second.nhid == op.id; });
        break;
      }
      case Op::ReplaceRoute:
        if (!state.nexthops.count(op.id) && !state.groups.count(op.id)) {
          ++failed;
        } else {
          state.routes[op.prefix] = {op.id, kProtocolBgp};
        }
        break;
      case Op::DeleteRoute: state.routes.erase(op.prefix); break;
    }
  }
  return failed;
}

}  // namespace ridgeline::fib
