// The truth of one delivery attempt for one recipient: what DNS said, or where the SMTP dialogue
// stopped and what the remote replied, or why the gateway itself gave up. Produced by the
// scheduler/delivery code; classify.hpp turns it into a failure class and an RFC 3463 status.
#pragma once

#include "clock/clock.hpp"
#include "resolver/result.hpp"
#include "smtpclient/outcome.hpp"

#include <memory>
#include <optional>
#include <string>

namespace relaylab::gw {

enum class OutcomeKind {
    DomainDns,  // the recipient domain's MX (or implicit A/AAAA) lookup failed — RFC 5321 §5.1
    MxHostDns,  // the MX host's address lookup failed (for every MX host tried)
    Smtp,       // an SMTP session with a remote host ended: delivered, or a reply / network error
    Local,      // the gateway itself could not go on
    Expired,    // the message outlived the queue lifetime; see last_temporary
};
std::string_view to_string(OutcomeKind k);  // "domain_dns", "mx_host_dns", "smtp", "local", "expired"

// Which record the failing lookup asked for (Postfix's "type=MX" / "type=A").
enum class DnsQuery { Mx, Address };

enum class LocalError {
    None,
    MailLoop,  // the MX points back at the gateway (RFC 5321 §5.1: "MUST NOT" deliver to itself)
    Spool,     // the queue could not be written
    Resource,  // out of memory / descriptors / concurrency
    Internal,  // anything else the gateway got wrong
};
std::string_view to_string(LocalError e);

struct DeliveryOutcome {
    OutcomeKind kind = OutcomeKind::Smtp;
    std::string sender;     // the envelope sender as the handset gave it
    std::string recipient;  // the envelope recipient
    unsigned attempt = 1;   // 1 for the first try
    TimePoint at{};         // when this attempt ended (from the caller's clock)

    // DomainDns / MxHostDns.
    dns::Status dns_status = dns::Status::Found;
    std::string dns_name;  // the name looked up: the domain, or the MX host
    DnsQuery dns_query = DnsQuery::Mx;

    // Smtp: the session's result for this recipient, and where it was.
    smtp::RecipientOutcome smtp;
    smtp::Remote remote;

    // Local.
    LocalError local = LocalError::None;

    // Expired: the last temporary outcome before the lifetime ran out (absent if none was recorded).
    std::shared_ptr<const DeliveryOutcome> last_temporary;

    // Constructors for the usual shapes.
    static DeliveryOutcome domain_dns(std::string sender, std::string recipient, std::string domain,
                                      dns::Status status, unsigned attempt = 1, TimePoint at = {});
    static DeliveryOutcome mx_host_dns(std::string sender, std::string recipient, std::string mx_host,
                                       dns::Status status, unsigned attempt = 1, TimePoint at = {});
    static DeliveryOutcome smtp_result(std::string sender, smtp::RecipientOutcome result, smtp::Remote remote,
                                       unsigned attempt = 1, TimePoint at = {});
    static DeliveryOutcome local_error(std::string sender, std::string recipient, LocalError error,
                                       unsigned attempt = 1, TimePoint at = {});
    // Keeps `last` (the last temporary outcome) and its sender, recipient and attempt count.
    static DeliveryOutcome expired(const DeliveryOutcome& last, TimePoint at);
    static DeliveryOutcome expired(std::string sender, std::string recipient, unsigned attempts, TimePoint at);

    bool delivered() const { return kind == OutcomeKind::Smtp && smtp.delivered(); }
};

}  // namespace relaylab::gw
