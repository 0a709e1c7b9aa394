#include "taxonomy/outcome.hpp"

namespace relaylab::gw {

std::string_view to_string(OutcomeKind k) {
    switch (k) {
    case OutcomeKind::DomainDns: return "domain_dns";
    case OutcomeKind::MxHostDns: return "mx_host_dns";
    case OutcomeKind::Smtp: return "smtp";
    case OutcomeKind::Local: return "local";
    case OutcomeKind::Expired: return "expired";
    }
    return "smtp";
}

std::string_view to_string(LocalError e) {
    switch (e) {
    case LocalError::None: return "none";
    case LocalError::MailLoop: return "mail_loop";
    case LocalError::Spool: return "spool";
    case LocalError::Resource: return "resource";
    case LocalError::Internal: return "internal";
    }
    return "none";
}

DeliveryOutcome DeliveryOutcome::domain_dns(std::string sender, std::string recipient, std::string domain,
                                            dns::Status status, unsigned attempt, TimePoint at) {
    DeliveryOutcome o;
    o.kind = OutcomeKind::DomainDns;
    o.sender = std::move(sender);
    o.recipient = std::move(recipient);
    o.dns_name = std::move(domain);
    o.dns_status = status;
    o.dns_query = DnsQuery::Mx;
    o.attempt = attempt;
    o.at = at;
    return o;
}

DeliveryOutcome DeliveryOutcome::mx_host_dns(std::string sender, std::string recipient, std::string mx_host,
                                             dns::Status status, unsigned attempt, TimePoint at) {
    DeliveryOutcome o = domain_dns(std::move(sender), std::move(recipient), std::move(mx_host), status, attempt, at);
    o.kind = OutcomeKind::MxHostDns;
    o.dns_query = DnsQuery::Address;
    return o;
}

DeliveryOutcome DeliveryOutcome::smtp_result(std::string sender, smtp::RecipientOutcome result, smtp::Remote remote,
                                             unsigned attempt, TimePoint at) {
    DeliveryOutcome o;
    o.kind = OutcomeKind::Smtp;
    o.sender = std::move(sender);
    o.recipient = result.address;
    o.smtp = std::move(result);
    o.remote = std::move(remote);
    o.attempt = attempt;
    o.at = at;
    return o;
}

DeliveryOutcome DeliveryOutcome::local_error(std::string sender, std::string recipient, LocalError error,
                                             unsigned attempt, TimePoint at) {
    DeliveryOutcome o;
    o.kind = OutcomeKind::Local;
    o.sender = std::move(sender);
    o.recipient = std::move(recipient);
    o.local = error;
    o.attempt = attempt;
    o.at = at;
    return o;
}

DeliveryOutcome DeliveryOutcome::expired(const DeliveryOutcome& last, TimePoint at) {
    DeliveryOutcome o;
    o.kind = OutcomeKind::Expired;
    o.sender = last.sender;
    o.recipient = last.recipient;
    o.attempt = last.attempt;
    o.at = at;
    o.remote = last.remote;
    o.last_temporary = std::make_shared<const DeliveryOutcome>(last);
    return o;
}

DeliveryOutcome DeliveryOutcome::expired(std::string sender, std::string recipient, unsigned attempts, TimePoint at) {
    DeliveryOutcome o;
    o.kind = OutcomeKind::Expired;
    o.sender = std::move(sender);
    o.recipient = std::move(recipient);
    o.attempt = attempts;
    o.at = at;
    return o;
}

}  // namespace relaylab::gw
