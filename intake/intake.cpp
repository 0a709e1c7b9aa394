#include "intake/intake.hpp"

#include "asio/awaitable.hpp"
#include "clock/duration.hpp"

namespace relaylab::gw {

namespace {

using smtp::Decision;

using smtp::ServerReply;

class IntakePolicy final : public smtp::ServerPolicy {
public:
    IntakePolicy(Clock& clock, Submission& queue, std::shared_ptr<const IntakeSettings> settings, smtp::ConnectionInfo info,
                 std::shared_ptr<IntakeCounts> counts, std::shared_ptr<const IntakeWarn> warn)
        : clock_(clock), queue_(queue), shared_(std::move(settings)), settings_(*shared_), info_(std::move(info)),
          counts_(std::move(counts)), warn_(std::move(warn)) {}

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

    void on_reply(const smtp::ServerReply& reply) override {
        if (reply.code() >= 400) ++counts_->negative_replies[reply.code()];
    }

    void on_tls(bool ok, const tls::Negotiated& n) override {
        if (!*warn_) return;
        // Postfix smtpd's words (tls_server.c), with "unknown" for the name it does not look up.
        const std::string peer = "unknown[" + info_.peer_ip + "]";
        (*warn_)(ok ? std::string(tls::trust_word(n.trust)) + " TLS connection established from " + peer + ": " + tls::describe(n)
                    : "warning: TLS handshake failed with " + peer);
    }

    Decision on_mail(const smtp::ClientCommand& cmd) override {
        // RFC 6531 §3.4: SMTPUTF8 on MAIL opens RFC 6531 §3.3's grammar for the whole transaction.
        // (Without it the session core has already refused a non-ASCII path with 553 5.6.7.)
        syntax_ = cmd.params.smtputf8 ? AddressSyntax::Smtputf8 : AddressSyntax::Ascii;
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
        auto accepted = queue_.accept(Envelope{env.mail_from, env.rcpt_to}, std::move(content));
        // Postfix's wording when the queue file cannot be written; the handset will try again.
        if (!accepted) {
            ++counts_->refused_queue;
            if (*warn_) (*warn_)(queue_write_warning(accepted.error()));
            return Decision::send(ServerReply::single(451, "4.3.0 Error: queue file write error"));
        }
        auto ok = ServerReply::single(250, "2.0.0 Ok: queued as " + std::to_string(accepted->id));
        if (!accepted->commit) return Decision::send(std::move(ok));
        // The 250 leaves only once the message is on disk (the session's Commit step). Group
        // commit: it first waits a short window, so that submissions arriving meanwhile share one
        // fdatasync. A failed commit answers 451 instead; the handset retries, and since the
        // message may already be on its way, it may arrive twice — never zero times.
        return Decision::send_when_durable(std::move(ok), accepted->commit, queue_.commit_window());
    }

private:
    Decision check(const std::string& path, AddressRole role, int ok_code, const char* ok_text) {
        auto verdict = check_address(path, syntax_);
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
    Submission& queue_;
    std::shared_ptr<const IntakeSettings> shared_;
    const IntakeSettings& settings_;
    smtp::ConnectionInfo info_;
    AddressSyntax syntax_ = AddressSyntax::Ascii;
    std::shared_ptr<IntakeCounts> counts_;
    std::shared_ptr<const IntakeWarn> warn_;
};

// The session's Commit step: the queue makes the message's records durable (one fdatasync covers
// every submission since the last one: group commit).
boost::asio::awaitable<bool> commit_to(Submission& queue, std::uint64_t sequence, std::shared_ptr<const IntakeWarn> warn) {
    auto error = co_await queue.commit(sequence);
    if (error && *warn) (*warn)(queue_write_warning(*error));
    co_return !error;
}

}  // namespace

std::string queue_write_warning(const SpoolError& error) { return "warning: queue file write error: " + error.cause(); }

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

Intake::Intake(boost::asio::any_io_executor ex, Clock& clock, Submission& queue, IntakeSettings settings,
               const std::string& ip, unsigned short port, IntakeWarn warn) {
    smtp::ServerConfig cfg;
    cfg.hostname = settings.hostname;
    cfg.max_message_bytes = settings.limits.max_message_size;
    cfg.max_recipients = settings.limits.max_recipients;
    cfg.max_line = settings.limits.max_line_length;
    cfg.idle_timeout = settings.limits.idle_timeout;
    cfg.capabilities = {"PIPELINING", "SIZE " + std::to_string(settings.limits.max_message_size), "8BITMIME",
                        "SMTPUTF8", "ENHANCEDSTATUSCODES"};
    cfg.tls = settings.tls_context ? settings.tls : smtp::ServerTls::None;
    auto tls_context = settings.tls_context;
    auto shared = std::make_shared<const IntakeSettings>(std::move(settings));
    auto warns = std::make_shared<const IntakeWarn>(std::move(warn));
    listener_ = std::make_unique<smtp::Listener>(
        ex, clock, ip, port, cfg,
        [&clock, &queue, shared, counts = counts_, warns](const smtp::ConnectionInfo& info) {
            return std::make_unique<IntakePolicy>(clock, queue, shared, info, counts, warns);
        },
        [&queue, warns](std::uint64_t sequence) { return commit_to(queue, sequence, warns); }, std::move(tls_context));
}

}  // namespace relaylab::gw
