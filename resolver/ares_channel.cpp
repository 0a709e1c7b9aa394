#include "resolver/ares_channel.hpp"

#include "clock/timer.hpp"

#include <ares.h>
#include <poll.h>

#include <boost/asio/posix/stream_descriptor.hpp>

#include <algorithm>
#include <mutex>
#include <stdexcept>

namespace relaylab::dns {

namespace {

constexpr int kClassIn = 1;
// Readiness found by probing after a wakeup is handled by posting another round instead of waiting
// for an edge that epoll (edge-triggered in Asio) will not repeat. Bounded so that a flood of
// datagrams cannot keep one socket in front of everything else forever.
constexpr unsigned kMaxImmediateRounds = 256;

void init_library_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (int rc = ares_library_init(ARES_LIB_INIT_ALL); rc != ARES_SUCCESS)
            throw std::runtime_error(std::string("resolver: c-ares library init failed: ") + ares_strerror(rc));
    });
}

// One batch of questions, alive until every question is answered or its deadline passes, and until
// c-ares has returned every ticket (late answers are dropped here).
struct Batch : std::enable_shared_from_this<Batch> {
    Batch(boost::asio::any_io_executor ex, Clock& clock, std::size_t n, std::unique_ptr<AresChannel::Completion> d)
        : answers(n), answered(n, false), remaining(n), virtual_time(clock.is_virtual()), done(std::move(d)),
          deadline(std::move(ex), clock) {}

    void arm(TimePoint at) {
        deadline.expires_at(at);
        deadline.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->expire();
        });
    }

    void record(std::size_t i, int status, const unsigned char* abuf, int alen) {
        if (finished || answered[i]) return;
        // In virtual time only the Clock may end a question that got no answer.
        if (virtual_time && status == ARES_ETIMEOUT) return;
        answers[i].ares_status = status;
        if (abuf && alen > 0) answers[i].message.assign(abuf, abuf + alen);
        answered[i] = true;
        if (--remaining == 0) finish();
    }

    void expire() {
        if (finished) return;
        for (std::size_t i = 0; i < answers.size(); ++i)
            if (!answered[i]) answers[i] = RawAnswer{ARES_ETIMEOUT, {}};
        finish();
    }

    void finish() {
        finished = true;
        deadline.cancel();
        auto d = std::move(done);
        d->complete(std::move(answers));
    }

    std::vector<RawAnswer> answers;
    std::vector<bool> answered;
    std::size_t remaining;
    bool finished = false;
    bool virtual_time;
    std::unique_ptr<AresChannel::Completion> done;
    Timer deadline;
};

struct Ticket {
    std::shared_ptr<Batch> batch;
    std::size_t index;
};

// c-ares calls this exactly once per query: with the answer, a failure, or ARES_EDESTRUCTION.
void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    std::unique_ptr<Ticket> t(static_cast<Ticket*>(arg));
    t->batch->record(t->index, status, abuf, alen);
}

}  // namespace

struct AresChannel::WatchedSocket {
    WatchedSocket(const boost::asio::any_io_executor& ex, int f) : fd(f), sd(ex) {
        boost::system::error_code ec;
        sd.assign(fd, ec);  // on failure c-ares' retransmission timer and the deadline still end the query
    }
    ~WatchedSocket() { forget(); }
    // The fd belongs to c-ares: stop watching it, never close it.
    void forget() {
        closed = true;
        if (sd.is_open()) sd.release();
    }
    int fd;
    boost::asio::posix::stream_descriptor sd;
    bool want_read = false;
    bool want_write = false;
    bool reading = false;
    bool writing = false;
    bool closed = false;
    unsigned immediate_rounds = 0;
};

AresChannel::AresChannel(boost::asio::any_io_executor ex, Clock& clock)
    : ex_(std::move(ex)), clock_(clock), retransmit_timer_(ex_) {}

std::shared_ptr<AresChannel> AresChannel::open(boost::asio::any_io_executor ex, Clock& clock,
                                               const ResolverConfig& cfg) {
    const std::string servers = validated_servers_csv(cfg);
    init_library_once();
    std::shared_ptr<AresChannel> ch(new AresChannel(std::move(ex), clock));

    ares_options o{};
    int mask = 0;
    // NOCHECKRESP: SERVFAIL/REFUSED come back as such instead of being retried into ECONNREFUSED.
    o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    mask |= ARES_OPT_FLAGS;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.timeout).count();
    o.timeout = static_cast<int>(std::clamp<long long>(ms, 1, 300000));
    mask |= ARES_OPT_TIMEOUTMS;
    o.tries = cfg.tries;
    mask |= ARES_OPT_TRIES;
    o.ndots = 1;
    mask |= ARES_OPT_NDOTS;
    o.ndomains = 0;  // no search domains: a mail domain is always fully qualified
    o.domains = nullptr;
    mask |= ARES_OPT_DOMAINS;
    char lookups[] = "b";  // DNS only, never /etc/hosts
    o.lookups = lookups;
    mask |= ARES_OPT_LOOKUPS;
    o.nservers = 0;  // servers come from the config below, not /etc/resolv.conf
    o.servers = nullptr;
    mask |= ARES_OPT_SERVERS;
    mask |= ARES_OPT_NOROTATE;
    char resolvconf[] = "/dev/null";
    o.resolvconf_path = resolvconf;
    mask |= ARES_OPT_RESOLVCONF;
    o.sock_state_cb = &AresChannel::on_socket_state;
    o.sock_state_cb_data = ch.get();
    mask |= ARES_OPT_SOCK_STATE_CB;

    if (int rc = ares_init_options(&ch->channel_, &o, mask); rc != ARES_SUCCESS) {
        ch->channel_ = nullptr;
        throw std::runtime_error(std::string("resolver: c-ares init failed: ") + ares_strerror(rc));
    }
    if (int rc = ares_set_servers_ports_csv(ch->channel_, servers.c_str()); rc != ARES_SUCCESS)
        throw std::invalid_argument("resolver: c-ares rejected DNS servers \"" + servers + "\": " + ares_strerror(rc));
    return ch;
}

AresChannel::~AresChannel() { close(); }

void AresChannel::close() {
    if (!channel_) return;
    ares_channel ch = channel_;
    channel_ = nullptr;
    ares_destroy(ch);  // completes every query with ARES_EDESTRUCTION (posted by the batches)
    for (auto& [fd, ws] : sockets_) ws->forget();
    sockets_.clear();
    retransmit_timer_.cancel();
}

void AresChannel::start(std::vector<Question> questions, TimePoint deadline, std::unique_ptr<Completion> done) {
    auto batch = std::make_shared<Batch>(ex_, clock_, questions.size(), std::move(done));
    if (questions.empty()) {
        batch->finish();
        return;
    }
    batch->arm(deadline);
    for (std::size_t i = 0; i < questions.size(); ++i) {
        if (!channel_) {
            batch->record(i, ARES_EDESTRUCTION, nullptr, 0);
            continue;
        }
        auto* ticket = new Ticket{batch, i};
        ares_query(channel_, questions[i].name.c_str(), kClassIn, static_cast<int>(questions[i].type), &on_answer,
                   ticket);
    }
    reschedule_retransmissions();
}

void AresChannel::on_socket_state(void* data, int fd, int readable, int writable) {
    static_cast<AresChannel*>(data)->watch(fd, readable != 0, writable != 0);
}

void AresChannel::watch(int fd, bool readable, bool writable) {
    auto it = sockets_.find(fd);
    if (!readable && !writable) {  // c-ares is about to close it
        if (it != sockets_.end()) {
            it->second->forget();
            sockets_.erase(it);
        }
        return;
    }
    if (it == sockets_.end()) it = sockets_.emplace(fd, std::make_shared<WatchedSocket>(ex_, fd)).first;
    auto ws = it->second;
    ws->want_read = readable;
    ws->want_write = writable;
    arm(ws);
}

void AresChannel::arm(const std::shared_ptr<WatchedSocket>& ws) {
    if (ws->closed || !ws->sd.is_open()) return;
    std::weak_ptr<AresChannel> self = weak_from_this();
    if (ws->want_read && !ws->reading) {
        ws->reading = true;
        ws->sd.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                          [self, ws](boost::system::error_code ec) {
                              ws->reading = false;
                              if (ec || ws->closed) return;
                              if (auto s = self.lock()) s->on_ready(ws, POLLIN);
                          });
    }
    if (ws->want_write && !ws->writing) {
        ws->writing = true;
        ws->sd.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                          [self, ws](boost::system::error_code ec) {
                              ws->writing = false;
                              if (ec || ws->closed) return;
                              if (auto s = self.lock()) s->on_ready(ws, POLLOUT);
                          });
    }
}

void AresChannel::on_ready(const std::shared_ptr<WatchedSocket>& ws, short events) {
    if (!channel_ || ws->closed) return;
    const int fd = ws->fd;
    const bool read = (events & (POLLIN | POLLERR | POLLHUP)) != 0;
    const bool write = (events & POLLOUT) != 0;
    ares_process_fd(channel_, read ? fd : ARES_SOCKET_BAD, write ? fd : ARES_SOCKET_BAD);
    if (channel_ && !ws->closed) {
        // Asio's epoll is edge-triggered: a second datagram that arrived with the first, or a socket
        // that stayed writable, raises no new edge. Probe once and go round again if so.
        pollfd p{fd, static_cast<short>((ws->want_read ? POLLIN : 0) | (ws->want_write ? POLLOUT : 0)), 0};
        if (p.events != 0 && ::poll(&p, 1, 0) == 1 && p.revents != 0 && ws->immediate_rounds < kMaxImmediateRounds) {
            ++ws->immediate_rounds;
            boost::asio::post(ex_, [self = weak_from_this(), ws, ev = p.revents] {
                if (auto s = self.lock()) s->on_ready(ws, ev);
            });
        } else {
            ws->immediate_rounds = 0;
            arm(ws);
        }
    }
    reschedule_retransmissions();
}

void AresChannel::reschedule_retransmissions() {
    if (!channel_) {
        retransmit_timer_.cancel();
        return;
    }
    timeval tv{};
    timeval* next = ares_timeout(channel_, nullptr, &tv);
    if (!next) {
        retransmit_timer_.cancel();
        return;
    }
    retransmit_timer_.expires_after(std::chrono::seconds(next->tv_sec) + std::chrono::microseconds(next->tv_usec));
    retransmit_timer_.async_wait([self = weak_from_this()](boost::system::error_code ec) {
        if (ec) return;
        auto s = self.lock();
        if (!s || !s->channel_) return;
        ares_process_fd(s->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // c-ares' own timeouts
        s->reschedule_retransmissions();
    });
}

}  // namespace relaylab::dns
