#include "gateway/intake.hpp"

#include "clock/duration.hpp"

namespace relaylab::gw {

namespace {

using smtp::Decision;

struct SpoolCommitFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};
using smtp::ServerReply;

class IntakePolicy final : public smtp::ServerPolicy {
public:
    IntakePolicy(Clock& clock, Relay& relay, std::shared_ptr<const IntakeSettings> settings, smtp::ConnectionInfo info,
                 std::shared_ptr<IntakeCounts> counts)
        : clock_(clock), relay_(relay), shared_(std::move(settings)), settings_(*shared_), info_(std::move(info)),
          counts_(std::move(counts)) {}

    Decision on_connect() override {
        ++counts_->sessions;
        if (!allowed(settings_.allow, info_.peer_ip)) {
            ++counts_->refused_network;
            // RFC 5321 §3.1: a 554 greeting; the session then serves only QUIT. Nothing is queued.
            return Decision::send(ServerReply::single(554, "5.7.1 " + settings_.hostname +
                                                                " Access denied: " + info_.peer_ip +
                                                                " is not a network allowed to relay"));
        }
        return Decision::send(ServerReply::single(220, settings_.hostname + " ESMTP relaylab"));
    }

    Decision on_mail(const smtp::ClientCommand& cmd) override {
        if (cmd.path.empty()) return {};  // the null sender is allowed (RFC 5321 §4.5.5)
        return check(cmd.path, AddressRole::Sender, 250, "2.1.0 Ok");
    }

    Decision on_rcpt(const smtp::ClientCommand& cmd) override {
        // A recipient must name a destination; everything else about it is the remote's business.
        if (destination_of(cmd.path).empty()) {
            ++counts_->refused_address;
            return Decision::send(ServerReply::single(501, "5.1.3 Bad recipient address syntax"));
        }
        return check(cmd.path, AddressRole::Recipient, 250, "2.1.5 Ok");
    }

    Decision on_message(const smtp::Envelope& env, std::string_view body) override {
        std::string content = received_header(env);
        content.reserve(content.size() + body.size());  // one allocation for the whole message
        content += body;
        auto accepted = relay_.accept(Envelope{env.mail_from, env.rcpt_to}, std::move(content));
        // Postfix's wording when the queue file cannot be written; the handset will try again.
        if (!accepted.ok()) {
            ++counts_->refused_queue;
            return Decision::send(ServerReply::single(451, "4.3.0 Error: queue file write error"));
        }
        auto ok = ServerReply::single(250, "2.0.0 Ok: queued as " + std::to_string(accepted.id));
        if (!accepted.commit) return Decision::send(std::move(ok));
        // Group commit: the 250 waits a short window so that submissions arriving meanwhile share
        // one fdatasync, which on_reply() performs just before the 250 is written.
        pending_commit_ = accepted.commit;
        return Decision::send(std::move(ok), relay_.spool()->limits().commit_window);
    }

    void on_reply(const ServerReply& reply) override {
        if (!pending_commit_ || reply.code() != 250) return;
        auto seq = std::exchange(pending_commit_, 0);
        // The 250 is already decided: a failed fsync must not let it leave. Throwing ends the
        // daemon's loop before the bytes are written; the handset sees the connection drop and
        // retries (the message may then arrive twice, never zero times).
        if (auto err = relay_.commit(seq)) throw SpoolCommitFailure(err->str());
    }

private:
    Decision check(const std::string& path, AddressRole role, int ok_code, const char* ok_text) {
        auto verdict = check_address(path);
        auto decision = envelope_form(verdict, settings_.local_part, role);
        if (decision.refusal) {
            ++counts_->refused_address;
            const auto& r = *decision.refusal;
            return Decision::send(ServerReply::single(r.code, std::to_string(r.klass) + "." + std::to_string(r.subject) +
                                                                  "." + std::to_string(r.detail) + " " + r.reason));
        }
        return Decision::send(ServerReply::single(ok_code, ok_text));
    }

    // RFC 5321 §4.4: the trace field every relay adds.
    std::string received_header(const smtp::Envelope& env) const {
        return "Received: from " + (env.helo.empty() ? std::string("unknown") : env.helo) + " ([" + info_.peer_ip +
               "])\r\n\tby " + settings_.hostname + " (relaylab) with " + (env.esmtp ? "ESMTP" : "SMTP") + ";\r\n\t" +
               format_rfc5322(clock_.now()) + "\r\n";
    }

    Clock& clock_;
    Relay& relay_;
    std::shared_ptr<const IntakeSettings> shared_;
    const IntakeSettings& settings_;
    smtp::ConnectionInfo info_;
    std::shared_ptr<IntakeCounts> counts_;
    std::uint64_t pending_commit_ = 0;
};

}  // namespace

std::vector<Network> intake_networks(const std::string& listen_ip, const std::vector<std::string>& allow) {
    if (allow.empty()) {
        if (!is_loopback_address(listen_ip))
            throw IntakeError("intake " + listen_ip +
                              " is not a loopback address: set intake_allow to the networks allowed to submit "
                              "(refusing to start an open relay)");
        return loopback_networks();
    }
    std::vector<Network> out;
    for (const auto& a : allow) {
        auto n = parse_network(a);
        if (!n) throw IntakeError("intake_allow: \"" + a + "\" is not a network (write e.g. \"10.0.0.0/8\")");
        out.push_back(*n);
    }
    return out;
}

Intake::Intake(boost::asio::any_io_executor ex, Clock& clock, Relay& relay, IntakeSettings settings,
               const std::string& ip, unsigned short port) {
    smtp::ServerConfig cfg;
    cfg.hostname = settings.hostname;
    cfg.max_message_bytes = settings.limits.max_message_size;
    cfg.max_recipients = settings.limits.max_recipients;
    cfg.max_line = settings.limits.max_line_length;
    cfg.idle_timeout = settings.limits.idle_timeout;
    cfg.capabilities = {"PIPELINING", "SIZE " + std::to_string(settings.limits.max_message_size), "8BITMIME",
                        "ENHANCEDSTATUSCODES"};
    auto shared = std::make_shared<const IntakeSettings>(std::move(settings));
    listener_ = std::make_unique<smtp::Listener>(
        ex, clock, ip, port, cfg, [&clock, &relay, shared, counts = counts_](const smtp::ConnectionInfo& info) {
            return std::make_unique<IntakePolicy>(clock, relay, shared, info, counts);
        });
}

}  // namespace relaylab::gw
