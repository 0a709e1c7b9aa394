#include "diagnosis/finding.hpp"

#include "diagnosis/bounce_reader.hpp"
#include "diagnosis/formats/ses_json.hpp"
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

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// "553" at the start of `t`, followed by nothing, a space or a hyphen: the reply code, or 0.
int code_at(std::string_view t) {
    if (t.size() < 3 || t[0] < '2' || t[0] > '5' || !std::isdigit(static_cast<unsigned char>(t[1])) ||
        !std::isdigit(static_cast<unsigned char>(t[2])))
        return 0;
    if (t.size() > 3 && t[3] != ' ' && t[3] != '-' && t[3] != '\r' && t[3] != '\n' && t[3] != '\t') return 0;
    return (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
}

}  // namespace

std::optional<smtp::Reply> parse_reply_text(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    const int code = code_at(text);
    if (code == 0) return std::nullopt;
    // Reports quote multi-line replies folded, wrapped or glued into one line ("550-5.7.26 a
    // 550-5.7.26 b 550 5.7.26 c"): collapse the white space, then cut the lines again where the
    // same code comes back with "-" (more lines follow) or " " (the last line, RFC 5321 §4.2.1).
    std::string flat;
    flat.reserve(text.size());
    for (const char c : text) {
        if (is_space(c)) {
            if (!flat.empty() && flat.back() != ' ') flat += ' ';
        } else {
            flat += c;
        }
    }
    const std::string_view t = flat;
    const char digits[3] = {t[0], t[1], t[2]};
    smtp::Reply r;
    r.code = code;
    std::size_t start = 0;  // of the current line, at its code
    bool more = t.size() > 3 && t[3] == '-';
    while (true) {
        std::size_t next = std::string_view::npos;
        if (more) {
            for (std::size_t p = t.find(' ', start + 4); p != std::string_view::npos; p = t.find(' ', p + 1)) {
                if (p + 4 > t.size() || t.compare(p + 1, 3, std::string_view(digits, 3)) != 0) continue;
                if (p + 4 == t.size() || t[p + 4] == '-' || t[p + 4] == ' ') {
                    next = p + 1;
                    break;
                }
            }
        }
        const auto end = next == std::string_view::npos ? t.size() : next - 1;
        r.lines.emplace_back(start + 4 <= end ? t.substr(start + 4, end - start - 4) : std::string_view());
        if (next == std::string_view::npos) break;
        start = next;
        more = start + 3 < t.size() && t[start + 3] == '-';
        if (!more) {  // the last line: the rest is its text
            r.lines.emplace_back(start + 4 <= t.size() ? t.substr(start + 4) : std::string_view());
            break;
        }
    }
    // Some reporters quote the code twice ("550 550 5.7.1 …"): the second is no text of the reply.
    auto& head = r.lines.front();
    if (head.size() > 4 && head.compare(0, 3, std::string_view(digits, 3)) == 0 && head[3] == ' ') head.erase(0, 4);
    r.enhanced = smtp::parse_enhanced_code(r.lines.front(), r.code);
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
    if (starts("STARTTLS")) return smtp::Stage::StartTls;
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

namespace {

// A log excerpt about more recipients than this is read for the first ones only.
constexpr std::size_t max_log_recipients = 500;
// The first address in a reply's text ("<bob@isp.example>", "(bob@isp.example)", "to bob@isp.example"), or "".
std::string address_in_text(std::string_view text) {
    auto is_addr = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '+' || c == '=';
    };
    for (auto at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
        std::size_t a = at, b = at + 1;
        while (a > 0 && is_addr(text[a - 1])) --a;
        while (b < text.size() && is_addr(text[b])) ++b;
        while (b > at + 1 && text[b - 1] == '.') --b;
        if (a < at && b > at + 1 && text.substr(at + 1, b - at - 1).find('.') != std::string_view::npos)
            return std::string(text.substr(a, b - a));
    }
    return {};
}

// A pasted multi-line reply longer than this is cut (RFC 5321 sets no limit; real ones have < 10).
constexpr std::size_t max_bare_reply_lines = 64;

std::string_view first_line(std::string_view text) {
    auto line = text.substr(0, std::min(text.find('\n'), max_line_octets));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    return line;
}

// Log excerpts about several recipients: one line per recipient (the last about each wins: a log
// ends with the outcome), each read with the excerpt's other lines (the sender's from= / <= line).
template <typename Reader>
std::vector<Finding> per_recipient_lines(std::string_view text, std::string_view recipient_key, Reader read) {
    std::vector<std::string> keys;
    std::vector<std::string_view> last;
    std::string context;
    std::size_t start = 0;
    while (start < text.size() && keys.size() < max_log_recipients) {
        auto nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        const auto line = text.substr(start, std::min(nl - start, max_line_octets));
        start = nl + 1;
        const auto k = line.find(recipient_key);
        if (k == std::string_view::npos) {
            context.append(line).append("\n");
            continue;
        }
        auto rest = line.substr(k + recipient_key.size());
        const std::string key(rest.substr(0, rest.find_first_of(">, :")));
        const auto it = std::find(keys.begin(), keys.end(), key);
        if (it == keys.end()) {
            keys.push_back(key);
            last.push_back(line);
        } else {
            last[static_cast<std::size_t>(it - keys.begin())] = line;
        }
    }
    std::vector<Finding> out;
    if (keys.size() < 2) return out;
    for (const auto line : last) {
        if (auto f = read(context + std::string(line))) out.push_back(std::move(*f));
    }
    return out;
}

// "5.1.7", "Status: 5.2.2", "dsn=5.1.1": a status code on its own.
std::optional<std::string> bare_status(std::string_view line) {
    for (const std::string_view prefix : {"Status:", "status:", "dsn=", "DSN:"}) {
        if (line.starts_with(prefix)) {
            line.remove_prefix(prefix.size());
            break;
        }
    }
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    const auto end = line.find_first_of(" (");
    const auto code = line.substr(0, end);
    if (code.size() < 5 || code.size() > 9 || (code[0] != '2' && code[0] != '4' && code[0] != '5') || code[1] != '.')
        return std::nullopt;
    int dots = 0;
    for (const char c : code.substr(1)) {
        if (c == '.') ++dots;
        else if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    if (dots != 2 || code.back() == '.' || code.find("..") != std::string_view::npos) return std::nullopt;
    return std::string(code);
}

// A reply pasted alone: its lines while they carry its code (or continue it without one).
std::optional<smtp::Reply> bare_reply(std::string_view text) {
    const auto first = first_line(text);
    if (!parse_reply_text(first)) return std::nullopt;
    std::size_t end = 0;
    std::size_t lines = 0;
    while (end < text.size() && lines < max_bare_reply_lines) {
        auto nl = text.find('\n', end);
        if (nl == std::string_view::npos) nl = text.size();
        const auto line = text.substr(end, nl - end);
        if (lines > 0 && line.substr(0, 3) != first.substr(0, 3)) break;
        end = nl + 1;
        ++lines;
    }
    return parse_reply_text(text.substr(0, std::min(end, text.size())));
}

}  // namespace

std::vector<Finding> read_all(std::string_view input) {
    input = input.substr(0, max_input_octets);
    // Skip leading blank lines; the first non-blank character decides the reader.
    std::size_t start = 0;
    while (start < input.size() && std::isspace(static_cast<unsigned char>(input[start]))) ++start;
    const auto body = input.substr(start);
    if (!body.empty() && body.front() == '{') {
        if (auto f = read_relaylab_json(body)) return {*f};
        if (auto v = formats::read_ses_notification(body); !v.empty()) return v;
    }
    if (looks_like_message(body)) {
        if (auto v = read_bounces(body); !v.empty()) return v;
    }
    if (auto v = per_recipient_lines(body, "to=<", read_postfix_log); !v.empty()) return v;
    if (auto f = read_postfix_log(body)) return {*f};
    if (auto f = read_exim_log(body)) return {*f};
    if (auto f = read_sendmail_log(body)) return {*f};
    if (auto r = bare_reply(body)) {
        Finding f;
        // "550 5.1.1 <bob@isp.example>: Recipient address rejected": the reply names its recipient.
        f.recipient = address_in_text(r->text());
        f.reply = std::move(r);
        f.found.push_back("a reply: " + f.reply->one_line());
        return {f};
    }
    if (auto s = bare_status(first_line(body))) {
        Finding f;
        f.reported_status = *s;
        f.found.push_back("a status code: " + *s);
        return {f};
    }
    if (auto v = read_bounces(body); !v.empty()) return v;  // a bounce's body pasted without its headers
    Finding none;
    none.found.push_back("no bounce, log line, reply, status code or relaylab JSON line recognised");
    return {none};
}

Finding read_any(std::string_view input) { return read_all(input).front(); }

}  // namespace relaylab::diag
