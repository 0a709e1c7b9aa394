#include "diagnosis/mime_dsn.hpp"

#include "diagnosis/finding.hpp"
#include "diagnosis/text.hpp"

namespace relaylab::diag {

namespace {

std::string_view next_line(std::string_view text, std::size_t& pos) {
    const auto nl = text.find('\n', pos);
    const auto end = nl == std::string_view::npos ? text.size() : nl;
    auto line = text.substr(pos, std::min(end - pos, max_line_octets));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

bool blank(std::string_view line) {
    for (const char c : line)
        if (c != ' ' && c != '\t') return false;
    return true;
}

}  // namespace

std::vector<HeaderField> read_field_block(std::string_view text, std::size_t& pos) {
    std::vector<HeaderField> out;
    bool open = false;  // the last line started a field that continuation lines may extend
    while (pos < text.size()) {
        const auto line = next_line(text, pos);
        if (blank(line)) {
            if (out.empty()) continue;  // blank lines before a block
            break;
        }
        if ((line[0] == ' ' || line[0] == '\t') && open) {
            auto& v = out.back().value;
            if (v.size() < max_line_octets) {
                v += ' ';
                v += trim(line);
            }
            continue;
        }
        const auto colon = line.find(':');
        open = colon != std::string_view::npos && colon > 0 && line[0] != ' ' && line[0] != '\t' &&
               line.substr(0, colon).find(' ') == std::string_view::npos;
        if (!open || out.size() >= max_header_fields) {
            open = false;
            continue;
        }
        out.push_back({lower(trim(line.substr(0, colon))), trim(line.substr(colon + 1))});
    }
    return out;
}

DeliveryStatus read_delivery_status(std::string_view body) {
    DeliveryStatus out;
    std::size_t pos = 0;
    out.per_message = read_field_block(body, pos);
    while (pos < body.size() && out.recipients.size() < max_dsn_recipients) {
        auto block = read_field_block(body, pos);
        if (block.empty()) break;
        out.recipients.push_back(std::move(block));
    }
    // A report whose per-message block already names a recipient (some reporters leave out the
    // blank line) is one recipient block.
    if (out.recipients.empty() && (!field_value(out.per_message, "final-recipient").empty() ||
                                   !field_value(out.per_message, "original-recipient").empty()))
        out.recipients.push_back(out.per_message);
    return out;
}

std::string typed_value(std::string_view value) {
    const auto semi = value.find(';');
    auto s = trim(semi == std::string_view::npos ? value : value.substr(semi + 1));
    if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
    return s;
}

std::string value_type(std::string_view value) {
    const auto semi = value.find(';');
    if (semi == std::string_view::npos || semi > 32) return {};
    return lower(trim(value.substr(0, semi)));
}

}  // namespace relaylab::diag
