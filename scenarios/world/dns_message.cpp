#include "scenarios/world/dns_message.hpp"

#include <map>

namespace relaylab::world {

namespace {

constexpr std::uint8_t flag_qr = 0x80;
constexpr std::uint8_t flag_aa = 0x04;
constexpr std::uint8_t flag_tc = 0x02;
constexpr std::uint8_t flag_rd = 0x01;
constexpr std::uint8_t pointer_mask = 0xC0;
// Offsets a compression pointer can reach (14 bits).
constexpr std::size_t max_pointer_offset = 0x3FFF;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower_wire_suffix(const DomainName& n, std::size_t from) {
    std::string s;
    for (std::size_t i = from; i < n.labels.size(); ++i) {
        s.push_back(static_cast<char>(n.labels[i].size()));
        for (char c : n.labels[i]) s.push_back(lower(c));
    }
    return s;
}

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> m) : msg_(m) {}
    std::size_t pos = 0;

    bool u8(std::uint8_t& v) {
        if (pos + 1 > msg_.size()) return false;
        v = msg_[pos++];
        return true;
    }
    bool u16(std::uint16_t& v) {
        if (pos + 2 > msg_.size()) return false;
        v = static_cast<std::uint16_t>(msg_[pos] << 8 | msg_[pos + 1]);
        pos += 2;
        return true;
    }
    bool u32(std::uint32_t& v) {
        std::uint16_t hi = 0, lo = 0;
        if (!u16(hi) || !u16(lo)) return false;
        v = std::uint32_t{hi} << 16 | lo;
        return true;
    }
    bool bytes(std::uint8_t* out, std::size_t n) {
        if (pos + n > msg_.size()) return false;
        for (std::size_t i = 0; i < n; ++i) out[i] = msg_[pos + i];
        pos += n;
        return true;
    }

    // RFC 1035 §4.1.4. Each pointer must point before the start of the stretch of labels that led
    // to it, so positions strictly decrease and a loop is impossible.
    std::optional<QueryError> name(DomainName& out) {
        out.labels.clear();
        std::size_t p = pos, segment_start = pos, octets = 1;
        bool jumped = false;
        int hops = 0;
        for (;;) {
            if (p >= msg_.size()) return QueryError::Truncated;
            std::uint8_t len = msg_[p];
            if ((len & pointer_mask) == pointer_mask) {
                if (p + 2 > msg_.size()) return QueryError::Truncated;
                std::size_t target = (std::size_t{len} & 0x3F) << 8 | msg_[p + 1];
                if (target >= segment_start) return QueryError::BadPointer;
                if (++hops > max_compression_hops) return QueryError::TooManyPointers;
                if (!jumped) pos = p + 2;
                jumped = true;
                p = segment_start = target;
                continue;
            }
            if (len & pointer_mask) return QueryError::LabelTooLong;
            if (len == 0) {
                if (!jumped) pos = p + 1;
                return std::nullopt;
            }
            octets += std::size_t{len} + 1;
            if (octets > max_name_octets) return QueryError::NameTooLong;
            if (p + 1 + len > msg_.size()) return QueryError::Truncated;
            out.labels.emplace_back(reinterpret_cast<const char*>(msg_.data() + p + 1), len);
            p += 1 + std::size_t{len};
        }
    }

private:
    std::span<const std::uint8_t> msg_;
};

class Writer {
public:
    std::vector<std::uint8_t> out;

    void u8(std::uint8_t v) { out.push_back(v); }
    void u16(std::uint16_t v) {
        out.push_back(static_cast<std::uint8_t>(v >> 8));
        out.push_back(static_cast<std::uint8_t>(v & 0xFF));
    }
    void u32(std::uint32_t v) {
        u16(static_cast<std::uint16_t>(v >> 16));
        u16(static_cast<std::uint16_t>(v & 0xFFFF));
    }
    void name(const DomainName& n) {
        for (std::size_t i = 0; i < n.labels.size(); ++i) {
            auto suffix = lower_wire_suffix(n, i);
            if (auto it = seen_.find(suffix); it != seen_.end()) {
                u16(static_cast<std::uint16_t>(0xC000 | it->second));
                return;
            }
            if (out.size() <= max_pointer_offset) seen_.emplace(std::move(suffix), out.size());
            u8(static_cast<std::uint8_t>(n.labels[i].size()));
            out.insert(out.end(), n.labels[i].begin(), n.labels[i].end());
        }
        u8(0);
    }
    void record(const ResourceRecord& rr) {
        name(rr.owner);
        u16(rr.type());
        u16(class_in);
        u32(rr.ttl);
        std::size_t length_at = out.size();
        u16(0);
        std::visit([this](const auto& d) { rdata(d); }, rr.data);
        auto length = static_cast<std::uint16_t>(out.size() - length_at - 2);
        out[length_at] = static_cast<std::uint8_t>(length >> 8);
        out[length_at + 1] = static_cast<std::uint8_t>(length & 0xFF);
    }

private:
    void rdata(const std::array<std::uint8_t, 4>& a) { out.insert(out.end(), a.begin(), a.end()); }
    void rdata(const std::array<std::uint8_t, 16>& a) { out.insert(out.end(), a.begin(), a.end()); }
    void rdata(const DomainName& n) { name(n); }
    void rdata(const MxData& mx) {
        u16(mx.preference);
        name(mx.exchange);
    }
    void rdata(const SoaData& s) {
        name(s.mname);
        name(s.rname);
        for (auto v : {s.serial, s.refresh, s.retry, s.expire, s.minimum}) u32(v);
    }

    std::map<std::string, std::size_t> seen_;
};

void write_header(Writer& w, std::uint16_t id, std::uint8_t flags1, std::uint8_t flags2,
                  std::uint16_t qd, std::uint16_t an, std::uint16_t ns) {
    w.u16(id);
    w.u8(flags1);
    w.u8(flags2);
    w.u16(qd);
    w.u16(an);
    w.u16(ns);
    w.u16(0);
}

std::optional<ResourceRecord> read_record(Reader& r) {
    ResourceRecord rr;
    std::uint16_t type = 0, cls = 0, rdlength = 0;
    if (r.name(rr.owner) || !r.u16(type) || !r.u16(cls) || !r.u32(rr.ttl) || !r.u16(rdlength))
        return std::nullopt;
    std::size_t end = r.pos + rdlength;
    switch (static_cast<RrType>(type)) {
        case RrType::A: {
            std::array<std::uint8_t, 4> a{};
            if (rdlength != 4 || !r.bytes(a.data(), 4)) return std::nullopt;
            rr.data = a;
            break;
        }
        case RrType::AAAA: {
            std::array<std::uint8_t, 16> a{};
            if (rdlength != 16 || !r.bytes(a.data(), 16)) return std::nullopt;
            rr.data = a;
            break;
        }
        case RrType::CNAME: {
            DomainName n;
            if (r.name(n)) return std::nullopt;
            rr.data = n;
            break;
        }
        case RrType::MX: {
            MxData mx;
            if (!r.u16(mx.preference) || r.name(mx.exchange)) return std::nullopt;
            rr.data = mx;
            break;
        }
        case RrType::SOA: {
            SoaData s;
            if (r.name(s.mname) || r.name(s.rname) || !r.u32(s.serial) || !r.u32(s.refresh) ||
                !r.u32(s.retry) || !r.u32(s.expire) || !r.u32(s.minimum))
                return std::nullopt;
            rr.data = s;
            break;
        }
        default:
            return std::nullopt;
    }
    if (r.pos != end) return std::nullopt;
    return rr;
}

}  // namespace

std::string_view to_string(Rcode r) {
    switch (r) {
        case Rcode::NoError: return "NOERROR";
        case Rcode::FormErr: return "FORMERR";
        case Rcode::ServFail: return "SERVFAIL";
        case Rcode::NxDomain: return "NXDOMAIN";
        case Rcode::NotImp: return "NOTIMP";
        case Rcode::Refused: return "REFUSED";
    }
    return "RCODE?";
}

std::string type_name(std::uint16_t qtype) {
    switch (static_cast<RrType>(qtype)) {
        case RrType::A: return "A";
        case RrType::NS: return "NS";
        case RrType::CNAME: return "CNAME";
        case RrType::SOA: return "SOA";
        case RrType::MX: return "MX";
        case RrType::TXT: return "TXT";
        case RrType::AAAA: return "AAAA";
        case RrType::ANY: return "ANY";
    }
    return "TYPE" + std::to_string(qtype);
}

std::string_view to_string(QueryError e) {
    switch (e) {
        case QueryError::ShortHeader: return "short_header";
        case QueryError::NotAQuery: return "not_a_query";
        case QueryError::NotOneQuestion: return "not_one_question";
        case QueryError::LabelTooLong: return "label_too_long";
        case QueryError::NameTooLong: return "name_too_long";
        case QueryError::BadPointer: return "bad_pointer";
        case QueryError::TooManyPointers: return "too_many_pointers";
        case QueryError::Truncated: return "truncated";
    }
    return "unknown";
}

std::string DomainName::key() const {
    static constexpr char digits[] = "0123456789";
    std::string s;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i) s.push_back('.');
        for (char c : labels[i]) {
            auto u = static_cast<unsigned char>(c);
            if (u <= 0x20 || u >= 0x7F || c == '.' || c == '\\') {
                s.push_back('\\');
                s.push_back(digits[u / 100]);
                s.push_back(digits[u / 10 % 10]);
                s.push_back(digits[u % 10]);
            } else {
                s.push_back(lower(c));
            }
        }
    }
    return s;
}

std::optional<DomainName> DomainName::from_text(std::string_view text) {
    DomainName n;
    if (text == "." || text.empty()) return n;
    if (text.back() == '.') text.remove_suffix(1);
    for (;;) {
        auto dot = text.find('.');
        auto label = text.substr(0, dot);
        if (label.empty() || label.size() > max_label_octets) return std::nullopt;
        n.labels.emplace_back(label);
        if (dot == std::string_view::npos) break;
        text.remove_prefix(dot + 1);
    }
    if (n.wire_octets() > max_name_octets) return std::nullopt;
    return n;
}

std::size_t DomainName::wire_octets() const {
    std::size_t n = 1;
    for (const auto& l : labels) n += l.size() + 1;
    return n;
}

std::uint16_t ResourceRecord::type() const {
    struct {
        RrType operator()(const std::array<std::uint8_t, 4>&) const { return RrType::A; }
        RrType operator()(const std::array<std::uint8_t, 16>&) const { return RrType::AAAA; }
        RrType operator()(const DomainName&) const { return RrType::CNAME; }
        RrType operator()(const MxData&) const { return RrType::MX; }
        RrType operator()(const SoaData&) const { return RrType::SOA; }
    } kind;
    return static_cast<std::uint16_t>(std::visit(kind, data));
}

QueryParse parse_query(std::span<const std::uint8_t> message) {
    Reader r(message);
    std::uint16_t id = 0, qd = 0, skip = 0;
    std::uint8_t f1 = 0, f2 = 0;
    if (!r.u16(id) || !r.u8(f1) || !r.u8(f2) || !r.u16(qd) || !r.u16(skip) || !r.u16(skip) ||
        !r.u16(skip))
        return QueryRejection{QueryError::ShortHeader, std::nullopt};
    auto opcode = static_cast<std::uint8_t>((f1 >> 3) & 0x0F);
    bool rd = (f1 & flag_rd) != 0;
    if (f1 & flag_qr) return QueryRejection{QueryError::NotAQuery, std::nullopt};
    if (qd != 1) return QueryRejection{QueryError::NotOneQuestion, id, opcode, rd};
    DnsQuery q{id, opcode, rd, {}};
    if (auto e = r.name(q.question.name)) return QueryRejection{*e, id, opcode, rd};
    if (!r.u16(q.question.qtype) || !r.u16(q.question.qclass))
        return QueryRejection{QueryError::Truncated, id, opcode, rd};
    // Answer, authority and additional sections (an EDNS OPT record, RFC 6891) are not read: this
    // server does not implement EDNS, so the 512-octet UDP limit applies (RFC 6891 §7).
    return q;
}

std::vector<std::uint8_t> encode_response(const DnsResponse& resp) {
    Writer w;
    auto f1 = static_cast<std::uint8_t>(flag_qr | (resp.opcode & 0x0F) << 3 | (resp.aa ? flag_aa : 0) |
                                        (resp.tc ? flag_tc : 0) | (resp.rd ? flag_rd : 0));
    write_header(w, resp.id, f1, static_cast<std::uint8_t>(resp.rcode), resp.question ? 1 : 0,
                 static_cast<std::uint16_t>(resp.answers.size()),
                 static_cast<std::uint16_t>(resp.authority.size()));
    if (resp.question) {
        w.name(resp.question->name);
        w.u16(resp.question->qtype);
        w.u16(resp.question->qclass);
    }
    for (const auto& rr : resp.answers) w.record(rr);
    for (const auto& rr : resp.authority) w.record(rr);
    return std::move(w.out);
}

std::vector<std::uint8_t> encode_query(const DnsQuery& q) {
    Writer w;
    auto f1 = static_cast<std::uint8_t>((q.opcode & 0x0F) << 3 | (q.rd ? flag_rd : 0));
    write_header(w, q.id, f1, 0, 1, 0, 0);
    w.name(q.question.name);
    w.u16(q.question.qtype);
    w.u16(q.question.qclass);
    return std::move(w.out);
}

std::optional<DnsResponse> parse_response(std::span<const std::uint8_t> message) {
    Reader r(message);
    DnsResponse resp;
    std::uint8_t f1 = 0, f2 = 0;
    std::uint16_t qd = 0, an = 0, ns = 0, ar = 0;
    if (!r.u16(resp.id) || !r.u8(f1) || !r.u8(f2) || !r.u16(qd) || !r.u16(an) || !r.u16(ns) ||
        !r.u16(ar))
        return std::nullopt;
    if (!(f1 & flag_qr) || qd > 1) return std::nullopt;
    resp.opcode = static_cast<std::uint8_t>((f1 >> 3) & 0x0F);
    resp.aa = (f1 & flag_aa) != 0;
    resp.tc = (f1 & flag_tc) != 0;
    resp.rd = (f1 & flag_rd) != 0;
    resp.rcode = static_cast<Rcode>(f2 & 0x0F);
    if (qd == 1) {
        DnsQuestion q;
        if (r.name(q.name) || !r.u16(q.qtype) || !r.u16(q.qclass)) return std::nullopt;
        resp.question = q;
    }
    for (std::uint16_t i = 0; i < an; ++i) {
        auto rr = read_record(r);
        if (!rr) return std::nullopt;
        resp.answers.push_back(std::move(*rr));
    }
    for (std::uint16_t i = 0; i < ns; ++i) {
        auto rr = read_record(r);
        if (!rr) return std::nullopt;
        resp.authority.push_back(std::move(*rr));
    }
    return resp;
}

}  // namespace relaylab::world
