// From a GatewayConfig to the settings of each part (resolver, relay, intake): one place, used by
// live mode and by scenarios alike, so both run the same gateway.
#pragma once

#include "relay/config.hpp"
#include "intake/intake.hpp"
#include "relay/relay.hpp"
#include "resolver/config.hpp"

namespace relaylab::gw {

dns::ResolverConfig resolver_config(const GatewayConfig& c);
// Throws std::invalid_argument for values the JSON reader cannot check alone.
RelaySettings relay_settings(const GatewayConfig& c);
IntakeSettings intake_settings(const GatewayConfig& c, const std::string& listen_ip);

}  // namespace relaylab::gw
