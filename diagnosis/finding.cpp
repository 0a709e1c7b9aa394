#include "diagnosis/finding.hpp"

#include "diagnosis/bounce_reader.hpp"
#include "diagnosis/log_reader.hpp"
#include "smtpclient/reply_parser.hpp"

#include <algorithm>
#include <cctype>

namespace relaylab::diag {

std::string_view to_string(SourceKind k) {
    switch (k) {
    case SourceKind::Unknown: return "unknown";
    case SourceKind::RelaylabNotice: return "relaylab_notice";
    case SourceKind::PostfixBounce: return "postfix_bounce";
    case SourceKind::EximBounce: return "exim_bounce";
    case SourceKind::SendmailBounce: return "sendmail_bounce";
    case SourceKind::Dsn: return "dsn";
    case SourceKind::PostfixLog: return "postfix_log";
    case SourceKind::EximLog: return "exim_log";
    case SourceKind::RelaylabJson: return "relaylab_json";
    }
    return "unknown";
}

std::optional<smtp::Reply> parse_reply_text(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    if (text.size() < 3 || text[0] < '2' || text[0] > '5' || !std::isdigit(static_cast<unsigned char>(text[1])) ||
        !std::isdigit(static_cast<unsigned char>(text[2])))
        return std::nullopt;
    if (text.size() > 3 && text[3] != ' ' && text[3] != '-') return std::nullopt;
    smtp::Reply r;
    r.code = (text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0');
    std::string rest(text.size() > 4 ? text.substr(4) : std::string_view());
    r.enhanced = smtp::parse_enhanced_code(rest, r.code);
    r.lines.push_back(std::move(rest));
    return r;
}

std::optional<smtp::Stage> stage_from_command(std::string_view words) {
    std::string w;
    for (const char c : words.substr(0, 64)) w.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    auto starts = [&](std::string_view p) { return w.compare(0, p.size(), p) == 0; };
    if (starts("MAIL FROM") || starts("MAIL")) return smtp::Stage::Mail;
    if (starts("RCPT TO") || starts("RCPT")) return smtp::Stage::Rcpt;
    if (starts("END OF DATA") || starts("END OF DATA") || w == ".") return smtp::Stage::Dot;
    if (starts("DATA")) return smtp::Stage::Data;
    if (starts("EHLO")) return smtp::Stage::Ehlo;
    if (starts("HELO")) return smtp::Stage::Helo;
    if (starts("INITIAL CONNECTION") || starts("INITIAL SERVER GREETING") || starts("GREETING")) return smtp::Stage::Greeting;
    if (starts("RSET")) return smtp::Stage::Rset;
    if (starts("QUIT")) return smtp::Stage::Quit;
    return std::nullopt;
}

std::string_view to_string(ReportKind k) {
    switch (k) {
    case ReportKind::Failure: return "failure";
    case ReportKind::Delayed: return "delayed";
    case ReportKind::Delivered: return "delivered";
    case ReportKind::AutoReply: return "auto_reply";
    case ReportKind::Feedback: return "feedback";
    }
    return "failure";
}

namespace {

std::optional<gw::DeliveryOutcome> attempt_of(const Finding& f) {
    if (f.dns_status) {
        if (f.mx_host_lookup) return gw::DeliveryOutcome::mx_host_dns(f.sender, f.recipient, f.dns_name, *f.dns_status);
        return gw::DeliveryOutcome::domain_dns(f.sender, f.recipient, f.dns_name, *f.dns_status);
    }
    if (!f.stage) return std::nullopt;
    smtp::RecipientOutcome r;
    r.address = f.recipient;
    r.stage = *f.stage;
    r.remote = smtp::Remote{f.remote_host, f.remote_ip, 25};
    if (f.net) {
        r.net = *f.net;
    } else if (f.reply) {
        r.reply = f.reply;
        if (f.reply->positive() && (*f.stage == smtp::Stage::Dot || *f.stage == smtp::Stage::Done)) r.stage = smtp::Stage::Done;
    } else {
        return std::nullopt;
    }
    return gw::DeliveryOutcome::smtp_result(f.sender, std::move(r), smtp::Remote{f.remote_host, f.remote_ip, 25});
}

}  // namespace

std::optional<gw::DeliveryOutcome> to_outcome(const Finding& f) {
    auto attempt = attempt_of(f);
    if (!f.expired) return attempt;
    if (attempt) return gw::DeliveryOutcome::expired(*attempt, TimePoint{});
    return gw::DeliveryOutcome::expired(f.sender, f.recipient, 0, TimePoint{});
}

std::vector<Finding> read_all(std::string_view input) { return {read_any(input)}; }

Finding read_any(std::string_view input) {
    input = input.substr(0, max_input_octets);
    // Skip leading blank lines; the first non-blank character decides the reader.
    std::size_t start = 0;
    while (start < input.size() && std::isspace(static_cast<unsigned char>(input[start]))) ++start;
    const auto body = input.substr(start);
    if (!body.empty() && body.front() == '{') {
        if (auto f = read_relaylab_json(body)) return *f;
    }
    if (looks_like_message(body)) {
        if (auto f = read_bounce(body)) return *f;
    }
    if (auto f = read_postfix_log(body)) return *f;
    if (auto f = read_exim_log(body)) return *f;
    if (auto f = read_bounce(body)) return *f;  // a bounce's body pasted without its headers
    Finding none;
    none.found.push_back("no bounce, Postfix or Exim log line, or relaylab JSON line recognised");
    return none;
}

}  // namespace relaylab::diag
