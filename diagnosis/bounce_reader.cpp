#include "diagnosis/bounce_reader.hpp"
#include "diagnosis/text.hpp"

#include "diagnosis/log_reader.hpp"
#include "gateway/address.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

namespace relaylab::diag {

namespace {

std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        std::string line(text.substr(start, std::min(nl - start, max_line_octets)));
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out.push_back(std::move(line));
        start = nl + 1;
    }
    return out;
}

bool is_blank(const std::string& s) { return trim(s).empty(); }

// Header-style fields of one block (RFC 5322 §2.2.3 unfolding), names lower-cased; the first wins.
using Fields = std::map<std::string, std::string>;

Fields read_fields(const std::vector<std::string>& lines, std::size_t& i) {
    Fields out;
    std::string name;
    for (; i < lines.size() && !is_blank(lines[i]); ++i) {
        const auto& l = lines[i];
        if ((l[0] == ' ' || l[0] == '\t') && !name.empty()) {
            out[name] += " " + trim(l);
            continue;
        }
        const auto colon = l.find(':');
        if (colon == std::string::npos || colon == 0) continue;
        name = lower(trim(l.substr(0, colon)));
        if (!out.count(name)) out[name] = trim(l.substr(colon + 1));
        else name.clear();
    }
    return out;
}

// "rfc822; user@isp.example" → "user@isp.example"; "dns; mx1.isp.example" → "mx1.isp.example".
std::string typed_value(const std::string& v) {
    const auto semi = v.find(';');
    auto s = trim(semi == std::string::npos ? v : v.substr(semi + 1));
    if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
    return s;
}

std::string address_in(const std::string& header) {
    const auto open = header.rfind('<');
    const auto close = header.rfind('>');
    if (open != std::string::npos && close != std::string::npos && close > open) return header.substr(open + 1, close - open - 1);
    return trim(header);
}

// RFC 3463 codes that name a stage on their own (the DSN of a relaylab notice carries no stage).
std::optional<smtp::Stage> stage_from_status(std::string_view s) {
    if (s.size() < 5) return std::nullopt;
    const auto rest = s.substr(2);
    if (rest == "1.7" || rest == "1.8") return smtp::Stage::Mail;
    if (rest == "1.1" || rest == "1.3" || rest == "1.6" || rest == "2.2" || rest == "2.1") return smtp::Stage::Rcpt;
    if (rest == "3.4" || rest.compare(0, 2, "6.") == 0) return smtp::Stage::Dot;
    return std::nullopt;
}

// Without a remote reply, a DSN's status alone says what DNS or the network did (RFC 3463 §3.4, §3.5).
void infer_from_status(Finding& f, bool has_remote) {
    const auto& s = f.reported_status;
    const auto domain = f.recipient.substr(f.recipient.rfind('@') == std::string::npos ? f.recipient.size() : f.recipient.rfind('@') + 1);
    auto dns = [&](dns::Status st) {
        f.dns_status = st;
        f.dns_name = domain;
        f.found.push_back("DNS result inferred from Status " + s);
    };
    if (s == "5.1.2") dns(dns::Status::NxDomain);
    else if (s == "5.1.10") dns(dns::Status::NullMx);
    else if (s == "5.4.4" && !has_remote) dns(dns::Status::NoData);
    else if (s == "4.4.3") dns(dns::Status::ServFail);
    else if ((s == "4.4.1" || s == "4.4.2") && has_remote) {
        f.stage = smtp::Stage::Connect;
        f.stage_inferred = true;
        f.net = s == "4.4.1" ? smtp::NetError::ConnectRefused : smtp::NetError::ConnectTimeout;
        f.found.push_back("connection failure inferred from Status " + s);
    }
}

// Postfix: "<user@isp.example>: host mx1[192.0.2.1] said: 553 … (in reply to MAIL FROM command)".
bool read_postfix_text(const std::vector<std::string>& unfolded, Finding& f) {
    for (const auto& l : unfolded) {
        if (l.empty() || l[0] != '<') continue;
        const auto end = l.find(">: ");
        if (end == std::string::npos) continue;
        if (f.recipient.empty()) f.recipient = l.substr(1, end - 1);
        if (read_postfix_reason(l.substr(end + 3), f)) return true;
    }
    return false;
}

// Exim: the block after "The following address(es) failed:" (or "…delayed"), as one line.
bool read_exim_text(const std::vector<std::string>& lines, Finding& f) {
    std::size_t i = 0;
    while (i < lines.size() && !contains(lines[i], "address(es) failed") && !contains(lines[i], "has not yet been delivered"))
        ++i;
    if (i == lines.size()) return false;
    ++i;
    while (i < lines.size() && is_blank(lines[i])) ++i;
    std::string block;
    for (; i < lines.size() && !is_blank(lines[i]); ++i) block += (block.empty() ? "" : " ") + trim(lines[i]);
    if (block.empty()) return false;
    if (f.recipient.empty()) f.recipient = block.substr(0, block.find_first_of(" :"));
    // "host mx1.isp.example [192.0.2.1]" is Exim's bounce form of its log's "H=".
    if (const auto h = block.find("host "); h != std::string::npos && f.remote_host.empty()) {
        const auto close = block.find(']', h);
        if (close != std::string::npos) split_peer(block.substr(h + 5, close + 1 - h - 5), f.remote_host, f.remote_ip);
    }
    return read_exim_reason(block, f);
}

// Sendmail: "... while talking to mx1.isp.example.:" then ">>> MAIL From:<…>" and "<<< 553 …".
bool read_sendmail_text(const std::vector<std::string>& lines, Finding& f) {
    std::optional<smtp::Stage> last_command;
    for (const auto& l : lines) {
        const auto talking = l.find("while talking to ");
        if (talking != std::string::npos) {
            auto peer = trim(l.substr(talking + 17));
            if (!peer.empty() && peer.back() == ':') peer.pop_back();
            split_peer(peer, f.remote_host, f.remote_ip);
        }
        if (l.compare(0, 4, ">>> ") == 0) last_command = stage_from_command(l.substr(4));
        if (l.compare(0, 4, "<<< ") == 0) {
            auto r = parse_reply_text(l.substr(4));
            if (r && !r->positive() && r->code >= 400) {
                f.reply = r;
                f.stage = last_command;
                f.found.push_back("transcript: " + trim(l.substr(4)));
                return true;
            }
        }
    }
    return false;
}

}  // namespace

bool looks_like_message(std::string_view text) {
    const auto nl = text.find('\n');
    const auto first = text.substr(0, nl);
    const auto colon = first.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    return std::all_of(first.begin(), first.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
    });
}

std::optional<Finding> read_bounce(std::string_view message) {
    message = message.substr(0, max_input_octets);
    const auto lines = lines_of(message);
    Finding f;
    std::size_t i = 0;
    Fields top;
    if (looks_like_message(message)) top = read_fields(lines, i);
    if (top.count("to")) {
        // A bounce goes to the envelope sender. Its To: field must quote a local part such as
        // "q." (RFC 5322 §3.4.1); the address's value is the local part without the quotes.
        f.sender = address_in(top["to"]);
        const auto check = gw::check_address(f.sender);
        if (check.was_quoted && !check.local_value.empty()) f.sender = check.local_value + "@" + check.domain;
    }

    // The delivery-status part: its MIME headers, a blank line, per-message fields, per-recipient blocks.
    bool dsn = false;
    Fields recipient_fields;
    for (std::size_t k = i; k < lines.size(); ++k) {
        if (!contains(lower(lines[k]), "content-type: message/delivery-status")) continue;
        dsn = true;
        std::size_t j = k;
        read_fields(lines, j);  // the part's own headers
        while (j < lines.size() && is_blank(lines[j])) ++j;
        const auto per_message = read_fields(lines, j);
        if (per_message.count("x-postfix-sender")) f.sender = typed_value(per_message.at("x-postfix-sender"));
        while (j < lines.size()) {
            while (j < lines.size() && is_blank(lines[j])) ++j;
            if (j < lines.size() && lines[j].compare(0, 2, "--") == 0) break;  // the MIME boundary
            auto block = read_fields(lines, j);
            if (block.empty()) break;
            const auto action = block.count("action") ? lower(block["action"]) : "";
            if (recipient_fields.empty() || (action != "delivered" && action != "relayed" &&
                                             lower(recipient_fields["action"]) == "delivered"))
                recipient_fields = block;
        }
        f.found.push_back("a message/delivery-status part (RFC 3464)");
        break;
    }

    // The MTA's own words, unfolded (Postfix indents continuation lines).
    std::vector<std::string> unfolded;
    for (std::size_t k = i; k < lines.size(); ++k) {
        if (!lines[k].empty() && (lines[k][0] == ' ' || lines[k][0] == '\t') && !unfolded.empty() &&
            !unfolded.back().empty() && unfolded.back()[0] == '<')
            unfolded.back() += " " + trim(lines[k]);
        else
            unfolded.push_back(lines[k]);
    }
    const std::string text(message);
    if (contains(text, "This is the mail system at host") || recipient_fields.count("x-postfix-queue-id") ||
        contains(text, "X-Postfix-Queue-ID")) {
        f.source = SourceKind::PostfixBounce;
        read_postfix_text(unfolded, f);
    } else if (contains(text, "created automatically by mail delivery software") || contains(text, "X-Failed-Recipients")) {
        f.source = SourceKind::EximBounce;
        read_exim_text(lines, f);
    } else if (contains(text, "Transcript of session follows") || contains(text, "The original message was received at")) {
        f.source = SourceKind::SendmailBounce;
        read_sendmail_text(lines, f);
    } else if (recipient_fields.count("x-remote-mta-ip") ||
               (dsn && contains(lower(top.count("from") ? top["from"] : ""), "mailer-daemon"))) {
        f.source = dsn ? SourceKind::RelaylabNotice : SourceKind::Unknown;
        if (!recipient_fields.count("x-remote-mta-ip")) f.source = SourceKind::Dsn;
    } else if (dsn) {
        f.source = SourceKind::Dsn;
    } else if (read_postfix_text(unfolded, f)) {
        f.source = SourceKind::PostfixBounce;
    } else {
        return std::nullopt;
    }

    // The standard fields fill what the words left open.
    if (recipient_fields.count("final-recipient") && f.recipient.empty())
        f.recipient = typed_value(recipient_fields["final-recipient"]);
    if (recipient_fields.count("status")) {
        f.reported_status = recipient_fields["status"].substr(0, recipient_fields["status"].find_first_of(" ("));
        f.found.push_back("Status: " + f.reported_status);
    }
    if (recipient_fields.count("action")) {
        f.action = lower(recipient_fields["action"]);
        f.found.push_back("Action: " + f.action);
    }
    if (recipient_fields.count("remote-mta") && f.remote_host.empty()) {
        split_peer(typed_value(recipient_fields["remote-mta"]), f.remote_host, f.remote_ip);
        f.found.push_back("Remote-MTA: " + f.remote_host + (f.remote_ip.empty() ? "" : " [" + f.remote_ip + "]"));
    }
    if (recipient_fields.count("x-remote-mta-ip") && f.remote_ip.empty()) f.remote_ip = recipient_fields["x-remote-mta-ip"];
    if (recipient_fields.count("diagnostic-code") && !f.reply) {
        const auto& d = recipient_fields["diagnostic-code"];
        f.found.push_back("Diagnostic-Code: " + d);
        if (lower(d.substr(0, 4)) == "smtp") f.reply = parse_reply_text(typed_value(d));
    }
    // RFC 3464 §2.3.3: "failed" with a transient status is a message that gave up retrying.
    if (f.action == "failed" && !f.reported_status.empty() && f.reported_status[0] == '4') f.expired = true;
    if (f.reply && !f.stage) {
        if (auto s = stage_from_status(f.reported_status)) {
            f.stage = s;
            f.stage_inferred = true;
        }
    }
    if (!f.reply && !f.net && !f.dns_status) infer_from_status(f, !f.remote_host.empty() || !f.remote_ip.empty());
    return f;
}

}  // namespace relaylab::diag
