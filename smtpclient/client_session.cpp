#include "smtpclient/client_session.hpp"

#include <algorithm>

namespace relaylab::smtp {

namespace {
std::string remote_label(const Remote& r) {
    return r.host + "[" + r.ip + "]:" + std::to_string(r.port);
}
}  // namespace

std::string_view to_string(TlsLevel level) {
    switch (level) {
        case TlsLevel::None: return "none";
        case TlsLevel::May: return "may";
        case TlsLevel::Encrypt: return "encrypt";
        case TlsLevel::Verify: return "verify";
    }
    return "none";
}

std::optional<TlsLevel> tls_level_from_string(std::string_view s) {
    for (auto level : {TlsLevel::None, TlsLevel::May, TlsLevel::Encrypt, TlsLevel::Verify})
        if (to_string(level) == s) return level;
    return std::nullopt;
}

ClientSession::ClientSession(ClientConfig config, Remote remote)
    : config_(std::move(config)), remote_(std::move(remote)), parser_(config_.reply_limits) {}

bool ClientSession::usable() const {
    return phase_ == Phase::Running && ready_ && status_.ok && !quitting_ && !tx_ && out_.empty() &&
           expects_.empty();
}

void ClientSession::log(TimePoint at, char dir, std::string text) {
    if (transcript_.size() < config_.max_transcript_lines)
        transcript_.push_back({at, dir, std::move(text)});
    else if (transcript_.size() == config_.max_transcript_lines)
        transcript_.push_back({at, '*', "transcript truncated"});
}

Duration ClientSession::timeout_for(Stage stage) const {
    switch (stage) {
        case Stage::Connect: return config_.connect_timeout;
        case Stage::Greeting: return config_.greeting_timeout;
        case Stage::Ehlo:
        case Stage::Helo: return config_.ehlo_timeout;
        case Stage::StartTls: return config_.starttls_timeout;
        case Stage::Mail: return config_.mail_timeout;
        case Stage::Rcpt: return config_.rcpt_timeout;
        case Stage::Data: return config_.data_init_timeout;
        case Stage::Dot:
        case Stage::Done: return config_.dot_timeout;
        case Stage::Rset: return config_.rset_timeout;
        case Stage::Quit: return config_.quit_timeout;
    }
    return config_.dot_timeout;
}

void ClientSession::queue_write(Stage stage, std::string bytes, Duration timeout) {
    if (out_.empty()) {
        stage_ = stage;
        write_timeout_ = timeout;
    }
    // One transcript line per command (a pipelined batch holds several).
    std::string_view rest = bytes;
    while (!rest.empty()) {
        std::size_t end = rest.find("\r\n");
        log(now_, 'C', std::string(rest.substr(0, end)));
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
    }
    out_ += bytes;
}

void ClientSession::expect(Stage stage, std::size_t index) { expects_.push_back({stage, index}); }

void ClientSession::arm_reply_deadline() {
    if (expects_.empty()) {
        reply_deadline_.reset();
        return;
    }
    stage_ = expects_.front().stage;
    reply_deadline_ = now_ + timeout_for(stage_);
}

// --- events -------------------------------------------------------------------------------------

void ClientSession::on_connected(TimePoint now) {
    now_ = now;
    if (phase_ != Phase::Connecting) return;
    log(now, '*', "connected to " + remote_label(remote_));
    phase_ = Phase::Running;
    expect(Stage::Greeting);
    arm_reply_deadline();
}

void ClientSession::on_written(TimePoint now) {
    now_ = now;
    if (phase_ != Phase::Running) return;
    out_.clear();
    if (!body_.empty()) {
        if (body_sent_ < body_.size()) {
            std::size_t n = std::min(config_.data_block_bytes, body_.size() - body_sent_);
            out_.assign(body_, body_sent_, n);
            body_sent_ += n;
            write_timeout_ = config_.data_block_timeout;
            return;
        }
        body_.clear();
        body_sent_ = 0;
        expect(Stage::Dot);
    }
    arm_reply_deadline();
}

void ClientSession::on_bytes(std::string_view bytes, TimePoint now) {
    now_ = now;
    if (phase_ != Phase::Running) return;
    for (;;) {
        bytes.remove_prefix(parser_.put(bytes));
        if (parser_.failed()) return fail_io(NetError::Protocol, parser_.error());
        auto reply = parser_.take();
        if (!reply) return;
        for (std::size_t i = 0; i < reply->lines.size(); ++i) {
            bool last = i + 1 == reply->lines.size();
            log(now, 'S', std::to_string(reply->code) + (last ? " " : "-") + reply->lines[i]);
        }
        // A reply must answer something already sent: none may come while our next command
        // waits to be written (RFC 2920 §3.1 lets only the client batch).
        if (expects_.empty() || !out_.empty())
            return fail_io(NetError::Protocol, ProtocolError::UnexpectedReply);
        handle(*reply);
        if (phase_ != Phase::Running) return;
        if (!out_.empty() && !bytes.empty())
            return fail_io(NetError::Protocol, ProtocolError::UnexpectedReply);
        // RFC 3207 §4.2 / §6: nothing may follow the 220 to STARTTLS in plain text; bytes that do
        // would be read as if the TLS session had sent them (the STARTTLS injection attack).
        if (tls_handshake_ && (!bytes.empty() || !parser_.idle()))
            return fail_io(NetError::Protocol, ProtocolError::UnexpectedReply);
    }
}

void ClientSession::on_timeout(TimePoint now) {
    now_ = now;
    if (phase_ == Phase::Connecting) {
        log(now, '*', "connect to " + remote_label(remote_) + " timed out");
        fail_session(Stage::Connect, std::nullopt, NetError::ConnectTimeout, ProtocolError::None);
    } else if (phase_ == Phase::Running) {
        fail_io(NetError::Timeout);
    }
}

void ClientSession::on_error(NetError error, TimePoint now) {
    now_ = now;
    if (phase_ == Phase::Connecting) {
        log(now, '*', "connect to " + remote_label(remote_) + " failed: " + std::string(to_string(error)));
        fail_session(Stage::Connect, std::nullopt, error, ProtocolError::None);
    } else if (phase_ == Phase::Running) {
        fail_io(error);
    }
}

void ClientSession::on_tls(const tls::Negotiated& negotiated, TimePoint now) {
    now_ = now;
    if (phase_ != Phase::Running || !tls_handshake_) return;
    tls_handshake_ = false;
    tls_active_ = true;
    tls_ = negotiated;
    // Postfix's log line (tls_client.c): "Untrusted TLS connection established to host[ip]:port: ...".
    log(now, '*', std::string(tls::trust_word(negotiated.trust)) + " TLS connection established to " +
                      remote_label(remote_) + ": " + tls::describe(negotiated));
    if (config_.tls == TlsLevel::Verify && negotiated.trust != tls::Trust::Verified) {
        log(now, '*', "server certificate verification failed for " + remote_label(remote_) + ": " +
                          (negotiated.verify_words.empty() ? std::string(tls::to_string(negotiated.trust))
                                                           : negotiated.verify_words));
        NetError why = negotiated.trust == tls::Trust::Expired   ? NetError::TlsExpired
                       : negotiated.trust == tls::Trust::Trusted ? NetError::TlsWrongName
                                                                 : NetError::TlsUntrusted;
        // The session is encrypted: QUIT goes over TLS, as Postfix does.
        return fail_session(Stage::StartTls, std::nullopt, why, ProtocolError::None, true);
    }
    // RFC 3207 §4.2: forget what the server said before TLS and ask again.
    caps_ = Capabilities{};
    queue_write(Stage::Ehlo, "EHLO " + config_.helo_name + "\r\n", config_.ehlo_timeout);
    expect(Stage::Ehlo);
}

void ClientSession::on_tls_failed(std::string_view why, TimePoint now) {
    now_ = now;
    if (phase_ != Phase::Running || !tls_handshake_) return;
    tls_handshake_ = false;
    log(now, '*', "TLS handshake with " + remote_label(remote_) + " failed" + (why.empty() ? "" : ": " + std::string(why)));
    fail_io(NetError::TlsHandshake);
}

// --- requests -----------------------------------------------------------------------------------

void ClientSession::submit(Message message) {
    bool gone = phase_ == Phase::Closing || phase_ == Phase::Finished || quitting_ || !status_.ok;
    if (!gone) {
        pending_.push_back(std::move(message));
        return;
    }
    // Too late for this session: the caller learns why (and may retry elsewhere).
    Transaction tx{std::move(message), {}, {}, false, false};
    for (const auto& rcpt : tx.message.recipients) {
        RecipientOutcome o;
        o.address = rcpt;
        o.remote = remote_;
        if (!status_.ok && !ready_) {
            o.stage = status_.stage;
            o.reply = status_.reply;
            o.net = status_.net;
            o.protocol = status_.protocol;
        } else {
            o.stage = status_.ok ? Stage::Mail : status_.stage;
            o.net = status_.ok || status_.net == NetError::None ? NetError::Closed : status_.net;
            o.protocol = status_.protocol;
        }
        tx.outcomes.push_back(std::move(o));
    }
    done_.push_back(std::move(tx.outcomes));
}

void ClientSession::quit() { quit_requested_ = true; }

std::vector<std::vector<RecipientOutcome>> ClientSession::take_outcomes() {
    return std::exchange(done_, {});
}

Action ClientSession::next() {
    for (;;) {
        switch (phase_) {
            case Phase::Start:
                phase_ = Phase::Connecting;
                [[fallthrough]];
            case Phase::Connecting:
                return {Action::Kind::Connect, {}, config_.connect_timeout};
            case Phase::Closing:
                phase_ = Phase::Finished;
                log(now_, '*', "close");
                return {Action::Kind::Close, {}, {}};
            case Phase::Finished:
                return {Action::Kind::Finished, {}, {}};
            case Phase::Running:
                break;
        }
        if (tls_handshake_) return {Action::Kind::StartTls, {}, config_.starttls_timeout};
        if (!out_.empty()) return {Action::Kind::Write, out_, write_timeout_};
        if (!expects_.empty()) {
            Duration left = reply_deadline_ ? *reply_deadline_ - now_ : timeout_for(expects_.front().stage);
            return {Action::Kind::Read, {}, std::max(left, Duration::zero())};
        }
        if (ready_ && !tx_ && !pending_.empty() && !quitting_) {
            start_transaction();
            continue;
        }
        if (quit_requested_ && !quitting_) {
            quitting_ = true;
            queue_write(Stage::Quit, "QUIT\r\n", config_.quit_timeout);
            expect(Stage::Quit);
            continue;
        }
        return {Action::Kind::Idle, {}, {}};
    }
}

// --- replies ------------------------------------------------------------------------------------

void ClientSession::handle(const Reply& reply) {
    Expect e = expects_.front();
    expects_.erase(expects_.begin());
    switch (e.stage) {
        case Stage::Greeting:
            // RFC 5321 §3.1: 220 opens the session; 554 (or 421) refuses it.
            if (!reply.positive()) return fail_session(Stage::Greeting, reply, NetError::None, ProtocolError::None);
            queue_write(Stage::Ehlo, "EHLO " + config_.helo_name + "\r\n", config_.ehlo_timeout);
            expect(Stage::Ehlo);
            return;
        case Stage::Ehlo:
            if (reply.positive()) {
                after_ehlo(reply);
            } else if (reply.permanent()) {
                // RFC 5321 §3.2: a server that does not know EHLO answers 500/502; HELO then.
                queue_write(Stage::Helo, "HELO " + config_.helo_name + "\r\n", config_.ehlo_timeout);
                expect(Stage::Helo);
            } else {
                fail_session(Stage::Ehlo, reply, NetError::None, ProtocolError::None);
            }
            return;
        case Stage::Helo:
            if (!reply.positive()) return fail_session(Stage::Helo, reply, NetError::None, ProtocolError::None);
            caps_ = Capabilities{};
            if (config_.tls == TlsLevel::Encrypt || config_.tls == TlsLevel::Verify) {
                // A HELO session has no extensions: no STARTTLS either.
                log(now_, '*', "TLS is required, but was not offered by host " + remote_.host + "[" + remote_.ip + "]");
                return fail_session(Stage::StartTls, std::nullopt, NetError::TlsNotOffered, ProtocolError::None, true);
            }
            ready_ = true;
            return;
        case Stage::StartTls:
            if (reply.code == 220) {
                // The driver's handshake is next (next() says StartTls); failures are charged here.
                tls_handshake_ = true;
                stage_ = Stage::StartTls;
                log(now_, '*', "starting TLS with " + remote_label(remote_));
                return;
            }
            if (config_.tls == TlsLevel::May) {
                // Opportunistic: the server stays in plain text and so do we (RFC 3207 §4).
                log(now_, '*', "host " + remote_.host + "[" + remote_.ip + "] refused to start TLS: " +
                                   std::to_string(reply.code) + " " + (reply.lines.empty() ? "" : reply.lines.front()) +
                                   "; delivering in plain text");
                ready_ = true;
                break;
            }
            return fail_session(Stage::StartTls, reply, NetError::None, ProtocolError::None);
        case Stage::Mail:
        case Stage::Rcpt:
        case Stage::Data:
        case Stage::Dot:
            handle_transaction_reply(e, reply);
            break;
        case Stage::Rset:
            rset_pending_ = false;
            if (!reply.positive()) {
                // The session can no longer be trusted with a transaction; outcomes stay as they are.
                return fail_session(Stage::Rset, std::nullopt, NetError::Closed, ProtocolError::None);
            }
            break;
        case Stage::Quit:
            expects_.clear();
            phase_ = Phase::Closing;
            return;
        case Stage::Connect:
        case Stage::Done:
            break;
    }
    // Pipelined replies still to come: the next one's deadline starts now. A queued write arms it
    // when written instead.
    if (phase_ == Phase::Running && out_.empty()) arm_reply_deadline();
}

void ClientSession::handle_transaction_reply(const Expect& e, const Reply& reply) {
    if (!tx_) return fail_io(NetError::Protocol, ProtocolError::UnexpectedReply);
    Transaction& tx = *tx_;
    bool pipelined = config_.use_pipelining && caps_.pipelining;
    auto send_rcpt_from = [&](std::size_t i) {
        while (i < tx.states.size() && tx.states[i] != RcptState::Pending) ++i;
        if (i == tx.states.size()) return after_rcpts();
        queue_write(Stage::Rcpt, "RCPT TO:<" + tx.message.recipients[i] + ">\r\n", config_.rcpt_timeout);
        expect(Stage::Rcpt, i);
    };
    auto any_accepted = [&] {
        return std::find(tx.states.begin(), tx.states.end(), RcptState::Accepted) != tx.states.end();
    };
    switch (e.stage) {
        case Stage::Mail:
            if (!reply.positive()) {
                tx.mail_failed = true;
                fail_transaction(tx, Stage::Mail, reply, NetError::None, ProtocolError::None, true);
                // Pipelined: the RCPT and DATA replies still come and are read (RFC 2920 §3.1).
                if (!pipelined) end_transaction(false);
                return;
            }
            if (!pipelined) send_rcpt_from(0);
            return;
        case Stage::Rcpt:
            if (!tx.mail_failed && e.index < tx.states.size()) {
                auto& o = tx.outcomes[e.index];
                o.reply = reply;
                if (reply.positive()) {
                    tx.states[e.index] = RcptState::Accepted;
                } else {
                    tx.states[e.index] = RcptState::Failed;
                    o.stage = Stage::Rcpt;
                }
            }
            if (!pipelined) send_rcpt_from(e.index + 1);
            return;
        case Stage::Data:
            if (reply.code == 354) {
                // RFC 2920 §3.1: with no recipient accepted the pipelined DATA may still get 354;
                // the transaction is then ended with "." alone and delivers nothing.
                if (tx.mail_failed || !any_accepted()) {
                    body_ = ".\r\n";
                    log(now_, 'C', ".");
                } else {
                    body_ = encode_data(tx.message.body);
                    log(now_, 'C', "<body: " + std::to_string(body_.size()) + " bytes>");
                }
                tx.dot_sent = true;
                std::size_t n = std::min(config_.data_block_bytes, body_.size());
                stage_ = Stage::Data;
                write_timeout_ = config_.data_block_timeout;
                out_.assign(body_, 0, n);
                body_sent_ = n;
                return;
            }
            if (!tx.mail_failed) fail_transaction(tx, Stage::Data, reply, NetError::None, ProtocolError::None, true);
            return end_transaction(!tx.mail_failed);
        case Stage::Dot:
            if (!tx.mail_failed) {
                for (std::size_t i = 0; i < tx.states.size(); ++i) {
                    if (tx.states[i] != RcptState::Accepted) continue;
                    tx.outcomes[i].stage = reply.positive() ? Stage::Done : Stage::Dot;
                    tx.outcomes[i].reply = reply;
                }
            }
            return end_transaction(false);
        default:
            return;
    }
}

void ClientSession::after_ehlo(const Reply& reply) {
    caps_ = Capabilities::from_ehlo(reply);
    const bool wanted = config_.tls != TlsLevel::None && !tls_active_;
    if (wanted && caps_.starttls) {
        queue_write(Stage::StartTls, "STARTTLS\r\n", config_.starttls_timeout);
        expect(Stage::StartTls);
        return;
    }
    if (wanted && config_.tls != TlsLevel::May) {
        log(now_, '*', "TLS is required, but was not offered by host " + remote_.host + "[" + remote_.ip + "]");
        return fail_session(Stage::StartTls, std::nullopt, NetError::TlsNotOffered, ProtocolError::None, true);
    }
    ready_ = true;
}

void ClientSession::after_rcpts() {
    Transaction& tx = *tx_;
    if (std::find(tx.states.begin(), tx.states.end(), RcptState::Accepted) == tx.states.end())
        return end_transaction(true);  // the server holds an open transaction: RSET it
    queue_write(Stage::Data, "DATA\r\n", config_.data_init_timeout);
    expect(Stage::Data);
}

void ClientSession::start_transaction() {
    Transaction tx{std::move(pending_.front()), {}, {}, false, false};
    pending_.erase(pending_.begin());
    for (const auto& rcpt : tx.message.recipients) {
        RecipientOutcome o;
        o.address = rcpt;
        o.stage = Stage::Mail;
        o.remote = remote_;
        tx.outcomes.push_back(std::move(o));
        tx.states.push_back(unsafe_in_command(rcpt) ? RcptState::Failed : RcptState::Pending);
    }
    tx_ = std::move(tx);
    Transaction& t = *tx_;
    for (std::size_t i = 0; i < t.states.size(); ++i)
        if (t.states[i] == RcptState::Failed) {
            t.outcomes[i].stage = Stage::Rcpt;
            t.outcomes[i].net = NetError::Local;
        }
    std::size_t size = message_size(t.message.body);
    // RFC 6531 §3.2: an address with non-ASCII octets goes only to a server that offers SMTPUTF8;
    // otherwise it is never sent and its recipient fails here (the caller bounces it, 5.6.7). A UTF-8
    // sender fails the whole transaction; a UTF-8 recipient only itself.
    bool utf8_sender = has_8bit(t.message.mail_from);
    if (!caps_.smtputf8 && !unsafe_in_command(t.message.mail_from)) {
        bool refused = false;
        for (std::size_t i = 0; i < t.states.size(); ++i) {
            if (t.states[i] != RcptState::Pending || !(utf8_sender || has_8bit(t.message.recipients[i]))) continue;
            t.states[i] = RcptState::Failed;
            t.outcomes[i].stage = utf8_sender ? Stage::Mail : Stage::Rcpt;
            t.outcomes[i].net = NetError::Smtputf8NotOffered;
            refused = true;
        }
        if (refused) log(now_, '*', "SMTPUTF8 is required, but was not offered by host " + remote_.host + "[" + remote_.ip + "]");
    }
    if (unsafe_in_command(t.message.mail_from)) {
        fail_transaction(t, Stage::Mail, std::nullopt, NetError::Local, ProtocolError::None, true);
    } else if (caps_.size && caps_.size_limit != 0 && size > caps_.size_limit) {
        // RFC 1870 §6.1: don't send what the server said it would refuse.
        fail_transaction(t, Stage::Mail, std::nullopt, NetError::TooLarge, ProtocolError::None, true);
    }
    if (std::find(t.states.begin(), t.states.end(), RcptState::Pending) == t.states.end())
        return end_transaction(false);

    std::string mail = "MAIL FROM:<" + t.message.mail_from + ">";
    if (caps_.size) mail += " SIZE=" + std::to_string(size);
    if (caps_.eight_bit_mime && has_8bit(t.message.body)) mail += " BODY=8BITMIME";
    bool utf8_address = has_8bit(t.message.mail_from) ||
                        std::any_of(t.message.recipients.begin(), t.message.recipients.end(),
                                    [](const std::string& r) { return has_8bit(r); });
    if (caps_.smtputf8 && utf8_address) mail += " SMTPUTF8";  // RFC 6531 §3.4
    queue_write(Stage::Mail, mail + "\r\n", config_.mail_timeout);
    expect(Stage::Mail);
    if (!(config_.use_pipelining && caps_.pipelining)) return;
    // RFC 2920 §3.1: MAIL, every RCPT and DATA in one write; replies read in order.
    for (std::size_t i = 0; i < t.states.size(); ++i) {
        if (t.states[i] != RcptState::Pending) continue;
        queue_write(Stage::Rcpt, "RCPT TO:<" + t.message.recipients[i] + ">\r\n", config_.rcpt_timeout);
        expect(Stage::Rcpt, i);
    }
    queue_write(Stage::Data, "DATA\r\n", config_.data_init_timeout);
    expect(Stage::Data);
}

void ClientSession::end_transaction(bool needs_rset) {
    done_.push_back(std::move(tx_->outcomes));
    tx_.reset();
    // RFC 5321 §4.1.1.5: RSET aborts what the server holds, so the connection can be reused.
    // Not needed when QUIT comes next.
    bool quitting_next = quit_requested_ && pending_.empty();
    if (needs_rset && !quitting_next) {
        rset_pending_ = true;
        queue_write(Stage::Rset, "RSET\r\n", config_.rset_timeout);
        expect(Stage::Rset);
    }
}

// --- failures -----------------------------------------------------------------------------------

void ClientSession::fail_transaction(Transaction& tx, Stage stage, const std::optional<Reply>& reply,
                                     NetError net, ProtocolError protocol, bool only_open) {
    for (std::size_t i = 0; i < tx.states.size(); ++i) {
        if (only_open && tx.states[i] == RcptState::Failed) continue;
        tx.states[i] = RcptState::Failed;
        auto& o = tx.outcomes[i];
        o.stage = stage;
        o.reply = reply;
        o.net = net;
        o.protocol = protocol;
    }
}

void ClientSession::fail_session(Stage stage, const std::optional<Reply>& reply, NetError net,
                                 ProtocolError protocol, bool quit_anyway) {
    status_ = {false, stage, reply, net, protocol};
    if (tx_) {
        fail_transaction(*tx_, stage, reply, net, protocol, true);
        done_.push_back(std::move(tx_->outcomes));
        tx_.reset();
    }
    // Transactions not yet started: a failure while opening is theirs too (same stage and reply);
    // a later one only means this connection is gone.
    NetError pending_net = ready_ ? (net == NetError::None ? NetError::Closed : net) : net;
    std::optional<Reply> pending_reply = ready_ ? std::nullopt : reply;
    while (!pending_.empty()) {
        Transaction tx{std::move(pending_.front()), {}, {}, false, false};
        pending_.erase(pending_.begin());
        for (const auto& rcpt : tx.message.recipients) {
            RecipientOutcome o;
            o.address = rcpt;
            o.stage = stage;
            o.reply = pending_reply;
            o.net = pending_net;
            o.protocol = protocol;
            o.remote = remote_;
            tx.outcomes.push_back(std::move(o));
        }
        done_.push_back(std::move(tx.outcomes));
    }
    out_.clear();
    expects_.clear();
    body_.clear();
    reply_deadline_.reset();
    if ((reply || quit_anyway) && phase_ == Phase::Running && !quitting_) {
        // RFC 5321 §3.1/§4.1.1.10: a refusing server still expects QUIT; so does one we refuse
        // for its TLS (the connection itself is fine).
        quitting_ = true;
        queue_write(Stage::Quit, "QUIT\r\n", config_.quit_timeout);
        expect(Stage::Quit);
    } else if (phase_ != Phase::Finished) {
        phase_ = Phase::Closing;
    }
}

void ClientSession::fail_io(NetError net, ProtocolError protocol) {
    std::string what = net == NetError::Protocol ? "protocol error: " + std::string(to_string(protocol))
                                                 : std::string(to_string(net));
    log(now_, '*', what + " at " + std::string(to_string(stage_)));
    if (quitting_) {
        // QUIT's own fate never changes an outcome.
        out_.clear();
        expects_.clear();
        phase_ = Phase::Closing;
        return;
    }
    fail_session(stage_, std::nullopt, net, protocol);
}

}  // namespace relaylab::smtp
