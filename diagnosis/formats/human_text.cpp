#include "diagnosis/formats/human_text.hpp"

#include "diagnosis/formats/reporters.hpp"
#include "diagnosis/log_reader.hpp"
#include "diagnosis/text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cctype>
#include <optional>
#include <string>

namespace relaylab::diag::formats {

namespace {

using smtp::Stage;

// ASCII only, inline: this runs over every line of every bounce (the locale's tolower is a call).
char low(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

// `needle` (lower-case) in `hay`, ignoring ASCII case; npos when absent.
std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from = 0) {
    if (needle.empty() || hay.size() < needle.size()) return std::string_view::npos;
    const char first = needle[0];
    const char first_upper = first >= 'a' && first <= 'z' ? static_cast<char>(first - ('a' - 'A')) : first;
    for (std::size_t i = from; i + needle.size() <= hay.size(); ++i) {
        if (hay[i] != first && hay[i] != first_upper) continue;
        std::size_t k = 1;
        while (k < needle.size() && low(hay[i + k]) == needle[k]) ++k;
        if (k == needle.size()) return i;
    }
    return std::string_view::npos;
}

// `s` lower-cased (ASCII) into a buffer reused per thread: one pass per line instead of one per marker.
std::string_view lowered(std::string_view s) {
    thread_local std::string buffer;
    buffer.assign(s);
    for (auto& c : buffer) c = low(c);
    return buffer;
}

bool istarts(std::string_view s, std::string_view prefix_lower) {
    if (s.size() < prefix_lower.size()) return false;
    for (std::size_t i = 0; i < prefix_lower.size(); ++i)
        if (low(s[i]) != prefix_lower[i]) return false;
    return true;
}

std::string_view ltrim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return s;
}

std::string_view rtrim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool blank(std::string_view s) { return rtrim(ltrim(s)).empty(); }

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        auto line = text.substr(start, std::min(nl - start, max_line_octets));
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out.push_back(line);
        start = nl + 1;
    }
    return out;
}

bool address_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && c != '<' && c != '>' && c != '(' && c != ')' && c != ',' && c != ';' && c != ':' && c != '[' &&
           c != ']' && c != '\'' && c != 0x7f;
}

// An address starting at `s` ("bob@isp.example", "\"p..q.\"@docomo.ne.jp"): its length, or 0.
std::size_t address_length(std::string_view s) {
    std::size_t i = 0;
    if (!s.empty() && s[0] == '"') {  // a quoted local part
        const auto close = s.find('"', 1);
        if (close == std::string_view::npos || close > 128) return 0;
        i = close + 1;
    }
    while (i < s.size() && address_char(s[i]) && s[i] != '@') ++i;
    if (i == 0 || i >= s.size() || s[i] != '@') return 0;
    const auto at = i++;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.' || s[i] == '-' || s[i] == '_'))
        ++i;
    while (i > at + 1 && s[i - 1] == '.') --i;  // a sentence's full stop
    if (i == at + 1 || s.substr(at + 1, i - at - 1).find('.') == std::string_view::npos) return 0;
    return i;
}

struct Anchor {
    std::string address;
    std::string_view rest;  // the line after the address
};

// Spaces, tabs and ideographic spaces (U+3000, Japanese notices indent and align with them).
std::string_view skip_spaces(std::string_view s) {
    while (true) {
        if (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        else if (s.starts_with("\xE3\x80\x80")) s.remove_prefix(3);
        else return s;
    }
}

// After a label: optional spaces, then ':' or the full-width '：'; the rest after them, or nullopt.
std::optional<std::string_view> after_colon(std::string_view after) {
    after = skip_spaces(after);
    if (after.starts_with(":")) return skip_spaces(after.substr(1));
    if (after.starts_with("\xEF\xBC\x9A")) return skip_spaces(after.substr(3));  // full-width colon
    return std::nullopt;
}

// A Japanese label of the notice's own choosing before a colon ("宛先アドレス：", "お届け先:"): up to
// 16 characters of Japanese text (no ASCII letters, digits or '@'), then the colon.
std::optional<std::string_view> after_japanese_label(std::string_view t) {
    if (t.empty() || static_cast<unsigned char>(t.front()) < 0x80) return std::nullopt;
    std::size_t i = 0;
    while (i < t.size() && i < 48 && static_cast<unsigned char>(t[i]) >= 0x80 && !t.substr(i).starts_with("\xEF\xBC\x9A") &&
           !t.substr(i).starts_with("\xE3\x80\x80"))
        ++i;
    return after_colon(t.substr(i));
}

// Words that may follow a recipient's address in a Japanese sentence: "bob@isp.example 宛のメール",
// "… 様", "… へのメール".
bool japanese_follower(std::string_view r) {
    return r.starts_with("\xE5\xAE\x9B") || r.starts_with("\xE6\xA7\x98") || r.starts_with("\xE3\x81\xB8");  // 宛 様 へ
}

// A line that starts with a recipient's address (after an optional label and '<').
std::optional<Anchor> anchor_of(std::string_view line) {
    auto t = skip_spaces(line);
    bool labelled = false;
    for (const auto label : recipient_labels()) {
        if (!istarts(t, label)) continue;
        if (const auto rest = after_colon(t.substr(label.size()))) {
            t = *rest;
            labelled = true;
            break;
        }
        // A Japanese label may stand without a colon, spaced from the address ("宛先 bob@…").
        const auto spaced = skip_spaces(t.substr(label.size()));
        if (static_cast<unsigned char>(label.front()) >= 0x80 && spaced.size() < t.size() - label.size()) {
            t = spaced;
            labelled = true;
            break;
        }
    }
    if (!labelled)
        if (const auto rest = after_japanese_label(t)) t = *rest;
    bool angle = false, corner = false;  // <addr>, or 「addr」 in Japanese text
    if (!t.empty() && t.front() == '<') {
        t.remove_prefix(1);
        angle = true;
    } else if (t.starts_with("\xE3\x80\x8C")) {
        t.remove_prefix(3);
        corner = true;
    }
    const auto n = address_length(t);
    if (n == 0) return std::nullopt;
    Anchor a{std::string(t.substr(0, n)), t.substr(n)};
    if (angle && !a.rest.empty() && a.rest.front() == '>') a.rest.remove_prefix(1);
    if (corner) {
        if (!a.rest.starts_with("\xE3\x80\x8D")) return std::nullopt;
        a.rest.remove_prefix(3);
    }
    const auto r = skip_spaces(a.rest);
    if (!r.empty() && r.front() != ':' && r.front() != '(' && r.front() != ';' && r.front() != ',' && r.front() != '<' &&
        !r.starts_with("...") && !japanese_follower(r))
        return std::nullopt;
    return a;
}

// Where a reply starts in `line`: at its start (after "<<< ", "#", quotes, ':'), or just after a
// reply marker. `marker_open` is set when a marker ends the line (the reply is on the next lines).
std::optional<std::size_t> reply_start(std::string_view line, bool& marker_open) {
    marker_open = false;
    auto strip = [&](std::size_t p) {
        while (p < line.size() && (line[p] == ' ' || line[p] == '\t' || line[p] == ':' || line[p] == '#' ||
                                   line[p] == '\'' || line[p] == '"' || line[p] == '(' || line[p] == '<'))
            ++p;
        return p;
    };
    const auto first = strip(0);
    if (parse_reply_text(line.substr(first, 4))) return first;
    const auto low_line = lowered(line);
    for (const auto marker : reply_markers()) {
        const auto m = low_line.find(marker);
        if (m == std::string_view::npos) continue;
        const auto p = strip(m + marker.size());
        if (p >= line.size()) {
            marker_open = true;
            return std::nullopt;
        }
        if (parse_reply_text(line.substr(p, 4))) return p;
    }
    return std::nullopt;
}

// Lines that end a quoted reply: a transcript line, a new statement of the reporter.
bool ends_reply(std::string_view line) {
    const auto t = ltrim(line);
    return t.starts_with(">>>") || t.starts_with("---") || t.starts_with("***") || istarts(t, "giving up") ||
           istarts(t, "remote-mta") || istarts(t, "generating server") || istarts(t, "original message") ||
           istarts(t, "learn more") || istarts(t, "diagnostic information");
}

// Cuts "(in reply to RCPT TO command)", Exchange's closing "'" and "##" and a trailing ")" off a
// quoted reply; the stage words are left to the phrase table.
std::string_view reply_body(std::string_view r, bool opened_paren, bool opened_quote) {
    if (const auto p = ifind(r, "(in reply to "); p != std::string_view::npos) r = r.substr(0, p);
    r = rtrim(r);
    if (opened_quote && r.ends_with("'")) r.remove_suffix(1);
    if (r.ends_with("##")) r = rtrim(r.substr(0, r.size() - 2));
    if (opened_paren && r.ends_with(")")) r.remove_suffix(1);
    return r;
}

bool read_reply(const std::vector<std::string_view>& lines, Finding& f) {
    bool open = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        bool marker_open = false;
        auto start = reply_start(lines[i], marker_open);
        std::size_t line_no = i;
        if (!start && (marker_open || open)) {
            // "The response was:" then a blank line, then the reply.
            std::size_t j = i + 1;
            while (j < lines.size() && blank(lines[j])) ++j;
            if (j < lines.size()) {
                bool ignored = false;
                const auto t = ltrim(lines[j]);
                if (parse_reply_text(t.substr(0, 4))) {
                    start = static_cast<std::size_t>(t.data() - lines[j].data());
                    line_no = j;
                } else if ((start = reply_start(lines[j], ignored))) {
                    line_no = j;
                }
            }
        }
        open = false;
        if (!start) continue;
        const auto first = lines[line_no];
        const bool paren = *start > 0 && first.substr(0, *start).find('(') != std::string_view::npos;
        const bool quote = *start > 0 && first[*start - 1] == '\'';
        std::string text(first.substr(*start));
        for (std::size_t j = line_no + 1; j < lines.size() && !blank(lines[j]) && !ends_reply(lines[j]); ++j) {
            if (text.size() > max_line_octets) break;
            auto next = ltrim(lines[j]);
            if (next.starts_with("<<<")) next = ltrim(next.substr(3));
            else if (next.starts_with("<") || anchor_of(next)) break;  // another recipient
            text += '\n';
            text += next;
        }
        if (auto r = parse_reply_text(reply_body(text, paren, quote))) {
            f.reply = std::move(r);
            // Exchange quotes one "… returned '…'" per attempt: the last attempt's reply is the one.
            if (quote) {
                for (std::size_t j = lines.size(); j-- > line_no + 1;) {
                    const auto q = ifind(lines[j], "returned '");
                    if (q == std::string_view::npos) continue;
                    if (auto later = parse_reply_text(reply_body(lines[j].substr(q + 10), false, true))) f.reply = std::move(later);
                    break;
                }
            }
            f.found.push_back("remote reply: " + f.reply->one_line());
            return true;
        }
    }
    return false;
}

// "host mx1.isp.example [192.0.2.25]", "host mx1[192.0.2.25]", "while talking to mx1.isp.example.:",
// "Connected to 192.0.2.25 but …", "192.0.2.25 does not like recipient.", "mx1.isp.example [192.0.2.25]:".
void read_host(const std::vector<std::string_view>& lines, Finding& f) {
    static constexpr std::string_view leads[] = {"host ", "while talking to ", "connected to ", "receiving server: ",
                                                 "remote server: ", "remote server at ", "サーバ: ", "サーバ：",
                                                 "サーバー: ", "サーバー："};
    std::string low_line;  // the line lower-cased once, searched for every lead (the leads are lower-case)
    for (const auto line : lines) {
        low_line.assign(line);
        for (auto& c : low_line) c = low(c);
        for (const auto lead : leads) {
            for (auto p = low_line.find(lead); p != std::string::npos; p = low_line.find(lead, p + 1)) {
                // "the mail system at host …" is the reporter; "Client host [ip] blocked" is the sender.
                if ((p >= 3 && istarts(line.substr(p - 3), "at ")) || (p >= 7 && istarts(line.substr(p - 7), "client ")))
                    continue;
                auto rest = line.substr(p + lead.size());
                auto end = rest.find_first_of(" :,)'\t");
                auto token = rest.substr(0, end);
                if (token.find('.') == std::string_view::npos && token.find('[') == std::string_view::npos) continue;
                if (token.ends_with("...")) continue;
                std::string peer(token);
                if (token.find('[') == std::string_view::npos && end != std::string_view::npos) {
                    const auto after = ltrim(rest.substr(end));
                    if (after.starts_with("[") || after.starts_with("(")) {
                        const auto close = after.find_first_of("])");
                        if (close != std::string_view::npos)
                            peer += "[" + std::string(after.substr(1, close - 1)) + "]";
                    }
                }
                split_peer(peer, f.remote_host, f.remote_ip);
                if (!f.remote_host.empty() && std::isdigit(static_cast<unsigned char>(f.remote_host[0])) &&
                    f.remote_host.find_first_not_of("0123456789.") == std::string::npos) {
                    if (f.remote_ip.empty()) f.remote_ip = f.remote_host;
                    f.remote_host.clear();
                }
                if (!f.remote_host.empty() || !f.remote_ip.empty()) return;
            }
        }
        // qmail: "192.0.2.25 does not like recipient."; Courier: "mx1.isp.example [192.0.2.25]:".
        const auto t = ltrim(line);
        const auto sp = t.find(' ');
        if (sp != std::string_view::npos && sp > 6 && t.substr(0, sp).find_first_not_of("0123456789.") == std::string_view::npos) {
            f.remote_ip = std::string(t.substr(0, sp));
            return;
        }
        if (sp != std::string_view::npos && t.substr(sp).starts_with(" [") && rtrim(t).ends_with("]:") &&
            t.substr(0, sp).find('.') != std::string_view::npos) {
            split_peer(rtrim(t).substr(0, rtrim(t).size() - 1), f.remote_host, f.remote_ip);
            return;
        }
    }
}

// qmail's "(#5.1.2)" and similar bracketed statuses.
void read_hash_status(std::string_view words, Finding& f) {
    const auto p = words.find("(#");
    if (p == std::string_view::npos || !f.reported_status.empty()) return;
    const auto close = words.find(')', p);
    if (close == std::string_view::npos || close - p > 12) return;
    const auto s = words.substr(p + 2, close - p - 2);
    if (s.size() >= 5 && (s[0] == '2' || s[0] == '4' || s[0] == '5') && s[1] == '.') {
        f.reported_status = std::string(s);
        f.found.push_back("status (#" + f.reported_status + ")");
    }
}

std::string collapsed(std::string_view words) {
    std::string out;
    while (!words.empty() && (words.front() == ':' || std::isspace(static_cast<unsigned char>(words.front())))) words.remove_prefix(1);
    for (const char c : words) {
        if (out.size() >= max_diagnostic_octets) break;
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += c;
        }
    }
    // Never cut a UTF-8 sequence in half.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    return trim(out);
}

// Sendmail's and Courier's session transcript: ">>> RCPT To:<bob@…>" then "<<< 550 …".
struct TranscriptError {
    std::string recipient;  // for RCPT; empty: every recipient
    Stage stage;
    smtp::Reply reply;
    std::string host;
};

std::vector<TranscriptError> read_transcript(const std::vector<std::string_view>& lines) {
    std::vector<TranscriptError> out;
    std::optional<Stage> stage;
    std::string rcpt, host;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto t = ltrim(lines[i]);
        if (const auto w = ifind(t, "while talking to "); w != std::string_view::npos) {
            auto peer = rtrim(t.substr(w + 17));
            if (peer.ends_with(":")) peer.remove_suffix(1);
            host = std::string(peer);
        }
        if (t.starts_with("<<< 354")) {
            stage = Stage::Dot;  // the data went; what comes next answers the final dot
            continue;
        }
        if (t.starts_with(">>> ")) {
            stage = stage_from_command(t.substr(4));
            // Sendmail shows neither the 354 nor the dot: an error after ">>> DATA" answers the
            // message's end (a refused DATA command is rare: it only follows refused recipients).
            if (stage == Stage::Data) stage = Stage::Dot;
            rcpt.clear();
            if (stage == Stage::Rcpt) {
                const auto lt = t.find('<');
                const auto gt = t.find('>', lt == std::string_view::npos ? 0 : lt);
                if (lt != std::string_view::npos && gt != std::string_view::npos) rcpt = std::string(t.substr(lt + 1, gt - lt - 1));
            }
            if (!stage && (t.find('.') == 4 || istarts(t.substr(4), "(end of data)"))) stage = Stage::Dot;
            continue;
        }
        if (!t.starts_with("<<< ") || !stage) continue;
        std::string text(t.substr(4));
        for (std::size_t j = i + 1; j < lines.size() && ltrim(lines[j]).starts_with("<<< "); ++j, ++i) {
            text += '\n';
            text += ltrim(lines[j]).substr(4);
        }
        auto r = parse_reply_text(text);
        if (!r || r->code < 400) continue;
        out.push_back({rcpt, *stage, std::move(*r), host});
    }
    return out;
}

bool same_address(std::string_view a, std::string_view b) { return !a.empty() && lower(a) == lower(b); }

// The rows of a phrase table that occur in a text, found in one pass over the text: each position
// is looked up by its first two bytes, so a text of n bytes costs n lookups, not one search per row
// (a search per row was a tenth of `explain --jsonl`'s time).
class PhraseScan {
public:
    explicit PhraseScan(std::vector<std::string_view> rows) : rows_(std::move(rows)) {
        for (std::size_t i = 0; i < rows_.size(); ++i) {
            if (rows_[i].size() < 2) {
                short_.push_back(i);
                continue;
            }
            const auto k = key(rows_[i].data());
            seen_[k / 64] |= std::uint64_t{1} << (k % 64);
            by_key_.push_back({k, i});
        }
        std::sort(by_key_.begin(), by_key_.end());
    }

    // found[i]: rows[i] occurs in `text`.
    void scan(std::string_view text, std::vector<bool>& found) const {
        found.assign(rows_.size(), false);
        for (const auto i : short_) found[i] = text.find(rows_[i]) != std::string_view::npos;
        for (std::size_t p = 0; p + 1 < text.size(); ++p) {
            const auto k = key(text.data() + p);
            if (!(seen_[k / 64] & (std::uint64_t{1} << (k % 64)))) continue;
            auto it = std::lower_bound(by_key_.begin(), by_key_.end(), std::pair<std::uint16_t, std::size_t>{k, 0});
            for (; it != by_key_.end() && it->first == k; ++it) {
                const auto& row = rows_[it->second];
                if (!found[it->second] && text.compare(p, row.size(), row) == 0) found[it->second] = true;
            }
        }
    }

private:
    static std::uint16_t key(const char* p) {
        return static_cast<std::uint16_t>(static_cast<unsigned char>(p[0]) << 8 | static_cast<unsigned char>(p[1]));
    }
    std::vector<std::string_view> rows_;
    std::vector<std::size_t> short_;
    std::array<std::uint64_t, 1024> seen_{};
    std::vector<std::pair<std::uint16_t, std::size_t>> by_key_;
};

const PhraseScan& phrase_scan() {
    static const PhraseScan scan = [] {
        std::vector<std::string_view> rows;
        for (const auto& p : phrases()) rows.push_back(p.words);
        return PhraseScan(std::move(rows));
    }();
    return scan;
}

const PhraseScan& returned_message_scan() {
    static const PhraseScan scan(returned_message_markers());
    return scan;
}

}  // namespace

void read_words(std::string_view words, Finding& f) {
    const auto lines = lines_of(words);
    std::string joined;
    for (const auto l : lines) {
        if (joined.size() > max_line_octets) break;
        if (!joined.empty()) joined += ' ';
        joined += trim(l);
    }
    // Postfix's per-recipient words ("host H[IP] said: …", "connect to …", "Host or domain name
    // not found. …") have their own reader; it also unfolds the reply it quotes.
    auto postfix_words = std::string_view(joined);
    while (!postfix_words.empty() && (postfix_words.front() == ':' || postfix_words.front() == ' ')) postfix_words.remove_prefix(1);
    static constexpr std::string_view postfix_leads[] = {"host ", "connect to ", "conversation with ", "lost connection with ",
                                                         "delivery temporarily suspended: "};
    bool postfix = contains(postfix_words, "Name service error for name=") || contains(postfix_words, "(nullMX)");
    for (const auto lead : postfix_leads) postfix = postfix || postfix_words.starts_with(lead);
    if (postfix && !f.reply && !f.dns_status && !f.net) read_postfix_reason(postfix_words, f);
    if (!f.reply) read_reply(lines, f);
    if (f.remote_host.empty() && f.remote_ip.empty()) read_host(lines, f);
    read_hash_status(joined, f);
    const auto lowered = lower(joined);
    std::vector<bool> found;
    phrase_scan().scan(lowered, found);
    const auto& rows = phrases();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!found[i]) continue;
        const auto& p = rows[i];
        switch (p.meaning) {
        case Meaning::Stage:
            if (!f.stage) f.stage = p.stage;
            break;
        case Meaning::DnsNxDomain:
        case Meaning::MxHostNx:
        case Meaning::DnsTemporary:
        case Meaning::NullMx:
            if (f.reply || f.dns_status || f.net) break;
            f.dns_status = p.meaning == Meaning::NullMx         ? dns::Status::NullMx
                           : p.meaning == Meaning::DnsTemporary ? dns::Status::ServFail
                                                                : dns::Status::NxDomain;
            f.mx_host_lookup = p.meaning == Meaning::MxHostNx;
            if (f.dns_name.empty() && !f.mx_host_lookup) {
                const auto at = f.recipient.rfind('@');
                if (at != std::string::npos) f.dns_name = lower(f.recipient.substr(at + 1));
            }
            f.found.push_back("DNS: \"" + std::string(p.words) + "\"");
            break;
        case Meaning::Net:
            if (f.reply || f.dns_status || f.net) break;
            f.net = p.net;
            if (!f.stage) f.stage = (*p.net == smtp::NetError::ConnectRefused || *p.net == smtp::NetError::ConnectTimeout ||
                                     *p.net == smtp::NetError::Unreachable)
                                        ? Stage::Connect
                                        : f.stage;
            f.found.push_back("network: \"" + std::string(p.words) + "\"");
            break;
        case Meaning::Expired:
            if (!f.expired) f.found.push_back("expired: \"" + std::string(p.words) + "\"");
            f.expired = true;
            break;
        case Meaning::Delayed:
            if (f.report == ReportKind::Failure && !f.expired) f.report = ReportKind::Delayed;
            break;
        }
    }
    if (f.expired && f.report == ReportKind::Delayed) f.report = ReportKind::Failure;
    if (!f.reply && f.diagnostic_text.empty()) f.diagnostic_text = collapsed(words);
}

std::vector<Finding> read_human_text(std::string_view text, std::string_view sender) {
    auto lines = lines_of(text);
    // The reporter's words end where the returned message begins.
    std::vector<bool> marker;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        returned_message_scan().scan(lowered(lines[i]), marker);
        if (std::find(marker.begin(), marker.end(), true) != marker.end()) {
            lines.resize(i);
            break;
        }
    }
    struct Block {
        std::string address;
        std::string words;
    };
    std::vector<Block> blocks;
    std::size_t current = std::string_view::npos;
    std::string preamble;
    for (const auto line : lines) {
        auto a = anchor_of(line);
        if (a && (same_address(a->address, sender) || istarts(a->address, "postmaster@") || istarts(a->address, "mailer-daemon@")))
            a.reset();
        if (a) {
            auto it = std::find_if(blocks.begin(), blocks.end(), [&](const Block& b) { return same_address(b.address, a->address); });
            if (it == blocks.end()) {
                if (blocks.size() >= max_text_recipients) break;
                blocks.push_back({a->address, {}});
                it = blocks.end() - 1;
            } else {
                it->words += '\n';
            }
            current = static_cast<std::size_t>(it - blocks.begin());
            blocks[current].words += a->rest;
            continue;
        }
        auto& words = current == std::string_view::npos ? preamble : blocks[current].words;
        if (words.size() > max_input_octets / 4) continue;
        words += '\n';
        words += line;
    }
    std::vector<std::string_view> all(lines.begin(), lines.end());
    const auto transcript = read_transcript(all);

    std::vector<Finding> out;
    if (blocks.empty()) {
        Finding f;
        // "Your message to bob@isp.example couldn't be delivered": the only recipient, in a sentence.
        for (const auto lead : recipient_lead_ins()) {
            for (auto p = ifind(preamble, lead); p != std::string_view::npos && f.recipient.empty(); p = ifind(preamble, lead, p + 1)) {
                auto at = std::string_view(preamble).substr(p + lead.size());
                if (!at.empty() && at.front() == '<') at.remove_prefix(1);
                const auto n = address_length(at);
                if (n > 0 && !same_address(at.substr(0, n), sender)) f.recipient = std::string(at.substr(0, n));
            }
            if (!f.recipient.empty()) break;
        }
        read_words(preamble, f);
        out.push_back(std::move(f));
    } else {
        for (auto& b : blocks) {
            Finding f;
            f.recipient = b.address;
            read_words(b.words, f);
            out.push_back(std::move(f));
        }
        // A list of addresses followed by one reason ("----- Non-delivered information -----"), or
        // a reason followed by the address: a block without words of its own takes the next block's
        // evidence, or the words before the first address.
        Finding shared;
        read_words(preamble, shared);
        for (std::size_t i = out.size(); i-- > 0;) {
            if (!out[i].found.empty() || !blank(blocks[i].words)) continue;
            const Finding& from = i + 1 < out.size() && !out[i + 1].found.empty() ? out[i + 1] : shared;
            auto recipient = std::move(out[i].recipient);
            out[i] = from;
            out[i].recipient = std::move(recipient);
        }
    }
    for (const auto& t : transcript) {
        for (auto& f : out) {
            if (!t.recipient.empty() && !f.recipient.empty() && !same_address(t.recipient, f.recipient) && out.size() > 1)
                continue;
            if (!f.stage || (f.reply && f.reply->code == t.reply.code)) f.stage = t.stage;
            if (f.reply && f.reply->code == t.reply.code && t.reply.lines.size() > f.reply->lines.size()) f.reply = t.reply;
            if (!f.reply) {
                f.reply = t.reply;
                f.dns_status.reset();
                f.net.reset();
                f.diagnostic_text.clear();
            }
            if (f.remote_host.empty() && f.remote_ip.empty()) split_peer(t.host, f.remote_host, f.remote_ip);
            f.found.push_back("transcript: " + t.reply.one_line());
        }
    }
    return out;
}

}  // namespace relaylab::diag::formats
