#include "smtpserver/session.hpp"

namespace relaylab::smtp {

std::string_view to_string(DecisionAction a) {
    switch (a) {
        case DecisionAction::Reply: return "reply";
        case DecisionAction::Drop: return "drop";
        case DecisionAction::Silent: return "silent";
    }
    return "?";
}

std::string_view to_string(NextStep s) {
    switch (s) {
        case NextStep::Read: return "read";
        case NextStep::Wait: return "wait";
        case NextStep::Commit: return "commit";
        case NextStep::StartTls: return "starttls";
        case NextStep::Close: return "close";
    }
    return "?";
}

std::string_view to_string(CloseReason r) {
    switch (r) {
        case CloseReason::Quit: return "quit";
        case CloseReason::Dropped: return "dropped";
        case CloseReason::IdleTimeout: return "idle-timeout";
        case CloseReason::TooManyErrors: return "too-many-errors";
        case CloseReason::ServiceClosing: return "service-closing";
        case CloseReason::PeerClosed: return "peer-closed";
        case CloseReason::Stopped: return "stopped";
        case CloseReason::TlsFailed: return "tls-failed";
    }
    return "?";
}

bool offers(const std::vector<std::string>& capabilities, std::string_view keyword) {
    for (const auto& c : capabilities) {
        std::string_view k = std::string_view(c).substr(0, c.find(' '));
        if (k.size() != keyword.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < k.size() && same; ++i)
            same = (k[i] | 0x20) == (keyword[i] | 0x20);
        if (same) return true;
    }
    return false;
}

namespace {
bool has_non_ascii(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return true;
    return false;
}

bool positive(const Decision& d, const ServerReply& normal) {
    int code = d.reply ? d.reply->code() : normal.code();
    return d.action == DecisionAction::Reply && code >= 200 && code < 400;
}
}  // namespace

ServerSession::ServerSession(ServerPolicy& policy, ServerConfig config)
    : policy_(policy), config_(std::move(config)), smtputf8_offered_(offers(config_.capabilities, "SMTPUTF8")) {}

ServerActions ServerSession::start() {
    phase_ = Phase::Commands;
    Decision d = policy_.on_connect();
    ServerReply normal = ServerReply::single(220, config_.hostname + " ESMTP");
    // RFC 5321 §3.1: after a 554 greeting the server serves only QUIT (503 to everything else).
    if (d.action == DecisionAction::Reply && (d.reply ? d.reply->code() : 220) == 554) refused_ = true;
    decide(d, std::move(normal));
    return pump();
}

ServerActions ServerSession::feed(std::string_view bytes) {
    if (phase_ == Phase::Closed) return {{}, NextStep::Close, {}};
    if (phase_ != Phase::Silent) input_.append(bytes);
    return pump();
}

ServerActions ServerSession::resume() {
    if (deferred_) {
        Deferred d = std::move(*deferred_);
        deferred_.reset();
        carry_out(std::move(d));
    }
    return pump();
}

ServerActions ServerSession::committed(bool durable) {
    if (committing_) {
        Deferred d = std::move(*committing_);
        committing_.reset();
        // Postfix's words when the queue file cannot be written; the client tries again later.
        if (!durable) d.reply = ServerReply::single(451, "4.3.0 Error: queue file write error");
        send(d);
    }
    return pump();
}

ServerActions ServerSession::idle_timeout() {
    deferred_.reset();
    committing_.reset();
    if (phase_ != Phase::Silent && phase_ != Phase::Closed)
        reply_now(ServerReply::single(421, "4.4.2 " + config_.hostname + " Error: timeout exceeded"));
    close(CloseReason::IdleTimeout);
    return pump();
}

ServerActions ServerSession::tls_started(bool ok, const tls::Negotiated& negotiated) {
    if (phase_ != Phase::Handshake) return pump();
    policy_.on_tls(ok, negotiated);
    if (!ok) {
        close(CloseReason::TlsFailed);
        return pump();
    }
    // RFC 3207 §4.2: the server forgets what the client said before TLS (HELO/EHLO included).
    tls_active_ = true;
    phase_ = Phase::Commands;
    have_helo_ = false;
    env_ = Envelope{};
    reset_transaction();
    return pump();
}

void ServerSession::abort(CloseReason why) {
    deferred_.reset();
    committing_.reset();
    close(why);
}

ServerActions ServerSession::pump() {
    while (phase_ != Phase::Closed && !deferred_ && !committing_) {
        if (tls_next_) {
            // RFC 3207 §4.2 / §6: commands pipelined after STARTTLS in plain text are thrown
            // away, never read as if they came over TLS (the STARTTLS injection).
            tls_next_ = false;
            input_.clear();
            phase_ = Phase::Handshake;
        }
        if (phase_ == Phase::Handshake) break;
        if (phase_ == Phase::Silent) {
            input_.clear();
            break;
        }
        if (phase_ == Phase::Data) {
            if (input_.empty()) break;
            handle_data_bytes();
            continue;
        }
        std::size_t lf = input_.find('\n');
        if (discarding_long_line_) {
            // The rest of an overlong line is thrown away; one 500 answers it (RFC 5321 §4.5.3.1).
            if (lf == std::string::npos) {
                input_.clear();
                break;
            }
            input_.erase(0, lf + 1);
            discarding_long_line_ = false;
            error_reply(ServerReply::single(500, "5.5.2 Error: line too long"));
            continue;
        }
        if (lf == std::string::npos) {
            if (input_.size() > config_.max_line) {
                input_.clear();
                discarding_long_line_ = true;
            }
            break;
        }
        std::string line = input_.substr(0, lf);
        input_.erase(0, lf + 1);
        handle_line(line);
    }
    ServerActions out;
    out.write = std::move(output_);
    output_.clear();
    if (phase_ == Phase::Closed) out.next = NextStep::Close;
    else if (phase_ == Phase::Handshake) {
        out.next = NextStep::StartTls;
        out.duration = config_.idle_timeout;
    } else if (deferred_) {
        out.next = NextStep::Wait;
        out.duration = deferred_->decision.delay;
    } else if (committing_) {
        out.next = NextStep::Commit;
        out.commit = committing_->decision.commit;
    } else {
        out.next = NextStep::Read;
        out.duration = config_.idle_timeout;
    }
    return out;
}

void ServerSession::handle_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    policy_.on_command_line(line);
    ClientCommand cmd = parse_command(line, config_.max_line);
    if (refused_ && cmd.verb != CommandVerb::Quit) {
        error_reply(ServerReply::single(503, "5.5.1 Error: no SMTP service here"));
        return;
    }
    switch (cmd.error) {
        case CommandError::None: handle_command(cmd); return;
        case CommandError::Empty:
        case CommandError::UnknownVerb:
            error_reply(ServerReply::single(500, "5.5.2 Error: command not recognized"));
            return;
        case CommandError::TooLong: error_reply(ServerReply::single(500, "5.5.2 Error: line too long")); return;
        case CommandError::NulByte:
            error_reply(ServerReply::single(500, "5.5.2 Error: NUL character in command"));
            return;
        case CommandError::MissingArgument:
            error_reply(ServerReply::single(501, "5.5.4 Syntax: " + std::string(to_string(cmd.verb)) + " argument"));
            return;
        case CommandError::BadPathSyntax:
            error_reply(cmd.verb == CommandVerb::Mail
                            ? ServerReply::single(501, "5.1.7 Bad sender address syntax")
                            : ServerReply::single(501, "5.1.3 Bad recipient address syntax"));
            return;
        case CommandError::BadParameter:
            error_reply(ServerReply::single(501, "5.5.4 Error: bad parameter syntax"));
            return;
    }
}

void ServerSession::handle_command(const ClientCommand& cmd) {
    switch (cmd.verb) {
        case CommandVerb::Helo:
        case CommandVerb::Ehlo: {
            bool ehlo = cmd.verb == CommandVerb::Ehlo;
            // RFC 5321 §4.1.4: a HELO/EHLO in the middle of a session resets it like RSET.
            reset_transaction();
            Decision d = ehlo ? policy_.on_ehlo(cmd.argument) : policy_.on_helo(cmd.argument);
            ServerReply normal = ehlo ? ehlo_reply() : ServerReply::single(250, config_.hostname);
            if (positive(d, normal)) {
                have_helo_ = true;
                env_.helo = cmd.argument;
                env_.esmtp = ehlo;
            }
            decide(d, std::move(normal));
            return;
        }
        case CommandVerb::Mail: {
            if (config_.require_helo && !have_helo_)
                return error_reply(ServerReply::single(503, "5.5.1 Error: send HELO/EHLO first"));
            // Postfix's words (smtpd_tls_security_level = encrypt).
            if (config_.tls == ServerTls::Require && !tls_active_)
                return error_reply(ServerReply::single(530, "5.7.0 Must issue a STARTTLS command first"));
            if (in_transaction_) return error_reply(ServerReply::single(503, "5.5.1 Error: nested MAIL command"));
            // RFC 1870 §6.2: a declared size over the limit is refused at MAIL.
            if (cmd.params.size && *cmd.params.size > config_.max_message_bytes)
                return reply_now(ServerReply::single(552, "5.3.4 Message size exceeds fixed limit"));
            if (auto r = smtputf8_refusal(cmd)) return reply_now(*r);
            Decision d = policy_.on_mail(cmd);
            ServerReply normal = ServerReply::single(250, "2.1.0 Ok");
            if (positive(d, normal)) {
                in_transaction_ = true;
                env_.mail_from = cmd.path;
                env_.mail_params = cmd.params;
                env_.rcpt_to.clear();
                rcpts_tried_ = 0;
            }
            decide(d, std::move(normal));
            return;
        }
        case CommandVerb::Rcpt: {
            if (!in_transaction_) return error_reply(ServerReply::single(503, "5.5.1 Error: need MAIL command"));
            if (rcpts_tried_ >= config_.max_recipients)
                return reply_now(ServerReply::single(452, "4.5.3 Error: too many recipients"));
            ++rcpts_tried_;
            if (auto r = smtputf8_refusal(cmd)) return reply_now(*r);
            Decision d = policy_.on_rcpt(cmd);
            ServerReply normal = ServerReply::single(250, "2.1.5 Ok");
            if (positive(d, normal)) env_.rcpt_to.push_back(cmd.path);
            decide(d, std::move(normal));
            return;
        }
        case CommandVerb::Data: {
            if (!in_transaction_) return error_reply(ServerReply::single(503, "5.5.1 Error: need MAIL command"));
            if (rcpts_tried_ == 0) return error_reply(ServerReply::single(503, "5.5.1 Error: need RCPT command"));
            // RFC 2920 §3.1: with pipelining, DATA after only rejected recipients must fail.
            if (env_.rcpt_to.empty()) return reply_now(ServerReply::single(554, "5.5.1 Error: no valid recipients"));
            Decision d = policy_.on_data_start();
            ServerReply normal = ServerReply::single(354, "End data with <CR><LF>.<CR><LF>");
            if (d.action == DecisionAction::Reply && (d.reply ? d.reply->code() : 354) == 354) {
                phase_ = Phase::Data;
                data_.emplace(config_.max_message_bytes);
                cut_ = policy_.on_data_body();
            }
            decide(d, std::move(normal));
            return;
        }
        case CommandVerb::Rset:
            reset_transaction();
            decide(policy_.on_rset(), ServerReply::single(250, "2.0.0 Ok"));
            return;
        case CommandVerb::Noop: decide(policy_.on_noop(), ServerReply::single(250, "2.0.0 Ok")); return;
        case CommandVerb::Quit: {
            decide(policy_.on_quit(), ServerReply::single(221, "2.0.0 Bye"), CloseReason::Quit);
            return;
        }
        case CommandVerb::Vrfy:
            // RFC 5321 §3.5.3: 252 when the server will not verify but would try delivery.
            reply_now(ServerReply::single(252, "2.0.0 Cannot VRFY user; try RCPT to attempt delivery"));
            return;
        case CommandVerb::Help:
            reply_now(ServerReply::single(214, "2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP"));
            return;
        case CommandVerb::StartTls: {
            // Postfix's words for each refusal.
            if (config_.tls == ServerTls::None) return error_reply(ServerReply::single(502, "5.5.1 Error: command not implemented"));
            if (tls_active_) return error_reply(ServerReply::single(554, "5.5.1 Error: TLS already active"));
            if (!cmd.argument.empty()) return error_reply(ServerReply::single(501, "5.5.4 Syntax: STARTTLS"));
            Decision d = policy_.on_starttls();
            ServerReply normal = ServerReply::single(220, "2.0.0 Ready to start TLS");
            if (d.action == DecisionAction::Reply && (d.reply ? d.reply->code() : 220) == 220) {
                reset_transaction();
                tls_next_ = true;  // the handshake starts once this reply is written
            }
            decide(d, std::move(normal));
            return;
        }
        case CommandVerb::Unknown: return;
    }
}

void ServerSession::handle_data_bytes() {
    std::size_t allow = input_.size();
    if (cut_) allow = std::min(allow, cut_->after_bytes > data_->raw_bytes() ? cut_->after_bytes - data_->raw_bytes() : 0);
    std::size_t used = data_->feed(std::string_view(input_).substr(0, allow));
    input_.erase(0, used);
    if (data_->done()) return finish_message();
    if (cut_ && data_->raw_bytes() >= cut_->after_bytes) {
        Decision d = cut_->decision;
        data_.reset();
        cut_.reset();
        input_.clear();
        phase_ = Phase::Commands;
        reset_transaction();
        // Whatever the decision, the session ends here: a cut message is never delivered.
        decide(d, ServerReply::single(421, "4.3.0 " + config_.hostname + " Error: closing"), CloseReason::Dropped);
    }
}

void ServerSession::finish_message() {
    std::string body = data_->take_body();
    bool oversized = data_->oversized();
    data_.reset();
    cut_.reset();
    phase_ = Phase::Commands;
    policy_.on_message_received(env_, body, oversized);
    if (oversized) {
        reply_now(ServerReply::single(552, "5.3.4 Error: message file too big"));
    } else {
        Decision d = policy_.on_message(env_, body);
        decide(d, ServerReply::single(250, "2.0.0 Ok: queued"));
    }
    // RFC 5321 §4.1.1.4: after the reply to the end of data the transaction is over either way.
    reset_transaction();
}

void ServerSession::decide(const Decision& d, ServerReply normal, std::optional<CloseReason> close_after) {
    if (d.action == DecisionAction::Silent) {
        phase_ = Phase::Silent;
        return;
    }
    Deferred def{d, d.reply ? *d.reply : std::move(normal), close_after};
    if (d.delay > Duration::zero()) {
        deferred_ = std::move(def);
        return;
    }
    carry_out(std::move(def));
}

void ServerSession::carry_out(Deferred d) {
    if (phase_ == Phase::Closed) return;
    if (d.decision.action == DecisionAction::Drop) return close(CloseReason::Dropped);
    if (d.decision.commit != 0) {
        committing_ = std::move(d);
        return;
    }
    send(d);
}

void ServerSession::send(const Deferred& d) {
    reply_now(d.reply);
    if (d.close_after) close(*d.close_after);
    // RFC 5321 §3.8: a 421 reply means the server is closing the transmission channel.
    else if (d.reply.code() == 421) close(CloseReason::ServiceClosing);
}

void ServerSession::reply_now(const ServerReply& r) {
    output_ += r.wire();
    policy_.on_reply(r);
}

void ServerSession::error_reply(const ServerReply& r) {
    reply_now(r);
    // Postfix's smtpd_hard_error_limit: a client that only sends garbage is disconnected.
    if (++errors_ >= config_.max_errors) {
        reply_now(ServerReply::single(421, "4.7.0 " + config_.hostname + " Error: too many errors"));
        close(CloseReason::TooManyErrors);
    }
}

void ServerSession::close(CloseReason why) {
    if (phase_ == Phase::Closed) return;
    phase_ = Phase::Closed;
    input_.clear();
    policy_.on_closed(why);
}

void ServerSession::reset_transaction() {
    in_transaction_ = false;
    env_.mail_from.clear();
    env_.mail_params = {};
    env_.rcpt_to.clear();
    rcpts_tried_ = 0;
}

std::optional<ServerReply> ServerSession::smtputf8_refusal(const ClientCommand& cmd) const {
    bool mail = cmd.verb == CommandVerb::Mail;
    if (mail && cmd.params.smtputf8 && !smtputf8_offered_)
        return ServerReply::single(555, "5.5.4 Unsupported option: SMTPUTF8");
    if (!smtputf8_offered_ || !has_non_ascii(cmd.path)) return std::nullopt;
    // RFC 6531 §3.4: SMTPUTF8 on MAIL opens the UTF-8 syntax for the whole transaction (RCPT too).
    bool declared = mail ? cmd.params.smtputf8 : env_.mail_params.smtputf8;
    if (declared) return std::nullopt;
    // RFC 6531 §3.5: 553 with the enhanced code X.6.7 (RFC 5248).
    return ServerReply::single(553, mail ? "5.6.7 Non-ASCII addresses not permitted for that sender"
                                         : "5.6.7 Non-ASCII addresses not permitted for that recipient");
}

ServerReply ServerSession::ehlo_reply() const {
    std::vector<std::string> texts{config_.hostname};
    texts.insert(texts.end(), config_.capabilities.begin(), config_.capabilities.end());
    // RFC 3207 §4.2: not offered again once TLS is up.
    if (config_.tls != ServerTls::None && !tls_active_ && !offers(config_.capabilities, "STARTTLS"))
        texts.emplace_back("STARTTLS");
    return ServerReply::multi(250, texts);
}

}  // namespace relaylab::smtp
