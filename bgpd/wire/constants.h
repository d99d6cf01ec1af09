#pragma once
// BGP-4 protocol numbers: message types (RFC 4271 §4.1), NOTIFICATION codes (RFC 4271 §4.5 and
// later RFCs), path attribute types, capability codes, AFI/SAFI.
#include <cstddef>
#include <cstdint>

namespace ridgeline::bgp {

inline constexpr size_t kHeaderSize = 19;
inline constexpr size_t kMaxMessageSize = 4096;           // RFC 4271 §4.1
inline constexpr size_t kMaxExtendedMessageSize = 65535;  // RFC 8654
inline constexpr uint16_t kAsTrans = 23456;               // RFC 6793 §9

enum class MessageType : uint8_t {
  Open = 1,
  Update = 2,
  Notification = 3,
  Keepalive = 4,
  RouteRefresh = 5,  // RFC 2918
};

// Minimum total message lengths, header included (RFC 4271 §4, RFC 2918 §3).
inline constexpr size_t kMinOpenSize = 29;
inline constexpr size_t kMinUpdateSize = 23;
inline constexpr size_t kMinNotificationSize = 21;
inline constexpr size_t kKeepaliveSize = 19;
inline constexpr size_t kRouteRefreshSize = 23;

namespace error_code {
inline constexpr uint8_t kMessageHeader = 1;
inline constexpr uint8_t kOpenMessage = 2;
inline constexpr uint8_t kUpdateMessage = 3;
inline constexpr uint8_t kHoldTimerExpired = 4;
inline constexpr uint8_t kFsm = 5;
inline constexpr uint8_t kCease = 6;
inline constexpr uint8_t kRouteRefreshMessage = 7;   // RFC 7313 §5
inline constexpr uint8_t kSendHoldTimerExpired = 8;  // RFC 9687
}  // namespace error_code

namespace header_subcode {
inline constexpr uint8_t kConnectionNotSynchronized = 1;
inline constexpr uint8_t kBadMessageLength = 2;
inline constexpr uint8_t kBadMessageType = 3;
}  // namespace header_subcode

namespace open_subcode {
inline constexpr uint8_t kUnspecific = 0;
inline constexpr uint8_t kUnsupportedVersion = 1;
inline constexpr uint8_t kBadPeerAs = 2;
inline constexpr uint8_t kBadBgpIdentifier = 3;
inline constexpr uint8_t kUnsupportedOptionalParameter = 4;
inline constexpr uint8_t kUnacceptableHoldTime = 6;
inline constexpr uint8_t kUnsupportedCapability = 7;  // RFC 5492
inline constexpr uint8_t kRoleMismatch = 11;          // RFC 9234
}  // namespace open_subcode

namespace update_subcode {
inline constexpr uint8_t kMalformedAttributeList = 1;
inline constexpr uint8_t kUnrecognizedWellKnownAttribute = 2;
inline constexpr uint8_t kMissingWellKnownAttribute = 3;
inline constexpr uint8_t kAttributeFlagsError = 4;
inline constexpr uint8_t kAttributeLengthError = 5;
inline constexpr uint8_t kInvalidOrigin = 6;
inline constexpr uint8_t kInvalidNextHop = 8;
inline constexpr uint8_t kOptionalAttributeError = 9;
inline constexpr uint8_t kInvalidNetworkField = 10;
inline constexpr uint8_t kMalformedAsPath = 11;
}  // namespace update_subcode

namespace fsm_subcode {  // RFC 6608
inline constexpr uint8_t kUnspecified = 0;
inline constexpr uint8_t kUnexpectedInOpenSent = 1;
inline constexpr uint8_t kUnexpectedInOpenConfirm = 2;
inline constexpr uint8_t kUnexpectedInEstablished = 3;
}  // namespace fsm_subcode

namespace cease_subcode {  // RFC 4486, RFC 8538, RFC 9384
inline constexpr uint8_t kMaxPrefixesReached = 1;
inline constexpr uint8_t kAdministrativeShutdown = 2;
inline constexpr uint8_t kPeerDeconfigured = 3;
inline constexpr uint8_t kAdministrativeReset = 4;
inline constexpr uint8_t kConnectionRejected = 5;
inline constexpr uint8_t kOtherConfigurationChange = 6;
inline constexpr uint8_t kConnectionCollisionResolution = 7;
inline constexpr uint8_t kOutOfResources = 8;
inline constexpr uint8_t kHardReset = 9;
inline constexpr uint8_t kBfdDown = 10;
}  // namespace cease_subcode

namespace route_refresh_subcode {  // RFC 7313 §5
inline constexpr uint8_t kInvalidMessageLength = 1;
}

// Path attribute type codes.
namespace attr {
inline constexpr uint8_t kOrigin = 1;
inline constexpr uint8_t kAsPath = 2;
inline constexpr uint8_t kNextHop = 3;
inline constexpr uint8_t kMultiExitDisc = 4;
inline constexpr uint8_t kLocalPref = 5;
inline constexpr uint8_t kAtomicAggregate = 6;
inline constexpr uint8_t kAggregator = 7;
inline constexpr uint8_t kCommunities = 8;        // RFC 1997
inline constexpr uint8_t kOriginatorId = 9;       // RFC 4456
inline constexpr uint8_t kClusterList = 10;       // RFC 4456
inline constexpr uint8_t kMpReachNlri = 14;       // RFC 4760
inline constexpr uint8_t kMpUnreachNlri = 15;     // RFC 4760
inline constexpr uint8_t kExtCommunities = 16;    // RFC 4360
inline constexpr uint8_t kAs4Path = 17;           // RFC 6793
inline constexpr uint8_t kAs4Aggregator = 18;     // RFC 6793
inline constexpr uint8_t kTunnelEncap = 23;       // RFC 9012
inline constexpr uint8_t kLargeCommunities = 32;  // RFC 8092
}  // namespace attr

// Attribute flag bits (RFC 4271 §4.3).
namespace attr_flag {
inline constexpr uint8_t kOptional = 0x80;
inline constexpr uint8_t kTransitive = 0x40;
inline constexpr uint8_t kPartial = 0x20;
inline constexpr uint8_t kExtendedLength = 0x10;
}  // namespace attr_flag

// Capability codes (RFC 5492 registry).
namespace cap {
inline constexpr uint8_t kMultiprotocol = 1;          // RFC 4760
inline constexpr uint8_t kRouteRefresh = 2;           // RFC 2918
inline constexpr uint8_t kExtendedMessage = 6;        // RFC 8654
inline constexpr uint8_t kGracefulRestart = 64;       // RFC 4724
inline constexpr uint8_t kFourOctetAs = 65;           // RFC 6793
inline constexpr uint8_t kAddPath = 69;               // RFC 7911
inline constexpr uint8_t kEnhancedRouteRefresh = 70;  // RFC 7313
inline constexpr uint8_t kFqdn = 73;                  // draft-walton-bgp-hostname-capability
inline constexpr uint8_t kRouteRefreshCisco = 128;    // pre-standard route refresh
}  // namespace cap

inline constexpr uint8_t kOptParamCapabilities = 2;      // RFC 5492
inline constexpr uint8_t kOptParamExtendedLength = 255;  // RFC 9072

enum class Afi : uint16_t { Ipv4 = 1, Ipv6 = 2 };
enum class Safi : uint8_t { Unicast = 1, Multicast = 2 };

// ROUTE-REFRESH message subtypes (RFC 7313 §3).
enum class RefreshSubtype : uint8_t { Normal = 0, BeginOfRouteRefresh = 1, EndOfRouteRefresh = 2 };

}  // namespace ridgeline::bgp
