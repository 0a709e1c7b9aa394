#include "taxonomy/claim.hpp"

#include <array>
#include <utility>

namespace relaylab::gw {

namespace {

constexpr std::array<std::pair<Claim, std::string_view>, 18> coarse_claim_names{{
    {Claim::Delivered, "delivered"},
    {Claim::HostUnknown, "host_unknown"},
    {Claim::UserUnknown, "user_unknown"},
    {Claim::RecipientRejected, "recipient_rejected"},
    {Claim::SenderRejected, "sender_rejected"},
    {Claim::MessageRejected, "message_rejected"},
    {Claim::MessageTooLarge, "message_too_large"},
    {Claim::NoMailService, "no_mail_service"},
    {Claim::DnsTemporary, "dns_temporary"},
    {Claim::ConnectionFailed, "connection_failed"},
    {Claim::GreetingRejected, "greeting_rejected"},
    {Claim::HeloRejected, "helo_rejected"},
    {Claim::ProtocolError, "protocol_error"},
    {Claim::TemporaryFailure, "temporary_failure"},
    {Claim::Expired, "expired"},
    {Claim::MailLoop, "mail_loop"},
    {Claim::LocalError, "local_error"},
    {Claim::Undeliverable, "undeliverable"},
}};

// The finer claims name their class.
constexpr std::array<std::pair<Claim, FailureClass>, 35> class_claims{{
    {Claim::MailboxFull, FailureClass::MailboxFull},
    {Claim::MailboxDisabled, FailureClass::MailboxDisabled},
    {Claim::RecipientMoved, FailureClass::RecipientMoved},
    {Claim::RecipientFilter, FailureClass::RecipientFilter},
    {Claim::AuthFailure, FailureClass::AuthFailure},
    {Claim::IpBlocklisted, FailureClass::IpBlocklisted},
    {Claim::BadReputation, FailureClass::BadReputation},
    {Claim::PtrRequired, FailureClass::PtrRequired},
    {Claim::RateLimited, FailureClass::RateLimited},
    {Claim::TooManyConnections, FailureClass::TooManyConnections},
    {Claim::RelayingDenied, FailureClass::RelayingDenied},
    {Claim::SpamDetected, FailureClass::SpamDetected},
    {Claim::VirusDetected, FailureClass::VirusDetected},
    {Claim::ExceedsLimit, FailureClass::ExceedsLimit},
    {Claim::ContentError, FailureClass::ContentError},
    {Claim::NotRfcCompliant, FailureClass::NotRfcCompliant},
    {Claim::TlsRequired, FailureClass::TlsRequired},
    {Claim::StartTlsFailed, FailureClass::StartTlsFailed},
    {Claim::SecurityError, FailureClass::SecurityError},
    {Claim::NotAccepting, FailureClass::NotAccepting},
    {Claim::SystemError, FailureClass::SystemError},
    {Claim::SystemFull, FailureClass::SystemFull},
    {Claim::SyntaxError, FailureClass::SyntaxError},
    {Claim::MailerError, FailureClass::MailerError},
    {Claim::PolicyViolation, FailureClass::PolicyViolation},
    {Claim::Smtputf8NotOffered, FailureClass::Smtputf8NotOffered},
    {Claim::TlsNotOffered, FailureClass::TlsNotOffered},
    {Claim::StartTlsRefused, FailureClass::StartTlsRefused},
    {Claim::TlsHandshakeFailed, FailureClass::TlsHandshakeFailed},
    {Claim::TlsCertUntrusted, FailureClass::TlsCertUntrusted},
    {Claim::TlsCertExpired, FailureClass::TlsCertExpired},
    {Claim::TlsCertWrongName, FailureClass::TlsCertWrongName},
    {Claim::Delayed, FailureClass::Delayed},
    {Claim::AutoReply, FailureClass::AutoReply},
    {Claim::AbuseFeedback, FailureClass::AbuseFeedback},
}};

std::optional<FailureClass> class_of_claim(Claim c) {
    for (const auto& [k, f] : class_claims)
        if (k == c) return f;
    return std::nullopt;
}

// Does the cause `c` describe failure class `f` truthfully? `permanent`: the outcome's own permanence
// (a full mailbox is 452 or 552). The coarse claims cover the finer classes they still describe truly:
// "the recipient was refused" is true of a full mailbox; "the message was refused" is true of spam, not
// of the carrier's broken SPF or the recipient's reception filter, where it sends the user the wrong way.
bool claim_fits(Claim c, FailureClass f, bool permanent) {
    using FC = FailureClass;
    if (const auto exact = class_of_claim(c)) return *exact == f;
    switch (c) {
    case Claim::Delivered: return f == FC::Delivered;
    case Claim::HostUnknown: return f == FC::DnsNxdomain || f == FC::DnsNodata || f == FC::BadDomain || f == FC::MxNoAddress;
    case Claim::UserUnknown: return f == FC::RecipientUnknown;
    case Claim::RecipientRejected:
        return f == FC::RecipientUnknown || f == FC::RecipientRejected || f == FC::MailboxFull || f == FC::MailboxDisabled ||
               f == FC::RecipientMoved || f == FC::RecipientFilter || f == FC::RelayingDenied || f == FC::ExceedsLimit;
    case Claim::SenderRejected: return f == FC::SenderRejected;
    case Claim::MessageRejected:
        return f == FC::DataRejected || f == FC::MessageRejected || f == FC::MessageTooLarge || f == FC::SpamDetected ||
               f == FC::VirusDetected || f == FC::ContentError || f == FC::NotRfcCompliant || f == FC::ExceedsLimit ||
               f == FC::PolicyViolation;
    case Claim::MessageTooLarge: return f == FC::MessageTooLarge;
    case Claim::NoMailService: return f == FC::NullMx || f == FC::NotAccepting;
    case Claim::DnsTemporary: return f == FC::DnsTemporary;
    case Claim::ConnectionFailed: return f == FC::ConnectFailed;
    case Claim::GreetingRejected: return f == FC::GreetingRejected;
    case Claim::HeloRejected: return f == FC::HeloRejected;
    case Claim::ProtocolError: return f == FC::ProtocolError;
    case Claim::TemporaryFailure: return is_temporary(f) || (permanence(f) == Permanence::AsReplied && !permanent);
    case Claim::Expired: return f == FC::Expired;
    case Claim::MailLoop: return f == FC::MailLoop;
    case Claim::LocalError: return f == FC::LocalError;
    case Claim::Undeliverable: return is_permanent(f) || (permanence(f) == Permanence::AsReplied && permanent);
    // The finer claims name their class and were answered above; listed so that -Wswitch names a
    // claim added to the enum and to neither list.
    case Claim::MailboxFull: case Claim::MailboxDisabled: case Claim::RecipientMoved: case Claim::RecipientFilter:
    case Claim::AuthFailure: case Claim::IpBlocklisted: case Claim::BadReputation: case Claim::PtrRequired:
    case Claim::RateLimited: case Claim::TooManyConnections: case Claim::RelayingDenied: case Claim::SpamDetected:
    case Claim::VirusDetected: case Claim::ExceedsLimit: case Claim::ContentError: case Claim::NotRfcCompliant:
    case Claim::TlsRequired: case Claim::StartTlsFailed: case Claim::SecurityError: case Claim::NotAccepting:
    case Claim::SystemError: case Claim::SystemFull: case Claim::SyntaxError: case Claim::MailerError:
    case Claim::PolicyViolation: case Claim::Smtputf8NotOffered: case Claim::TlsNotOffered:
    case Claim::StartTlsRefused: case Claim::TlsHandshakeFailed: case Claim::TlsCertUntrusted:
    case Claim::TlsCertExpired: case Claim::TlsCertWrongName: case Claim::Delayed: case Claim::AutoReply:
    case Claim::AbuseFeedback: break;
    }
    return false;
}

}  // namespace

std::string_view to_string(Claim c) {
    for (const auto& [k, n] : coarse_claim_names)
        if (k == c) return n;
    if (const auto f = class_of_claim(c)) return to_string(*f);
    return "undeliverable";
}

std::optional<Claim> claim_from_string(std::string_view s) {
    for (const auto& [k, n] : coarse_claim_names)
        if (n == s) return k;
    for (const auto& [k, f] : class_claims)
        if (to_string(f) == s) return k;
    return std::nullopt;
}

bool claim_is_true(Claim c, const Classification& truth) {
    if (claim_fits(c, truth.failure, truth.permanent)) return true;
    // An expiry's last temporary failure was, by definition, not permanent.
    return truth.expired && truth.last_temporary && c != Claim::TemporaryFailure && claim_fits(c, *truth.last_temporary, false);
}

}  // namespace relaylab::gw
