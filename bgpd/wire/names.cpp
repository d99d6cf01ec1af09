#include "bgpd/wire/names.h"

#include <fmt/format.h>

namespace ridgeline::bgp {

std::string_view error_code_name(uint8_t code) {
  switch (code) {
    case error_code::kMessageHeader: return "Message Header Error";
    case error_code::kOpenMessage: return "OPEN Message Error";
    case error_code::kUpdateMessage: return "UPDATE Message Error";
    case error_code::kHoldTimerExpired: return "Hold Timer Expired";
    case error_code::kFsm: return "Finite State Machine Error";
    case error_code::kCease: return "Cease";
    case error_code::kRouteRefreshMessage: return "ROUTE-REFRESH Message Error";
    case error_code::kSendHoldTimerExpired: return "Send Hold Timer Expired";
    default: return "Unknown Error";
  }
}

std::string_view error_subcode_name(uint8_t code, uint8_t subcode) {
  switch (code) {
    case error_code::kMessageHeader:
      switch (subcode) {
        case 1: return "Connection Not Synchronized";
        case 2: return "Bad Message Length";
        case 3: return "Bad Message Type";
      }
      break;
    case error_code::kOpenMessage:
      switch (subcode) {
        case 0: return "Unspecific";
        case 1: return "Unsupported Version Number";
        case 2: return "Bad Peer AS";
        case 3: return "Bad BGP Identifier";
        case 4: return "Unsupported Optional Parameter";
        case 6: return "Unacceptable Hold Time";
        case 7: return "Unsupported Capability";
        case 11: return "Role Mismatch";
      }
      break;
    case error_code::kUpdateMessage:
      switch (subcode) {
        case 1: return "Malformed Attribute List";
        case 2: return "Unrecognized Well-known Attribute";
        case 3: return "Missing Well-known Attribute";
        case 4: return "Attribute Flags Error";
        case 5: return "Attribute Length Error";
        case 6: return "Invalid ORIGIN Attribute";
        case 8: return "Invalid NEXT_HOP Attribute";
        case 9: return "Optional Attribute Error";
        case 10: return "Invalid Network Field";
        case 11: return "Malformed AS_PATH";
      }
      break;
    case error_code::kHoldTimerExpired:
      if (subcode == 0) return "Unspecific";
      break;
    case error_code::kFsm:
      switch (subcode) {
        case 0: return "Unspecified Error";
        case 1: return "Unexpected Message in OpenSent State";
        case 2: return "Unexpected Message in OpenConfirm State";
        case 3: return "Unexpected Message in Established State";
      }
      break;
    case error_code::kCease:
      switch (subcode) {
        case 1: return "Maximum Number of Prefixes Reached";
        case 2: return "Administrative Shutdown";
        case 3: return "Peer De-configured";
        case 4: return "Administrative Reset";
        case 5: return "Connection Rejected";
        case 6: return "Other Configuration Change";
        case 7: return "Connection Collision Resolution";
        case 8: return "Out of Resources";
        case 9: return "Hard Reset";
        case 10: return "BFD Down";
      }
      break;
    case error_code::kRouteRefreshMessage:
      if (subcode == 1) return "Invalid Message Length";
      break;
  }
  return "Unknown Subcode";
}

std::string describe(const Notification& n) {
  std::string out =
      fmt::format("{}/{} ({}/{})", error_code_name(n.code), error_subcode_name(n.code, n.subcode), n.code, n.subcode);
  // RFC 9003 §2: Administrative Shutdown/Reset may carry a length-prefixed UTF-8 message.
  const bool shutdown = n.code == error_code::kCease && (n.subcode == cease_subcode::kAdministrativeShutdown ||
                                                         n.subcode == cease_subcode::kAdministrativeReset);
  if (shutdown && !n.data.empty() && n.data[0] > 0 && n.data[0] <= n.data.size() - 1) {
    std::string text(n.data.begin() + 1, n.data.begin() + 1 + n.data[0]);
    for (char& c : text)
      if (static_cast<unsigned char>(c) < 0x20) c = '?';
    out += fmt::format(": \"{}\"", text);
  }
  return out;
}

std::string_view attribute_name(uint8_t type) {
  switch (type) {
    case attr::kOrigin: return "ORIGIN";
    case attr::kAsPath: return "AS_PATH";
    case attr::kNextHop: return "NEXT_HOP";
    case attr::kMultiExitDisc: return "MULTI_EXIT_DISC";
    case attr::kLocalPref: return "LOCAL_PREF";
    case attr::kAtomicAggregate: return "ATOMIC_AGGREGATE";
    case attr::kAggregator: return "AGGREGATOR";
    case attr::kCommunities: return "COMMUNITIES";
    case attr::kOriginatorId: return "ORIGINATOR_ID";
    case attr::kClusterList: return "CLUSTER_LIST";
    case attr::kMpReachNlri: return "MP_REACH_NLRI";
    case attr::kMpUnreachNlri: return "MP_UNREACH_NLRI";
    case attr::kExtCommunities: return "EXTENDED_COMMUNITIES";
    case attr::kAs4Path: return "AS4_PATH";
    case attr::kAs4Aggregator: return "AS4_AGGREGATOR";
    case attr::kTunnelEncap: return "TUNNEL_ENCAPSULATION";
    case attr::kLargeCommunities: return "LARGE_COMMUNITIES";
    default: return "UNKNOWN";
  }
}

std::string_view capability_name(uint8_t code) {
  switch (code) {
    case cap::kMultiprotocol: return "multiprotocol";
    case cap::kRouteRefresh: return "route-refresh";
    case cap::kExtendedMessage: return "extended-message";
    case cap::kGracefulRestart: return "graceful-restart";
    case cap::kFourOctetAs: return "4-octet-as";
    case cap::kAddPath: return "add-path";
    case cap::kEnhancedRouteRefresh: return "enhanced-route-refresh";
    case cap::kFqdn: return "fqdn";
    case cap::kRouteRefreshCisco: return "route-refresh-old";
    default: return "unknown";
  }
}

}  // namespace ridgeline::bgp
