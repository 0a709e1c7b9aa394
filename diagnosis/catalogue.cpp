#include "diagnosis/catalogue.hpp"

namespace relaylab::diag {

namespace {

using FC = gw::FailureClass;

// isp.example: two MX hosts, both at 127.0.0.21/22 unless a case says otherwise.
const std::string isp_zone = R"({ "names": {
  "isp.example":     { "mx": [ {"preference": 10, "host": "mx1.isp.example"}, {"preference": 20, "host": "mx2.isp.example"} ] },
  "mx1.isp.example": { "a": ["127.0.0.21"] },
  "mx2.isp.example": { "a": ["127.0.0.22"] },
  "nodata.example":  { "behaviour": "nodata" },
  "nullmx.example":  { "mx": [ {"preference": 0, "host": "."} ] },
  "dangling.example": { "mx": [ {"preference": 10, "host": "mx.gone.example"} ] },
  "broken.example":  { "behaviour": "servfail" },
  "refusing.example": { "behaviour": "refused" },
  "silent.example":  { "behaviour": "drop" },
  "docomo.ne.jp":    { "mx": [ {"preference": 10, "host": "mfsmax.docomo.ne.jp"} ] },
  "mfsmax.docomo.ne.jp": { "a": ["127.0.0.21"] }
} })";

// Both MX hosts behave the same way (a failure that is "on all MX").
std::map<std::string, std::string> both(const std::string& script) {
    return {{"127.0.0.21", script}, {"127.0.0.22", script}};
}

FailureCase make(std::string id, FC expected, std::string cause, std::map<std::string, std::string> mtas,
                 std::string recipient = "bob@isp.example", std::string sender = "alice@docomo.ne.jp") {
    FailureCase c;
    c.id = std::move(id);
    c.expected = expected;
    c.true_cause = std::move(cause);
    c.mtas = std::move(mtas);
    c.recipient = std::move(recipient);
    c.sender = std::move(sender);
    c.zone_json = isp_zone;
    return c;
}

FailureCase expiring(std::string id, FC last, std::string cause, std::map<std::string, std::string> mtas,
                     std::string recipient = "bob@isp.example") {
    auto c = make(std::move(id), FC::Expired, std::move(cause), std::move(mtas), std::move(recipient));
    c.expected_last = last;
    return c;
}

std::vector<FailureCase> build() {
    std::vector<FailureCase> v;
    // DNS (RFC 5321 §5.1).
    v.push_back(make("dns-nxdomain", FC::DnsNxdomain, "the recipient's domain does not exist", {}, "bob@nowhere.example"));
    v.push_back(make("dns-nodata", FC::DnsNodata, "the recipient's domain has no MX and no A/AAAA record", {}, "bob@nodata.example"));
    v.push_back(make("dns-null-mx", FC::NullMx, "the recipient's domain publishes a null MX (RFC 7505): it takes no mail", {}, "bob@nullmx.example"));
    v.push_back(make("dns-mx-host-missing", FC::MxNoAddress, "the domain's MX names a host that does not exist", {}, "bob@dangling.example"));
    v.push_back(expiring("dns-servfail-expiry", FC::DnsTemporary, "the domain's DNS answers SERVFAIL until the lifetime ends", {}, "bob@broken.example"));
    v.push_back(expiring("dns-refused-expiry", FC::DnsTemporary, "the domain's DNS answers REFUSED until the lifetime ends", {}, "bob@refusing.example"));
    v.push_back(expiring("dns-timeout-expiry", FC::DnsTemporary, "the domain's DNS never answers until the lifetime ends", {}, "bob@silent.example"));
    // Connection and greeting.
    v.push_back(expiring("connect-refused-expiry", FC::ConnectFailed, "every MX host refuses TCP connections until the lifetime ends", {}));
    v.push_back(expiring("greeting-timeout-expiry", FC::TemporaryFailure, "every MX host accepts TCP but never greets (tarpit)",
                         both(R"({"greeting": {"action": "silent"}})")));
    v.push_back(expiring("greeting-421-expiry", FC::TemporaryFailure, "every MX host answers 421 at the greeting until the lifetime ends",
                         both(R"({"greeting": {"reply": "421 4.3.2 Service not available, closing transmission channel"}})")));
    v.push_back(make("greeting-554", FC::GreetingRejected, "the MX refuses the gateway in its greeting (554)",
                     both(R"({"greeting": {"reply": "554 5.7.1 mx.isp.example: no SMTP service for your network"}})")));
    v.push_back(make("ehlo-helo-refused", FC::HeloRejected, "the MX refuses both EHLO and HELO from the gateway",
                     both(R"({"ehlo": {"reply": "550 5.7.1 EHLO name rejected"}, "helo": {"reply": "550 5.7.1 HELO name rejected"}})")));
    // MAIL FROM.
    v.push_back(make("mail-553-bare", FC::SenderRejected,
                     "the MX refuses the sender's local part \"q.\" (trailing dot) at MAIL FROM: the 2009 case",
                     both(R"({"malformed_sender": {"reply": "553 malformed address"}})"), "bob@isp.example", "q.@docomo.ne.jp"));
    v.push_back(make("mail-553-517", FC::SenderRejected,
                     "the MX refuses the sender's local part \"p..q.\" (doubled and trailing dots) at MAIL FROM with 5.1.7",
                     both(R"({"malformed_sender": {"reply": "553 5.1.7 <p..q.@docomo.ne.jp>: Sender address syntax error"}})"),
                     "bob@isp.example", "p..q.@docomo.ne.jp"));
    v.push_back(make("mail-553-510-opensmtpd", FC::SenderRejected,
                     "an OpenSMTPD MX refuses the sender's dotted local part at MAIL FROM (553 5.1.0)",
                     both(R"({"malformed_sender": {"reply": "553 5.1.0 Sender address syntax error"}})"), "bob@isp.example",
                     "xxx.......@docomo.ne.jp"));
    v.push_back(make("mail-550-571-policy", FC::SenderRejected, "the MX refuses a well-formed sender by policy at MAIL FROM",
                     both(R"({"mail": {"reply": "550 5.7.1 Sender rejected by local policy"}})")));
    v.push_back(expiring("mail-451-expiry", FC::SystemError, "the MX has a local problem and answers 451 to MAIL FROM until the lifetime ends",
                         both(R"({"mail": {"reply": "451 4.3.0 Temporary local problem, try again later"}})")));
    // RCPT TO.
    v.push_back(make("rcpt-550-511", FC::RecipientUnknown, "the recipient's mailbox does not exist",
                     both(R"({"rcpt": {"reply": "550 5.1.1 <bob@isp.example>: Recipient address rejected: User unknown"}})")));
    v.push_back(make("rcpt-550-bare-unknown", FC::RecipientUnknown, "the recipient's mailbox does not exist (no enhanced code)",
                     both(R"({"rcpt": {"reply": "550 No such user here"}})")));
    v.push_back(make("rcpt-552-quota", FC::MailboxFull, "the recipient's mailbox is full",
                     both(R"({"rcpt": {"reply": "552 5.2.2 Mailbox full"}})")));
    v.push_back(make("rcpt-550-571-relay", FC::RelayingDenied, "the MX refuses to relay to this recipient: it is not the domain's mail server",
                     both(R"({"rcpt": {"reply": "550 5.7.1 Relaying denied"}})")));
    v.push_back(expiring("rcpt-450-greylist-expiry", FC::TemporaryFailure, "the MX greylists the recipient with 450 until the lifetime ends",
                         both(R"({"rcpt": {"reply": "450 4.7.1 Greylisted, please try again later"}})")));
    // DATA and the final dot.
    v.push_back(make("data-554-560", FC::ContentError, "the MX refuses the DATA command: it does not take the message's format (554 5.6.0)",
                     both(R"({"data": {"reply": "554 5.6.0 Message format not accepted"}})")));
    v.push_back(make("dot-552-size", FC::MessageTooLarge, "the message is larger than the MX accepts (552 after the final dot)",
                     both(R"({"dot": {"reply": "552 5.3.4 Message size exceeds fixed maximum message size"}})")));
    v.push_back(make("dot-554-content", FC::SpamDetected, "the MX's filter judges the message to be spam after the final dot",
                     both(R"({"dot": {"reply": "554 5.7.1 Message rejected as spam"}})")));
    v.push_back(expiring("dot-451-expiry", FC::SystemError, "the MX cannot write its queue file and answers 451 after the final dot until the lifetime ends",
                         both(R"({"dot": {"reply": "451 4.3.0 Error: queue file write error"}})")));
    v.push_back(expiring("data-dropped-expiry", FC::TemporaryFailure, "the MX drops the connection in the middle of the message text until the lifetime ends",
                         both(R"({"data_body": {"action": "drop", "after_bytes": 10}})")));
    // The finer classes real bounces name (docs/taxonomy.md): who must act differs for each.
    v.push_back(make("rcpt-550-521-disabled", FC::MailboxDisabled, "the recipient's account is disabled",
                     both(R"({"rcpt": {"reply": "550 5.2.1 The email account that you tried to reach is disabled"}})")));
    v.push_back(expiring("rcpt-452-422-quota-expiry", FC::MailboxFull, "the recipient's mailbox stays full (452 4.2.2) until the lifetime ends",
                         both(R"({"rcpt": {"reply": "452 4.2.2 Mailbox full, try again later"}})")));
    v.push_back(make("rcpt-551-moved", FC::RecipientMoved, "the recipient's mailbox has moved to another address",
                     both(R"({"rcpt": {"reply": "551 5.1.6 User has moved; please try <bob@new.example>"}})")));
    v.push_back(make("dot-550-docomo-filter", FC::RecipientFilter,
                     "the docomo recipient's designated-senders filter refuses the sender (docomo answers 550 Unknown user at end of DATA)",
                     {{"127.0.0.21", R"({"dot": {"reply": "550 Unknown user bob@docomo.ne.jp"}})"}}, "bob@docomo.ne.jp",
                     "alice@ezweb.ne.jp"));
    v.push_back(make("rcpt-552-docomo-too-many", FC::RateLimited,
                     "docomo limits the sender's sending rate (552 Too many recipients), not a full mailbox",
                     {{"127.0.0.21", R"({"rcpt": {"reply": "552 Too many recipients"}})"}}, "bob@docomo.ne.jp", "alice@ezweb.ne.jp"));
    v.push_back(make("dot-550-5726-auth", FC::AuthFailure, "the gateway's mail fails SPF and DKIM: the carrier must fix its authentication",
                     both(R"({"dot": {"reply": ["550-5.7.26 This mail has been blocked because the sender is", "550-5.7.26 unauthenticated. Receivers require all senders to authenticate", "550 5.7.26 with either SPF or DKIM."]}})")));
    v.push_back(make("dot-550-5723-spf", FC::AuthFailure, "the gateway's IP is not in the sender domain's SPF record",
                     both(R"({"dot": {"reply": "550 5.7.23 SPF validation failed for the sending domain"}})")));
    v.push_back(make("rcpt-550-5725-ptr", FC::PtrRequired, "the gateway's IP has no PTR record",
                     both(R"({"rcpt": {"reply": "550 5.7.25 The IP address sending this message does not have a PTR record setup"}})")));
    v.push_back(make("greeting-554-spamhaus", FC::IpBlocklisted, "the gateway's IP is on a DNS block list",
                     both(R"({"greeting": {"reply": "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org"}})")));
    v.push_back(make("mail-550-reputation", FC::BadReputation, "the gateway's IP has a poor reputation at the MX",
                     both(R"({"mail": {"reply": "550 5.7.1 Mail from your IP is refused because of its poor reputation"}})")));
    v.push_back(expiring("greeting-421-conns-expiry", FC::TooManyConnections,
                         "the MX refuses every session: too many connections from the gateway, until the lifetime ends",
                         both(R"({"greeting": {"reply": "421 4.7.0 Too many concurrent SMTP connections from this IP"}})")));
    v.push_back(expiring("rcpt-450-rate-expiry", FC::RateLimited, "the MX rate-limits the gateway until the lifetime ends",
                         both(R"({"rcpt": {"reply": "450 4.7.1 Rate limit exceeded, slow down"}})")));
    v.push_back(make("dot-554-virus", FC::VirusDetected, "the MX finds a virus in the message",
                     both(R"({"dot": {"reply": "554 5.7.1 Virus found: Eicar-Test-Signature"}})")));
    v.push_back(make("dot-552-523-limit", FC::ExceedsLimit, "the message is larger than this recipient's mailbox accepts",
                     both(R"({"dot": {"reply": "552 5.2.3 Message exceeds the recipient's size limit"}})")));
    v.push_back(make("dot-550-header", FC::NotRfcCompliant, "the MX refuses the message header as not RFC 5322 compliant",
                     both(R"({"dot": {"reply": "550 5.6.0 Message is not RFC 5322 compliant: missing Date header"}})")));
    v.push_back(make("dot-554-attachment", FC::ContentError, "the MX refuses the message for an attachment type",
                     both(R"({"dot": {"reply": "554 5.6.1 Banned file type in attachment"}})")));
    v.push_back(make("mail-530-starttls", FC::TlsRequired, "the MX takes mail only over TLS",
                     both(R"({"mail": {"reply": "530 5.7.0 Must issue a STARTTLS command first"}})")));
    v.push_back(make("mail-530-auth-required", FC::SecurityError, "the MX requires SMTP authentication",
                     both(R"({"mail": {"reply": "530 5.7.0 Authentication required"}})")));
    v.push_back(make("greeting-521-no-mail", FC::NotAccepting, "the MX accepts no mail at all (RFC 7504 521)",
                     both(R"({"greeting": {"reply": "521 5.3.2 mx.isp.example does not accept mail"}})")));
    v.push_back(expiring("rcpt-452-431-expiry", FC::SystemFull, "the MX is out of storage until the lifetime ends",
                         both(R"({"rcpt": {"reply": "452 4.3.1 Insufficient system storage"}})")));
    v.push_back(make("dot-554-mailer", FC::MailerError, "the MX's local delivery program fails",
                     both(R"({"dot": {"reply": "554 5.3.0 Mailer error: procmail exited with status 1"}})")));
    v.push_back(make("rcpt-500-syntax", FC::SyntaxError, "the MX does not understand the gateway's RCPT TO command",
                     both(R"({"rcpt": {"reply": "500 5.5.1 Command unrecognized"}})")));
    v.push_back(make("rcpt-550-policy", FC::PolicyViolation, "the MX refuses the recipient by a site policy that names no finer cause",
                     both(R"({"rcpt": {"reply": "550 5.7.1 Refused by administrative prohibition"}})")));
    // SMTPUTF8 (RFC 6531): a UTF-8 sender, a remote that does not offer SMTPUTF8 (the scripts' default
    // capabilities leave it out), and one that refuses the UTF-8 sender itself with 553 5.6.7.
    v.push_back(make("mail-smtputf8-not-offered", FC::Smtputf8NotOffered,
                     "the sender's address is UTF-8 and the MX does not offer SMTPUTF8 (RFC 6531 §3.2)", both("{}"),
                     "bob@isp.example", "\u30e6\u30fc\u30b6\u30fc@docomo.ne.jp"));
    v.push_back(make("mail-553-567", FC::Smtputf8NotOffered, "the MX refuses the UTF-8 sender address (RFC 6531 §3.5)",
                     both(R"({"capabilities": ["PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"],
                              "mail": {"reply": "553 5.6.7 Non-ASCII addresses not permitted for that sender"}})"),
                     "bob@isp.example", "\u30e6\u30fc\u30b6\u30fc@docomo.ne.jp"));
    // STARTTLS (RFC 3207) at the level the carrier requires for the destination; Postfix defers each
    // of these, so each ends as an expiry naming its cause. Certificates are made per run; the
    // gateway trusts the run's authority.
    auto tls_case = [](std::string id, FC last, std::string cause, std::string level, const std::string& script) {
        auto c = expiring(std::move(id), last, std::move(cause), both(script));
        c.tls_level = std::move(level);
        return c;
    };
    v.push_back(tls_case("tls-not-offered-expiry", FC::TlsNotOffered,
                         "TLS is required for the destination (encrypt) and its MX does not offer STARTTLS", "encrypt", "{}"));
    v.push_back(tls_case("tls-starttls-454-expiry", FC::StartTlsRefused,
                         "TLS is required and the MX answers STARTTLS with 454 4.7.0 until the lifetime ends", "encrypt",
                         R"({"tls": {"offer": true}, "starttls": {"reply": "454 4.7.0 TLS not available due to local problem"}})"));
    v.push_back(tls_case("tls-handshake-expiry", FC::TlsHandshakeFailed,
                         "TLS is required and every TLS handshake with the MX fails (it presents no certificate)", "encrypt",
                         R"({"tls": {"offer": true, "certificate": "none"}})"));
    v.push_back(tls_case("tls-cert-untrusted-expiry", FC::TlsCertUntrusted,
                         "verified TLS is required and the MX presents a self-signed certificate", "verify",
                         R"({"tls": {"offer": true, "certificate": "self_signed"}})"));
    v.push_back(tls_case("tls-cert-expired-expiry", FC::TlsCertExpired,
                         "verified TLS is required and the MX's certificate has expired", "verify",
                         R"({"tls": {"offer": true, "certificate": "expired"}})"));
    v.push_back(tls_case("tls-cert-wrong-name-expiry", FC::TlsCertWrongName,
                         "verified TLS is required and the MX's certificate is for another name", "verify",
                         R"({"tls": {"offer": true, "certificate": "wrong_name"}})"));
    v.push_back(make("rcpt-550-recipient-rule", FC::RecipientFilter, "the recipient accepts mail only from chosen senders",
                     both(R"({"rcpt": {"reply": "550 5.7.1 Message rejected due to user rules"}})")));
    return v;
}

}  // namespace

const std::vector<FailureCase>& failure_catalogue() {
    static const std::vector<FailureCase> catalogue = build();
    return catalogue;
}

}  // namespace relaylab::diag
