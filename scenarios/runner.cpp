#include "scenarios/runner.hpp"

#include "asio/spawn.hpp"
#include "clock/duration.hpp"
#include "clock/timer.hpp"
#include "log/events.hpp"
#include "log/journal.hpp"
#include "intake/intake.hpp"
#include "relay/relay.hpp"
#include "relay/setup.hpp"
#include "bounce/shipped_policies.hpp"
#include "resolver/resolver.hpp"
#include "scenarios/timeline_words.hpp"
#include "scenarios/virtual_loop.hpp"
#include "scenarios/world/dns_server.hpp"
#include "scenarios/world/smtp_mta.hpp"
#include "smtpclient/client.hpp"
#include "tls/certificates.hpp"
#include "tls/context.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <sstream>

namespace relaylab::scn {

namespace asio = boost::asio;

std::map<std::string, std::string> delivery_status_fields(const std::string& notice) {
    std::map<std::string, std::string> out;
    auto part = notice.find("Content-Type: message/delivery-status");
    if (part == std::string::npos) return out;
    auto body = notice.find("\r\n\r\n", part);
    if (body == std::string::npos) return out;
    std::istringstream in(notice.substr(body + 4));
    std::string line, last;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("--", 0) == 0) break;  // the next MIME boundary
        if (line.empty()) continue;
        if ((line[0] == ' ' || line[0] == '\t') && !last.empty()) {
            out[last] += line;  // RFC 5322 §2.2.3 unfolding: drop the CRLF, keep the space
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        last = line.substr(0, colon);
        auto v = line.find_first_not_of(' ', colon + 1);
        out[last] = v == std::string::npos ? "" : line.substr(v);
    }
    return out;
}

namespace {

// The address of a Final-Recipient field: "rfc822; a@b" → "a@b"; RFC 6533 §3 "utf-8; " with
// utf-8-addr-xtext (\x{30E6}…) → the UTF-8 address, so that expectations name it as written.
std::string dsn_address_value(const std::string& field) {
    if (field.rfind("rfc822; ", 0) == 0) return field.substr(8);
    if (field.rfind("utf-8; ", 0) != 0) return field;
    std::string out;
    std::string_view v = std::string_view(field).substr(7);
    for (std::size_t i = 0; i < v.size(); ++i) {
        std::size_t close = v.substr(i).rfind("\\x{", 0) == 0 ? v.find('}', i) : std::string_view::npos;
        unsigned long cp = 0;
        bool ok = close != std::string_view::npos && close > i + 3 && close - i - 3 <= 6;
        for (std::size_t k = i + 3; ok && k < close; ++k) {
            char c = v[k];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            ok = d >= 0;
            cp = cp * 16 + static_cast<unsigned long>(d < 0 ? 0 : d);
        }
        if (!ok || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            out += v[i];
            continue;
        }
        if (cp < 0x80) out += static_cast<char>(cp);
        else if (cp < 0x800) out += {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
        else if (cp < 0x10000)
            out += {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                    static_cast<char>(0x80 | (cp & 0x3F))};
        else
            out += {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
                    static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
        i = close;
    }
    return out;
}


std::array<std::uint8_t, 4> v4_bytes(const std::string& ip) { return asio::ip::make_address_v4(ip).to_bytes(); }

std::string v4_text(const std::array<std::uint8_t, 4>& b) { return asio::ip::address_v4(b).to_string(); }

// Gives each scripted host its address and makes sure the zone resolves it (an A record added, or an
// AAAA record for ::1, when the scenario names a host the zone does not give an address of that family).
std::map<std::string, std::string> place_remotes(const Scenario& s, world::DnsZone& zone) {
    std::map<std::string, std::string> ips;
    std::set<std::string> taken;
    for (const auto& r : s.remotes) {
        if (r.external_ip) ips[r.host] = *r.external_ip;
        else if (r.address) ips[r.host] = *r.address;
        else if (const auto* n = zone.find(r.host); n && !n->a.empty()) ips[r.host] = v4_text(n->a.front());
        else continue;
        if (!asio::ip::make_address(ips[r.host]).is_loopback())
            throw RunError("remote " + r.host + ": its A record " + ips[r.host] + " is not in 127.0.0.0/8");
        taken.insert(ips[r.host]);
    }
    unsigned next = first_assigned_host_octet;
    for (const auto& r : s.remotes) {
        if (ips.count(r.host)) continue;
        std::string ip;
        do {
            if (next > 254) throw RunError("no loopback address left for remote " + r.host);
            ip = "127.0.0." + std::to_string(next++);
        } while (taken.count(ip));
        taken.insert(ip);
        ips[r.host] = ip;
    }
    for (const auto& [host, ip] : ips) {
        const auto* n = zone.find(host);
        world::DnsZoneName name = n ? *n : world::DnsZoneName{};
        if (!n) name.name = *world::DomainName::from_text(host);
        const auto address = asio::ip::make_address(ip);
        // A remote on ::1 is found by its AAAA record, one on 127.0.0.x by its A record; the other
        // family's records, if the zone gives any, stay as written (nothing listens there).
        if (address.is_v6()) {
            auto bytes = address.to_v6().to_bytes();
            if (n && !n->aaaa.empty() && std::find(n->aaaa.begin(), n->aaaa.end(), bytes) == n->aaaa.end())
                throw RunError("remote " + host + ": address " + ip + " differs from its AAAA record in the zone");
            if (name.aaaa.empty() && !name.cname) {
                name.aaaa.push_back(bytes);
                zone.add(std::move(name));
            }
            continue;
        }
        auto bytes = v4_bytes(ip);
        if (n && !n->a.empty() && std::find(n->a.begin(), n->a.end(), bytes) == n->a.end())
            throw RunError("remote " + host + ": address " + ip + " differs from its A record in the zone");
        if (name.a.empty() && !name.cname) {
            name.a.push_back(bytes);
            zone.add(std::move(name));
        }
    }
    return ips;
}

unsigned short pick_port(asio::io_context& io) {
    asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

// Where a run keeps its mailboxes: $TMPDIR when set, else /dev/shm when it is there. The gateway
// fsyncs every notice (the live Maildir code); on a disk each fsync waits for the journal, which
// made scenario runs wait rather than compute and kept --jobs from helping. Scratch data needs no disk.
std::filesystem::path scratch_dir() {
    const char* tmpdir = std::getenv("TMPDIR");
    if ((!tmpdir || !*tmpdir) && ::access(memory_scratch_dir, W_OK | X_OK) == 0) return memory_scratch_dir;
    return std::filesystem::temp_directory_path();
}

std::string temp_root() {
    std::string tmpl = (scratch_dir() / "relaylab-run-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw RunError("cannot create a temporary directory for the mailboxes");
    return tmpl;
}

std::string crlf_lines(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\r') continue;
        if (c == '\n') out += "\r\n";
        else out += c;
    }
    return out;
}

std::string header_list(const std::vector<std::string>& to) {
    std::string out;
    for (const auto& t : to) out += (out.empty() ? "<" : ", <") + t + ">";
    return out;
}

// A run's temporary folder, removed with everything in it also when setting up the world throws
// (a destructor of World would not run then, and the folder stayed behind).
struct ScratchDir {
    std::string path = temp_root();
    ScratchDir() = default;
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

// Turns gateway events, DNS queries and submissions into the record and the timeline.
class Recorder final : public gw::EventSink {
public:
    Recorder(RunRecord& rec, const std::filesystem::path& mailboxes, unsigned short mx_port)
        : rec_(rec), mailboxes_(mailboxes), port_suffix_("]:" + std::to_string(mx_port)) {}

    void line(TimePoint at, std::string text) {
        if (closed_) return;
        if (rec_.timeline.size() >= max_timeline_entries) return;
        rec_.timeline.push_back({at, std::move(text)});
    }
    void close() { closed_ = true; }
    std::size_t submission = 0;
    // Where the intake's answers go in the timeline: after the relay queued the message.
    std::size_t intake_lines_at = 0;
    void insert_intake_line(TimePoint at, std::string text) {
        if (closed_ || rec_.timeline.size() >= max_timeline_entries) return;
        auto pos = std::min(intake_lines_at, rec_.timeline.size());
        rec_.timeline.insert(rec_.timeline.begin() + static_cast<std::ptrdiff_t>(pos), {at, std::move(text)});
        ++intake_lines_at;
    }

    void on_event(TimePoint at, const gw::GatewayEvent& e) override {
        if (closed_) return;
        std::visit([&](const auto& ev) { handle(at, ev); }, e);
    }

    void dns_query(const world::DnsQueryRecord& q) { line(q.at, dns_query_line(q)); }

private:
    void handle(TimePoint at, const gw::MessageAccepted& m) {
        line(at, "relay: message " + std::to_string(m.id) + " queued from <" + m.sender + "> for " +
                     header_list(m.recipients) + ", " + std::to_string(m.size) + " bytes");
        intake_lines_at = rec_.timeline.size();
        for (const auto& r : m.recipients) {
            index_[{m.id, r}] = rec_.recipients.size();
            RecipientRecord rr;
            rr.submission = submission;
            rr.address = r;
            rec_.recipients.push_back(std::move(rr));
        }
    }
    void handle(TimePoint at, const gw::MxLookup& m) { line(at, mx_lookup_line(m.result)); }
    void handle(TimePoint, const gw::SmtpSession& s) {
        for (const auto& l : s.transcript) {
            std::string text = l.text;
            // The shared mx port changes from run to run: keep it out of the report.
            for (auto p = text.find(port_suffix_); p != std::string::npos; p = text.find(port_suffix_, p + 1))
                text.replace(p, port_suffix_.size(), "]");
            line(l.at, std::string(1, l.dir) + ": " + text);
        }
    }
    void handle(TimePoint at, const gw::AttemptResult& a) {
        const auto& o = a.outcome.outcome;
        auto it = index_.find({a.id, o.recipient});
        if (it != index_.end()) {
            RecipientRecord& r = rec_.recipients[it->second];
            r.attempts = o.attempt;
            r.status = disposition_name(a.disposition);
            fill_truth(r, a.outcome);
            if (a.disposition != gw::Disposition::Deferred) r.final_at = at;
        }
        line(at, attempt_line(a, rec_.start));
    }
    void handle(TimePoint at, const gw::DestinationWindow& w) {
        DestinationRecord& d = rec_.destinations[w.change.domain];
        if (w.reply.empty()) {
            ++d.raised;
        } else {
            ++d.lowered;
            d.lowest_window = d.lowered == 1 ? w.change.to : std::min(d.lowest_window, w.change.to);
            d.suspended = d.suspended || w.change.held_until.has_value();
        }
        // The refusing host's address is the run's own loopback choice: keep the name only.
        gw::DestinationWindow shown = w;
        if (auto b = shown.refused_by.find('['); b != std::string::npos) shown.refused_by.erase(b);
        line(at, "relay: " + gw::destination_window_line(shown));
    }
    void handle(TimePoint at, const gw::NoticeFailed& n) {
        line(at, "relay: " + std::string(gw::to_string(n.kind)) + " notice to <" + n.handset + "> not written (maildir " + n.error + "), try " +
                     std::to_string(n.tries) + ", next at " + format_time(n.next_try));
    }
    void handle(TimePoint at, const gw::NoticeWritten& n) {
        NoticeRecord rec;
        rec.at = at;
        rec.handset = n.handset;
        rec.kind = n.kind;
        rec.subject = n.subject;
        rec.body = n.body;
        rec.claims = n.claims;
        if (!n.path.empty()) {
            std::filesystem::path p(n.path);
            rec.file = p.lexically_relative(mailboxes_).generic_string();
            std::ifstream in(p, std::ios::binary);
            std::stringstream ss;
            ss << in.rdbuf();
            rec.delivery_status = delivery_status_fields(ss.str());
            auto fr = rec.delivery_status.find("Final-Recipient");
            if (fr != rec.delivery_status.end()) rec.final_recipient = dsn_address_value(fr->second);
        }
        for (auto& l : notice_lines(rec)) line(at, std::move(l));
        rec_.notices.push_back(std::move(rec));
    }

    RunRecord& rec_;
    std::filesystem::path mailboxes_;
    std::string port_suffix_;
    bool closed_ = false;
    std::map<std::pair<gw::MessageId, std::string>, std::size_t> index_;
};

struct Submitted {
    std::vector<smtp::RecipientOutcome> outcomes;
};

asio::awaitable<Submitted> submit_one(asio::any_io_executor ex, Clock& clock, unsigned short intake_port,
                                      smtp::Message msg) {
    // Named values, not temporaries, inside co_await (g++ 12 coroutine bug).
    smtp::ClientConfig cfg;
    cfg.helo_name = "handset.carrier.example";
    smtp::Client client(ex, clock, cfg);
    smtp::Remote remote{"intake", "127.0.0.1", intake_port};
    co_await client.open(remote);
    auto outcomes = co_await client.send(std::move(msg));
    co_await client.quit();
    co_return Submitted{std::move(outcomes)};
}

// The world and the gateway, assembled; members in construction order, destroyed in reverse.
class World {
public:
    World(const Scenario& s, std::uint64_t seed, Clock& clock, RunRecord& rec)
        : s_(s), clock_(clock), rec_(rec), rng_(seed) {
        world::DnsZone zone = s.zone;
        ips_ = place_remotes(s, zone);
        // Remotes that offer STARTTLS present certificates issued by the run's own authority,
        // made now (no key material is kept anywhere), and the gateway trusts it unless the
        // scenario names a ca_file of its own (docs/tls.md "In scenarios").
        for (const auto& r : s.remotes)
            if (r.script.tls.offer && !authority_)
                authority_ = tls::make_certificate({"relaylab scenario authority", clock.now() - std::chrono::hours(24 * 730),
                                                    clock.now() + std::chrono::hours(24 * 3650), true},
                                                   nullptr);
        dns_ = std::make_unique<world::DnsServer>(io.get_executor(), clock, std::move(zone),
                                                  asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        open_remotes();
        gw::GatewayConfig config = s.gateway;
        config.dns_servers = {"127.0.0.1:" + std::to_string(dns_->port())};
        config.mx_port = mx_port_;
        config.mailboxes = (std::filesystem::path(root_.path) / "mailboxes").string();
        config.spool.reset();
        config.log.reset();
        auto dir = std::filesystem::path(s.file).parent_path();
        auto policy = gw::load_named_policy(config.policy, dir.empty() ? "." : dir);
        if (!policy) throw RunError(s.file + ": gateway policy: " + policy.error().message());
        recorder_ = std::make_unique<Recorder>(rec, config.mailboxes, mx_port_);
        dns_->on_query([r = recorder_.get()](const world::DnsQueryRecord& q) { r->dns_query(q); });
        resolver_ = std::make_unique<dns::Resolver>(io.get_executor(), clock, gw::resolver_config(config));
        gw::RelaySettings settings;
        try {
            settings = gw::relay_settings(config);
        } catch (const std::invalid_argument& e) {
            throw RunError(s.file + ": gateway: " + e.what());
        }
        if (authority_ && config.tls.ca_file.empty() && settings.delivery.tls.context) {
            auto ctx = tls::client_context_from_pem(authority_->cert_pem);
            if (!ctx) throw RunError(s.file + ": the run's TLS authority: " + ctx.error());
            settings.delivery.tls.context = std::move(*ctx);
        }
        relay_ = std::make_unique<gw::Relay>(io.get_executor(), clock, *resolver_, settings, std::move(policy).value(),
                                             rng_, recorder_.get());
        intake_ = std::make_unique<gw::Intake>(io.get_executor(), clock, *relay_, gw::intake_settings(config, "127.0.0.1"),
                                               "127.0.0.1", 0);
        relay_->start();
    }


    // Stops taking work; the caller then lets what is in flight finish.
    void stop() {
        recorder_->close();
        intake_->stop();
        relay_->stop();
        for (auto& [host, m] : mtas_) m->stop();
        dns_->stop();
    }

    void record_remotes() {
        for (const auto& r : s_.remotes) {
            RemoteRecord rr;
            rr.host = r.host;
            rr.ip = ips_.at(r.host);
            rr.external = r.external_ip.has_value();
            if (auto it = mtas_.find(r.host); it != mtas_.end()) {
                rr.connections = it->second->connections();
                for (const auto& c : it->second->received())
                    for (const auto& t : c.transactions) rr.transactions.push_back({t.mail_from, t.rcpt_to, t.message.has_value()});
            }
            rec_.remotes.push_back(std::move(rr));
        }
    }

    // Starts a handset's submission; `done` is set when the handset's session ends.
    void submit(const Submission& sub, std::size_t index, std::optional<Submitted>& done) {
        recorder_->submission = index;
        recorder_->line(clock_.now(), "handset " + sub.from + " submits to " + header_list(sub.to) + ", subject \"" +
                                          sub.subject + "\"");
        recorder_->intake_lines_at = rec_.timeline.size();
        smtp::Message msg;
        msg.mail_from = sub.from;
        msg.recipients = sub.to;
        msg.body = "From: <" + sub.from + ">\r\nTo: " + header_list(sub.to) + "\r\nSubject: " + sub.subject +
                   "\r\nDate: " + format_rfc5322(clock_.now()) + "\r\nMessage-ID: <" + std::to_string(index + 1) +
                   ".handset@carrier.example>\r\n\r\n" + crlf_lines(sub.body) + "\r\n";
        relaylab::spawn(io.get_executor(), submit_one(io.get_executor(), clock_, intake_->port(), std::move(msg)),
                        [&done](Submitted r) { done = std::move(r); });
    }

    void finish_submission(const Submission& sub, std::size_t index, const Submitted& got) {
        for (std::size_t i = 0; i < sub.to.size(); ++i) {
            const smtp::RecipientOutcome* o = i < got.outcomes.size() ? &got.outcomes[i] : nullptr;
            bool accepted = o && o->delivered();
            std::string reply = o && o->reply ? reply_text(*o->reply) : (o ? std::string(to_string(o->net)) : "no outcome");
            recorder_->insert_intake_line(clock_.now(), std::string("intake ") + (accepted ? "accepted " : "refused ") + sub.to[i] +
                                              (accepted ? "" : " at " + std::string(gw::stage_name(o ? o->stage : smtp::Stage::Connect))) +
                                              ": " + reply);
            if (accepted) continue;
            RecipientRecord rr;
            rr.submission = index;
            rr.address = sub.to[i];
            rr.status = "refused";
            if (o) {
                rr.stage = std::string(gw::stage_name(o->stage));
                if (o->reply) rr.reply = reply_text(*o->reply);
            }
            rr.final_at = clock_.now();
            rec_.recipients.push_back(std::move(rr));
        }
    }

    bool idle() const { return relay_->idle(); }
    std::size_t in_flight() const { return relay_->in_flight(); }

    asio::io_context io;

private:
    void open_remotes() {
        std::optional<unsigned short> external;
        for (const auto& r : s_.remotes)
            if (r.external_ip) external = r.external_port;
        for (int attempt = 0; attempt < port_attempts; ++attempt) {
            mx_port_ = external ? *external : pick_port(io);
            try {
                for (const auto& r : s_.remotes) {
                    if (r.external_ip) continue;
                    mtas_[r.host] = std::make_unique<world::ScriptedMta>(
                        io.get_executor(), clock_, r.script, ips_.at(r.host), mx_port_, world::ScriptedMta::DialogueObserver{},
                        r.host, authority_ ? &*authority_ : nullptr);
                }
                return;
            } catch (const boost::system::system_error&) {
                mtas_.clear();  // another run holds this port on one of our addresses: pick again
            }
        }
        throw RunError("no port free on every remote's address after " + std::to_string(port_attempts) + " attempts");
    }

    const Scenario& s_;
    Clock& clock_;
    RunRecord& rec_;
    std::mt19937_64 rng_;
    ScratchDir root_;
    std::map<std::string, std::string> ips_;
    std::optional<tls::Credentials> authority_;
    unsigned short mx_port_ = 0;
    std::unique_ptr<world::DnsServer> dns_;
    std::map<std::string, std::unique_ptr<world::ScriptedMta>> mtas_;
    std::unique_ptr<Recorder> recorder_;
    std::unique_ptr<dns::Resolver> resolver_;
    std::unique_ptr<gw::Relay> relay_;
    std::unique_ptr<gw::Intake> intake_;
};

// Virtual time (VirtualLoop) or, with a real external MTA, real time.
class Driver {
public:
    Driver(asio::io_context& io, VirtualClock* vclock, Clock& clock) : io_(io), clock_(clock) {
        if (vclock) loop_.emplace(io, *vclock), vclock_ = vclock;
    }
    bool run_until(const std::function<bool()>& done, TimePoint limit) {
        if (loop_) return loop_->run_until(done, limit);
        while (!done() && clock_.now() < limit) {
            if (io_.stopped()) io_.restart();
            io_.run_one_for(std::chrono::milliseconds(20));
        }
        return done();
    }
    // Lets time pass to `t` (idle in between).
    void pass_to(TimePoint t) {
        run_until([&] { return clock_.now() >= t; }, t);
        if (vclock_ && vclock_->now() < t) {
            vclock_->advance_to(t);
            loop_->settle();
        }
    }

private:
    asio::io_context& io_;
    Clock& clock_;
    VirtualClock* vclock_ = nullptr;
    std::optional<VirtualLoop> loop_;
};

void sort_recipients(const Scenario& s, RunRecord& rec) {
    auto position = [&](const RecipientRecord& r) {
        const auto& to = s.submissions.at(r.submission).to;
        return std::size_t(std::find(to.begin(), to.end(), r.address) - to.begin());
    };
    std::stable_sort(rec.recipients.begin(), rec.recipients.end(), [&](const auto& a, const auto& b) {
        return a.submission != b.submission ? a.submission < b.submission : position(a) < position(b);
    });
    std::stable_sort(rec.timeline.begin(), rec.timeline.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
}

}  // namespace

RunRecord run_scenario(const Scenario& s, const RunOptions& options) {
    RunRecord rec;
    // A scenario that depends on one shuffle pins its seed; --seed varies the others.
    rec.seed = s.seed.value_or(options.seed);
    rec.seed_pinned = s.seed.has_value();
    rec.deterministic = !s.has_external();
    std::optional<VirtualClock> vclock;
    RealClock real;
    if (rec.deterministic) vclock.emplace(s.start);
    Clock& clock = vclock ? static_cast<Clock&>(*vclock) : real;
    rec.start = clock.now();

    World w(s, rec.seed, clock, rec);
    Driver drive(w.io, vclock ? &*vclock : nullptr, clock);

    std::size_t done_count = 0;
    for (std::size_t i = 0; i < s.submissions.size(); ++i) {
        const Submission& sub = s.submissions[i];
        drive.pass_to(rec.start + sub.at);
        std::optional<Submitted> got;
        w.submit(sub, i, got);
        drive.run_until([&] { return got.has_value(); }, clock.now() + submission_time_limit);
        if (!got) throw RunError("the handset's submission " + std::to_string(i + 1) + " did not finish");
        w.finish_submission(sub, i, *got);
        ++done_count;
    }
    TimePoint limit = s.limit ? rec.start + *s.limit
                              : rec.start + s.submissions.back().at + s.gateway.retry.lifetime + limit_after_lifetime;
    if (!rec.deterministic) limit = std::min(limit, rec.start + real_time_run_limit);
    rec.finished = drive.run_until([&] { return w.idle(); }, limit);
    rec.end = clock.now();
    w.record_remotes();
    w.stop();
    // Sessions still open end on the remotes' close; give them virtual time to notice.
    drive.run_until([&] { return w.in_flight() == 0; }, clock.now() + submission_time_limit);
    sort_recipients(s, rec);
    return rec;
}

}  // namespace relaylab::scn
