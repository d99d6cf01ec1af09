#pragma once
// Derives a DecodeContext from the first input byte, so one corpus explores every session kind.
#include <cstddef>
#include <cstdint>

#include "bgpd/wire/messages.h"

namespace ridgeline::bgp::fuzz {

inline DecodeContext context_from(uint8_t bits) {
  DecodeContext ctx;
  ctx.four_octet_as = !(bits & 1);
  ctx.extended_message = bits & 2;
  ctx.ebgp = !(bits & 4);
  if (bits & 8) ctx.add_path_receive.push_back(kIpv4Unicast);
  if (bits & 16) ctx.add_path_receive.push_back(kIpv6Unicast);
  return ctx;
}

inline EncodeContext encode_context_for(const DecodeContext& d) {
  EncodeContext e;
  e.four_octet_as = d.four_octet_as;
  e.extended_message = d.extended_message;
  e.add_path_send = d.add_path_receive;
  return e;
}

#define RIDGELINE_FUZZ_CHECK(cond) \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

}  // namespace ridgeline::bgp::fuzz
