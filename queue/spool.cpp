#include "queue/spool.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace relaylab::gw {

namespace fs = std::filesystem;

std::string_view to_string(SpoolErrorKind k) {
    switch (k) {
    case SpoolErrorKind::None: return "none";
    case SpoolErrorKind::CreateDirectory: return "cannot create the spool directory";
    case SpoolErrorKind::Open: return "cannot open";
    case SpoolErrorKind::Locked: return "spool in use by another process (a running relaylab serve?)";
    case SpoolErrorKind::Read: return "cannot read";
    case SpoolErrorKind::BadHeader: return "not a relaylab spool log";
    case SpoolErrorKind::Write: return "cannot write";
    case SpoolErrorKind::Sync: return "cannot fsync";
    case SpoolErrorKind::DataSync: return "cannot fdatasync";
    case SpoolErrorKind::Rename: return "cannot rename";
    case SpoolErrorKind::NoSuchMessage: return "no such message in the queue";
    }
    return "?";
}

std::string SpoolError::str() const {
    std::string s = path + ": " + std::string(to_string(kind));
    if (system_error) s += std::string(" (") + std::strerror(system_error) + ")";
    return s;
}

std::string SpoolError::cause() const {
    std::string_view call;
    switch (kind) {
    case SpoolErrorKind::CreateDirectory: call = "mkdir"; break;
    case SpoolErrorKind::Open: call = "open"; break;
    case SpoolErrorKind::Read: call = "read"; break;
    case SpoolErrorKind::Write: call = "write"; break;
    case SpoolErrorKind::Sync: call = "fsync"; break;
    case SpoolErrorKind::DataSync: call = "fdatasync"; break;
    case SpoolErrorKind::Rename: call = "rename"; break;
    case SpoolErrorKind::None:
    case SpoolErrorKind::Locked:
    case SpoolErrorKind::BadHeader:
    case SpoolErrorKind::NoSuchMessage: return str();  // not a failed call
    }
    std::string s = std::string(call) + " " + path;
    if (system_error) s += std::string(": ") + std::strerror(system_error);
    return s;
}

std::string_view to_string(SpoolEventKind k) {
    switch (k) {
    case SpoolEventKind::Accepted: return "accepted";
    case SpoolEventKind::AttemptStarted: return "attempt";
    case SpoolEventKind::Deferred: return "deferred";
    case SpoolEventKind::Delivered: return "delivered";
    case SpoolEventKind::Bounced: return "bounced";
    case SpoolEventKind::Expired: return "expired";
    case SpoolEventKind::DelayNotice: return "delay-notice";
    case SpoolEventKind::FailureNotice: return "failure-notice";
    case SpoolEventKind::RetryForced: return "retry-forced";
    case SpoolEventKind::Deleted: return "deleted";
    case SpoolEventKind::Finished: return "finished";
    case SpoolEventKind::IdFloor: return "id-floor";
    case SpoolEventKind::NoticePending: return "notice-pending";
    }
    return "?";
}

namespace {

// A record's header line is "<decimal length> <8 hex digits>\n": never longer than this.
constexpr std::size_t kMaxHeaderLine = 32;

SpoolError error_of(SpoolErrorKind k, const fs::path& p, int e = errno) { return SpoolError{k, e, p.string()}; }

std::int64_t millis(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint from_millis(std::int64_t ms) { return TimePoint{} + std::chrono::milliseconds(ms); }

// Fields are space separated; an address may hold any byte, so bytes that would break the line
// (controls, space, DEL, 8-bit) and '%' itself are written %XX.
void put_field(std::string& out, std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    out += ' ';
    if (s.empty()) {
        out += '%';  // a lone '%' is the empty string (the null sender)
        return;
    }
    for (unsigned char c : s) {
        if (c <= 0x20 || c >= 0x7f || c == '%') {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
}

std::optional<std::string> decode_field(std::string_view s) {
    if (s == "%") return std::string();
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        unsigned v = 0;
        auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
        if (r.ec != std::errc() || r.ptr != s.data() + i + 3) return std::nullopt;
        out += static_cast<char>(v);
        i += 2;
    }
    return out;
}

template <typename T>
std::optional<T> number(std::string_view s) {
    T v{};
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i <= line.size()) {
        auto sp = line.find(' ', i);
        if (sp == std::string_view::npos) sp = line.size();
        out.push_back(line.substr(i, sp - i));
        i = sp + 1;
    }
    return out;
}

std::string message_payload(const QueuedMessage& m) {
    std::string p = "M " + std::to_string(m.id) + " " + std::to_string(millis(m.arrival));
    put_field(p, m.envelope.sender);
    p += " " + std::to_string(m.envelope.recipients.size());
    for (const auto& r : m.envelope.recipients) put_field(p, r);
    p += " " + std::to_string(m.content.size()) + "\n";
    p += m.content;
    return p;
}

std::string notice_payload(const SpooledNotice& n) {
    std::string p = "P " + std::to_string(n.id) + " " + std::to_string(millis(n.at)) + " " + std::to_string(n.recipient) +
                    " " + std::to_string(n.attempts) + " " + static_cast<char>(n.written) + " " +
                    std::to_string(n.sequence);
    put_field(p, n.handset);
    put_field(p, n.subject);
    put_field(p, n.body);
    put_field(p, n.claims);
    p += " " + std::to_string(n.bytes.size()) + "\n";
    p += n.bytes;
    return p;
}

std::optional<SpooledNotice> parse_notice(std::string_view payload) {
    auto nl = payload.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    auto f = split_fields(payload.substr(0, nl));
    if (f.size() != 12 || f[5].size() != 1) return std::nullopt;
    SpooledNotice n;
    auto id = number<MessageId>(f[1]);
    auto at = number<std::int64_t>(f[2]);
    auto rcpt = number<std::size_t>(f[3]);
    auto attempts = number<unsigned>(f[4]);
    auto seq = number<std::uint64_t>(f[6]);
    auto handset = decode_field(f[7]);
    auto subject = decode_field(f[8]);
    auto body = decode_field(f[9]);
    auto claims = decode_field(f[10]);
    auto len = number<std::size_t>(f[11]);
    const auto written = static_cast<SpoolEventKind>(f[5][0]);
    if (!id || !*id || !at || !rcpt || !attempts || !seq || !handset || !subject || !body || !claims || !len ||
        *len != payload.size() - nl - 1 ||
        (written != SpoolEventKind::FailureNotice && written != SpoolEventKind::DelayNotice))
        return std::nullopt;
    n.id = *id;
    n.at = from_millis(*at);
    n.recipient = *rcpt;
    n.attempts = *attempts;
    n.written = written;
    n.sequence = *seq;
    n.handset = std::move(*handset);
    n.subject = std::move(*subject);
    n.body = std::move(*body);
    n.claims = std::move(*claims);
    n.bytes = std::string(payload.substr(nl + 1));
    return n;
}

std::string event_payload(MessageId id, const SpoolEvent& e) {
    std::string p(1, static_cast<char>(e.kind));
    p += " " + std::to_string(id) + " " + std::to_string(millis(e.at)) + " " + std::to_string(e.recipient) + " " +
         std::to_string(e.attempts) + " " + std::to_string(millis(e.due));
    return p;
}

bool is_event_kind(char c) {
    switch (static_cast<SpoolEventKind>(c)) {
    case SpoolEventKind::AttemptStarted:
    case SpoolEventKind::Deferred:
    case SpoolEventKind::Delivered:
    case SpoolEventKind::Bounced:
    case SpoolEventKind::Expired:
    case SpoolEventKind::DelayNotice:
    case SpoolEventKind::FailureNotice:
    case SpoolEventKind::RetryForced:
    case SpoolEventKind::Deleted:
    case SpoolEventKind::Finished:
    case SpoolEventKind::IdFloor: return true;
    default: return false;
    }
}

struct RecordSpan {
    MessageId id;
    std::size_t begin, end;
    std::optional<SpooledNoticeKey> notice;  // a P record: kept while its notice is pending
};

std::optional<SpooledMessage> parse_message(std::string_view payload) {
    auto nl = payload.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    auto f = split_fields(payload.substr(0, nl));
    if (f.size() < 6) return std::nullopt;
    auto id = number<MessageId>(f[1]);
    auto arrival = number<std::int64_t>(f[2]);
    auto sender = decode_field(f[3]);
    auto n = number<std::size_t>(f[4]);
    if (!id || !*id || !arrival || !sender || !n || f.size() != 6 + *n) return std::nullopt;
    auto len = number<std::size_t>(f[5 + *n]);
    if (!len || *len != payload.size() - nl - 1) return std::nullopt;
    SpooledMessage s;
    QueuedMessage& m = s.message;
    m.id = *id;
    m.arrival = from_millis(*arrival);
    m.envelope.sender = *sender;
    for (std::size_t i = 0; i < *n; ++i) {
        auto r = decode_field(f[5 + i]);
        if (!r) return std::nullopt;
        QueuedRecipient q;
        q.address = *r;
        q.domain = destination_of(*r);
        q.due = m.arrival;
        m.recipients.push_back(std::move(q));
        m.envelope.recipients.push_back(*r);
    }
    m.content = std::string(payload.substr(nl + 1));
    s.history.push_back(SpoolEvent{SpoolEventKind::Accepted, m.arrival, 0, 0, {}});
    return s;
}

std::optional<std::pair<MessageId, SpoolEvent>> parse_event(std::string_view payload) {
    auto f = split_fields(payload);
    if (f.size() != 6 || f[0].size() != 1 || !is_event_kind(f[0][0])) return std::nullopt;
    auto id = number<MessageId>(f[1]);
    auto at = number<std::int64_t>(f[2]);
    auto rcpt = number<std::size_t>(f[3]);
    auto attempts = number<unsigned>(f[4]);
    auto due = number<std::int64_t>(f[5]);
    if (!id || !at || !rcpt || !attempts || !due) return std::nullopt;
    return std::pair{*id, SpoolEvent{static_cast<SpoolEventKind>(f[0][0]), from_millis(*at), *rcpt, *attempts,
                                     from_millis(*due)}};
}

// Applies one event to a replayed message. Returns false when the message leaves the queue.
bool apply(SpooledMessage& s, const SpoolEvent& e) {
    auto& rs = s.message.recipients;
    s.history.push_back(e);
    auto* r = e.recipient < rs.size() ? &rs[e.recipient] : nullptr;
    switch (e.kind) {
    case SpoolEventKind::AttemptStarted:
        if (r && r->state == RecipientState::Waiting) r->state = RecipientState::InFlight;
        break;
    case SpoolEventKind::Deferred:
        if (r) {
            r->state = RecipientState::Waiting;
            r->attempts = e.attempts;
            r->due = e.due;
        }
        break;
    case SpoolEventKind::Delivered:
    case SpoolEventKind::Bounced:
    case SpoolEventKind::Expired:
        if (r) {
            r->state = e.kind == SpoolEventKind::Delivered ? RecipientState::Delivered
                       : e.kind == SpoolEventKind::Bounced ? RecipientState::Bounced
                                                            : RecipientState::Expired;
            r->attempts = e.attempts;
        }
        break;
    case SpoolEventKind::DelayNotice:
        if (r) r->warned = true;
        break;
    case SpoolEventKind::RetryForced:
        for (auto& q : rs)
            if (q.state == RecipientState::Waiting) q.due = e.at;
        break;
    case SpoolEventKind::Deleted:
    case SpoolEventKind::Finished: return false;
    default: break;
    }
    return true;
}

// Parses a whole log. Stops at the first record that is incomplete or fails its checksum: with one
// appending writer that can only be the tail a crash tore.
SpoolReplay replay(std::string_view data, const SpoolLimits& limits, std::vector<RecordSpan>* spans) {
    SpoolReplay out;
    out.file_bytes = data.size();
    std::size_t pos = kSpoolMagic.size();
    while (pos < data.size()) {
        std::size_t start = pos;
        auto nl = data.find('\n', pos);
        if (nl == std::string_view::npos || nl - pos > kMaxHeaderLine) break;
        auto head = split_fields(data.substr(pos, nl - pos));
        if (head.size() != 2 || head[1].size() != 8) break;
        auto len = number<std::size_t>(head[0]);
        std::uint32_t crc = 0;
        auto r = std::from_chars(head[1].data(), head[1].data() + 8, crc, 16);
        if (!len || *len > limits.max_record_bytes || r.ec != std::errc()) break;
        std::size_t body = nl + 1;
        if (data.size() - body < *len + 1 || data[body + *len] != '\n') break;
        std::string_view payload = data.substr(body, *len);
        if (crc32_of(payload) != crc || payload.empty()) break;
        pos = body + *len + 1;
        ++out.records;
        MessageId id = 0;
        std::optional<SpooledNoticeKey> notice_key;
        if (payload[0] == 'P') {
            auto n = parse_notice(payload);
            if (!n) break;
            id = n->id;
            out.max_id = std::max(out.max_id, id);
            notice_key = key_of(*n);
            auto it = out.live.find(id);
            if (it != out.live.end()) {
                it->second.bytes += pos - start;
                it->second.history.push_back(SpoolEvent{SpoolEventKind::NoticePending, n->at, n->recipient, 0, {}});
                // A delay warning on its way counts as given: a restart must not warn twice.
                auto& rs = it->second.message.recipients;
                if (n->written == SpoolEventKind::DelayNotice && n->recipient < rs.size()) rs[n->recipient].warned = true;
            }
            out.notices.insert_or_assign(*notice_key, std::move(*n));
        } else if (payload[0] == 'M') {
            auto m = parse_message(payload);
            if (!m) break;
            id = m->message.id;
            out.max_id = std::max(out.max_id, id);
            m->bytes = pos - start;
            out.live.insert_or_assign(id, std::move(*m));
        } else {
            auto e = parse_event(payload);
            if (!e) break;
            id = e->first;
            out.max_id = std::max(out.max_id, id);
            const SpoolEvent& ev = e->second;
            if (ev.kind == SpoolEventKind::FailureNotice || ev.kind == SpoolEventKind::DelayNotice)
                out.notices.erase(SpooledNoticeKey{id, ev.recipient, ev.kind});  // written: no longer pending
            auto it = out.live.find(id);
            if (it != out.live.end()) {
                it->second.bytes += pos - start;
                if (!apply(it->second, e->second)) out.live.erase(it);
            }
        }
        if (spans) spans->push_back({id, start, pos, notice_key});
    }
    out.dropped_tail_bytes = data.size() - pos;
    // A crash mid-attempt leaves InFlight: the attempt's result is unknown, so try again at once.
    for (auto& [id, s] : out.live)
        for (auto& r : s.message.recipients)
            if (r.state == RecipientState::InFlight) {
                r.state = RecipientState::Waiting;
                ++s.interrupted;
            }
    return out;
}

// The bytes of `p` from `offset` to its end (a compaction's tail: only what was appended meanwhile).
// `missing_ok`: a file that does not exist reads as nothing (a spool's first start).
std::optional<SpoolError> read_file_from(const fs::path& p, std::uint64_t offset, std::string& out,
                                         bool missing_ok = false) {
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && missing_ok && errno == ENOENT) return std::nullopt;
    if (fd < 0) return error_of(SpoolErrorKind::Open, p);
    std::array<char, 1 << 16> buf;
    auto at = static_cast<off_t>(offset);
    while (true) {
        ssize_t n = ::pread(fd, buf.data(), buf.size(), at);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            auto e = error_of(SpoolErrorKind::Read, p);
            ::close(fd);
            return e;
        }
        if (n == 0) break;
        out.append(buf.data(), static_cast<std::size_t>(n));
        at += n;
    }
    ::close(fd);
    return std::nullopt;
}

std::optional<SpoolError> read_file(const fs::path& p, std::string& out) { return read_file_from(p, 0, out, true); }

bool write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::optional<SpoolError> sync_directory(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return error_of(SpoolErrorKind::Open, dir);
    int rc = ::fsync(fd);
    int e = errno;
    ::close(fd);
    if (rc != 0) return error_of(SpoolErrorKind::Sync, dir, e);
    return std::nullopt;
}

std::optional<SpoolError> read_log(const fs::path& log, std::string& data) {
    if (auto e = read_file(log, data)) return e;
    if (data.empty()) return std::nullopt;
    if (data.size() < kSpoolMagic.size() || data.compare(0, kSpoolMagic.size(), kSpoolMagic) != 0)
        return SpoolError{SpoolErrorKind::BadHeader, 0, log.string()};
    return std::nullopt;
}

// The lock is a file of its own: queue.log is replaced by rename when compacted.
int take_lock(const fs::path& dir, std::optional<SpoolError>& err) {
    fs::path p = dir / "lock";
    int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        err = error_of(SpoolErrorKind::Open, p);
        return -1;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        bool held = errno == EWOULDBLOCK;
        err = error_of(held ? SpoolErrorKind::Locked : SpoolErrorKind::Open, dir, held ? 0 : errno);
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

std::uint32_t crc32_of(std::string_view bytes) {
    // CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zlib and PNG compute it.
    static const auto table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

std::string frame_record(std::string_view payload) {
    char head[kMaxHeaderLine + 1];
    int n = std::snprintf(head, sizeof head, "%zu %08x\n", payload.size(), static_cast<unsigned>(crc32_of(payload)));
    std::string out(head, static_cast<std::size_t>(n));
    out += payload;
    out += '\n';
    return out;
}

SpoolRead read_spool(const fs::path& dir, const SpoolLimits& limits) {
    SpoolRead r;
    std::string data;
    if (auto e = read_log(dir / kSpoolLogName, data)) {
        r.error = e;
        return r;
    }
    if (!data.empty()) r.replay = replay(data, limits, nullptr);
    return r;
}

Spool::Spool(fs::path dir, SpoolLimits limits, int lock_fd) : dir_(std::move(dir)), limits_(limits), lock_fd_(lock_fd) {}

Spool::~Spool() {
    if (fd_ >= 0) ::close(fd_);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

SpoolOpen Spool::open(const fs::path& dir, SpoolLimits limits) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Failure{SpoolError{SpoolErrorKind::CreateDirectory, ec.value(), dir.string()}};
    std::optional<SpoolError> error;
    int lock = take_lock(dir, error);
    if (lock < 0) return Failure{std::move(*error)};
    std::unique_ptr<Spool> s(new Spool(dir, limits, lock));
    if (auto e = s->compact()) return Failure{std::move(*e)};
    return s;
}

Spool::CompactedLog::CompactedLog(CompactedLog&& o) noexcept
    : fd(std::exchange(o.fd, -1)), replay(std::move(o.replay)), bytes(o.bytes) {}

Spool::CompactedLog& Spool::CompactedLog::operator=(CompactedLog&& o) noexcept {
    if (this != &o) {
        if (fd >= 0) ::close(fd);
        fd = std::exchange(o.fd, -1);
        replay = std::move(o.replay);
        bytes = o.bytes;
    }
    return *this;
}

Spool::CompactedLog::~CompactedLog() {
    if (fd >= 0) ::close(fd);
}

Spool::CompactionTicket Spool::begin_compaction() {
    struct ::stat st {};
    std::uint64_t bytes = fd_ >= 0 && ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : UINT64_MAX;
    compacting_ = true;
    compaction_upto_ = appended_;
    tail_.clear();
    return {dir_, bytes, limits_};
}

// Replays the log up to the ticket's size and writes a fresh one holding the live messages'
// records only (also dropping a torn tail): write tmp, fsync. Renaming it is end_compaction's.
Result<Spool::CompactedLog, SpoolError> Spool::compact_log(const CompactionTicket& ticket) {
    fs::path log = ticket.dir / kSpoolLogName;
    std::string data;
    if (auto e = read_log(log, data)) return Failure{std::move(*e)};
    if (data.size() > ticket.bytes) data.resize(ticket.bytes);  // appended after begin: the tail's
    std::vector<RecordSpan> spans;
    CompactedLog out;
    out.replay = data.empty() ? SpoolReplay{} : replay(data, ticket.limits, &spans);
    const SpoolReplay& r = out.replay;

    std::string fresh(kSpoolMagic);
    if (r.max_id) fresh += frame_record(event_payload(r.max_id, SpoolEvent{SpoolEventKind::IdFloor, {}, 0, 0, {}}));
    for (const auto& sp : spans)
        if (r.live.count(sp.id) || (sp.notice && r.notices.count(*sp.notice)))
            fresh.append(data, sp.begin, sp.end - sp.begin);

    fs::path tmp = ticket.dir / (std::string(kSpoolLogName) + ".tmp");
    out.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out.fd < 0) return Failure{error_of(SpoolErrorKind::Open, tmp)};
    if (!write_all(out.fd, fresh)) return Failure{error_of(SpoolErrorKind::Write, tmp)};
    if (::fsync(out.fd) != 0) return Failure{error_of(SpoolErrorKind::Sync, tmp)};
    out.bytes = fresh.size();
    return out;
}

Result<Spool::SyncTicket, SpoolError> Spool::end_compaction(Result<CompactedLog, SpoolError> compacted) {
    compacting_ = false;
    std::vector<Tail> tail = std::exchange(tail_, {});
    if (!compacted) return Failure{std::move(compacted).error()};
    CompactedLog& c = *compacted;
    fs::path log = dir_ / kSpoolLogName;
    fs::path tmp = dir_ / (std::string(kSpoolLogName) + ".tmp");
    // The records appended while compact_log ran are in the old file past ticket.bytes: copy them.
    if (fd_ >= 0) {
        std::string appended;
        if (auto e = read_file_from(log, c.replay.file_bytes, appended)) return Failure{std::move(*e)};
        if (!write_all(c.fd, appended)) return Failure{error_of(SpoolErrorKind::Write, tmp)};
        // An operator's edit made durable meanwhile (an inline commit of the old file) must stay
        // durable in the new one before it replaces the old.
        if (durable_ > compaction_upto_ && ::fdatasync(c.fd) != 0) return Failure{error_of(SpoolErrorKind::DataSync, tmp)};
    }
    if (::rename(tmp.c_str(), log.c_str()) != 0) return Failure{error_of(SpoolErrorKind::Rename, log)};
    directory_unsynced_ = true;
    int afd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (afd < 0) return Failure{error_of(SpoolErrorKind::Open, log)};
    if (fd_ >= 0) ::close(fd_);
    fd_ = afd;
    ++compactions_;
    live_bytes_.clear();
    live_total_ = 0;
    dead_bytes_ = 0;
    for (const auto& [id, m] : c.replay.live) {
        live_bytes_[id] = m.bytes;
        live_total_ += m.bytes;
    }
    for (const auto& t : tail) account(t.id, t.bytes, t.finishes);
    if (!opened_) recovered_ = std::move(c.replay);  // what open() found; later compactions keep it
    opened_ = true;
    // Durable once the directory holds the rename and the new file its copied tail.
    return begin_sync();
}

Spool::Appended Spool::append(MessageId id, std::string_view payload, bool finishes) {
    Appended a;
    if (sync_failed_) {  // the log can no longer be trusted to reach the disk: take nothing more
        a.error = sync_failed_;
        return a;
    }
    std::string rec = frame_record(payload);
    if (!write_all(fd_, rec)) {
        a.error = error_of(SpoolErrorKind::Write, dir_ / kSpoolLogName);
        return a;
    }
    a.sequence = ++appended_;
    account(id, rec.size(), finishes);
    if (compacting_) tail_.push_back({id, rec.size(), finishes});
    return a;
}

void Spool::account(MessageId id, std::uint64_t bytes, bool finishes) {
    auto it = live_bytes_.find(id);
    if (finishes) {
        std::uint64_t b = bytes + (it != live_bytes_.end() ? it->second : 0);
        if (it != live_bytes_.end()) {
            live_total_ -= it->second;
            live_bytes_.erase(it);
        }
        dead_bytes_ += b;
    } else {
        live_bytes_[id] += bytes;
        live_total_ += bytes;
    }
}

Spool::Appended Spool::append_message(const QueuedMessage& m) { return append(m.id, message_payload(m), false); }

Spool::Appended Spool::append_notice(const SpooledNotice& n) { return append(n.id, notice_payload(n), false); }

Spool::Appended Spool::append_event(MessageId id, const SpoolEvent& e) {
    bool finishes = e.kind == SpoolEventKind::Finished || e.kind == SpoolEventKind::Deleted;
    return append(id, event_payload(id, e), finishes);
}

std::optional<SpoolError> Spool::commit(std::uint64_t sequence) {
    if (sequence <= durable_) return std::nullopt;
    if (sync_failed_) return sync_failed_;
    auto ticket = begin_sync();
    return end_sync(ticket, run_sync(ticket));
}

int Spool::run_sync(const SyncTicket& ticket) {
    if (::fdatasync(ticket.fd) != 0) return errno;
    if (ticket.directory.empty()) return 0;
    if (auto e = sync_directory(ticket.directory)) return e->system_error ? e->system_error : EIO;
    return 0;
}

std::optional<SpoolError> Spool::end_sync(const SyncTicket& ticket, int sync_errno) {
    // A failed fdatasync is never retried (the PostgreSQL rule: the kernel may have dropped the
    // dirty pages and a second fdatasync would report success): the spool refuses every later
    // append and commit until a restart replays what reached the disk.
    if (sync_errno != 0) return sync_failed_ = error_of(SpoolErrorKind::DataSync, dir_ / kSpoolLogName, sync_errno);
    ++syncs_;
    durable_ = std::max(durable_, ticket.upto);
    if (!ticket.directory.empty()) directory_unsynced_ = false;
    return std::nullopt;
}

bool Spool::wants_compaction() const {
    return !compacting_ && !sync_failed_ && dead_bytes_ >= limits_.compact_min_dead_bytes && dead_bytes_ > live_total_;
}

std::optional<SpoolError> Spool::compact() {
    if (sync_failed_) return sync_failed_;  // the log is not trusted any more: leave it as it is
    auto ticket = begin_compaction();
    auto sync = end_compaction(compact_log(ticket));
    if (!sync) return std::move(sync).error();
    return end_sync(*sync, run_sync(*sync));
}

namespace {

std::optional<SpoolError> offline_event(const fs::path& dir, MessageId id, SpoolEvent e) {
    auto opened = Spool::open(dir);
    if (!opened) return opened.error();
    Spool& spool = **opened;
    if (!spool.recovered().live.count(id))
        return SpoolError{SpoolErrorKind::NoSuchMessage, 0, (dir / kSpoolLogName).string()};
    auto a = spool.append_event(id, e);
    if (a.error) return a.error;
    return spool.commit(a.sequence);
}

}  // namespace

std::optional<SpoolError> force_retry(const fs::path& dir, MessageId id, TimePoint now) {
    return offline_event(dir, id, SpoolEvent{SpoolEventKind::RetryForced, now, 0, 0, {}});
}

std::optional<SpoolError> delete_message(const fs::path& dir, MessageId id, TimePoint now) {
    return offline_event(dir, id, SpoolEvent{SpoolEventKind::Deleted, now, 0, 0, {}});
}

SpoolEdit force_retry_all(const fs::path& dir, TimePoint now) {
    auto opened = Spool::open(dir);
    if (!opened) return Failure{opened.error()};
    Spool& spool = **opened;
    std::uint64_t last = 0;
    std::size_t affected = 0;
    for (const auto& [id, s] : spool.recovered().live) {
        std::size_t waiting = 0;
        for (const auto& r : s.message.recipients) waiting += r.state == RecipientState::Waiting;
        if (!waiting) continue;
        auto a = spool.append_event(id, SpoolEvent{SpoolEventKind::RetryForced, now, 0, 0, {}});
        if (a.error) return Failure{std::move(*a.error)};
        last = a.sequence;
        affected += waiting;
    }
    if (last)
        if (auto e = spool.commit(last)) return Failure{std::move(*e)};
    return affected;
}

}  // namespace relaylab::gw
