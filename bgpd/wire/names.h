#pragma once
// Human names for NOTIFICATION codes and subcodes, capabilities and attributes, for logs and CLI.
#include <string>
#include <string_view>

#include "bgpd/wire/messages.h"

namespace ridgeline::bgp {

std::string_view error_code_name(uint8_t code);
std::string_view error_subcode_name(uint8_t code, uint8_t subcode);
// "Cease/BFD Down (6/10)", with the RFC 9003 shutdown communication when there is one.
std::string describe(const Notification& notification);
std::string_view attribute_name(uint8_t type);
std::string_view capability_name(uint8_t code);

}  // namespace ridgeline::bgp
