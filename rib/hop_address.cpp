#include "rib/hop_address.h"

#include <unordered_map>
#include <vector>

namespace ridgeline::rib {
namespace {

struct Pool {
  struct Slot {
    IpAddress address;
    uint32_t refs = 0;
  };
  std::vector<Slot> slots;  // id - 1
  std::vector<uint32_t> free;
  std::unordered_map<IpAddress, uint32_t> ids;
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: a handle released at exit still finds it
  return *p;
}

}  // namespace

HopAddress::HopAddress(const IpAddress& address) {
  if (address == IpAddress{}) return;
  Pool& p = pool();
  auto [it, added] = p.ids.try_emplace(address, 0);
  if (added) {
    if (!p.free.empty()) {
      it->second = p.free.back();
      p.free.pop_back();
      p.slots[it->second - 1] = {address, 0};
    } else {
      p.slots.push_back({address, 0});
      it->second = static_cast<uint32_t>(p.slots.size());
    }
  }
  id_ = it->second;
  hold();
}

const IpAddress& HopAddress::address() const {
  static const IpAddress kUnspecified;
  return id_ ? pool().slots[id_ - 1].address : kUnspecified;
}

void HopAddress::hold() const {
  if (id_) ++pool().slots[id_ - 1].refs;
}

void HopAddress::release() {
  if (!id_) return;
  Pool& p = pool();
  Pool::Slot& s = p.slots[id_ - 1];
  if (--s.refs == 0) {
    p.ids.erase(s.address);
    p.free.push_back(id_);
  }
  id_ = 0;
}

size_t HopAddress::pool_size() {
  return pool().ids.size();
}

}  // namespace ridgeline::rib
