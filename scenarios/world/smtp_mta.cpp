#include "scenarios/world/smtp_mta.hpp"

#include "scenarios/world/smtp_policy.hpp"

#include "tls/context.hpp"

#include <stdexcept>

namespace relaylab::world {

// Shared with every connection's policy, so a record stays valid for as long as a session runs.
struct ScriptedMta::State {
    State(Clock& c, MtaScript s, DialogueObserver o)
        : clock(c), start(c.now()), script(std::move(s)), observer(std::move(o)) {}
    Clock& clock;
    const TimePoint start;  // the script's schedules count from here (docs/world-smtp.md)
    const MtaScript script;
    DialogueObserver observer;
    mutable std::mutex mutex;
    std::vector<ReceivedConnection> connections;
    std::size_t accepted = 0;
    std::size_t open = 0;  // connections open now within max_connections (those beyond it not counted)
};

namespace {

// The server side of a scripted remote's STARTTLS, made at run time (docs/world-smtp.md "TLS").
std::shared_ptr<boost::asio::ssl::context> scripted_tls(const MtaTls& t, const std::string& name, TimePoint now,
                                                        const tls::Credentials* authority) {
    if (!t.offer) return nullptr;
    if (t.certificate == MtaCertificate::None)  // no certificate: every handshake fails
        return std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    using std::chrono::hours;
    const auto day = hours(24);
    std::optional<tls::Credentials> own;
    if (!authority) {
        own = tls::make_certificate({"relaylab remote authority", now - 2 * 365 * day, now + 10 * 365 * day, true}, nullptr);
        authority = &*own;
    }
    tls::CertificateSpec spec{name, now - day, now + 365 * day, false};
    const tls::Credentials* issuer = authority;
    switch (t.certificate) {
        case MtaCertificate::Valid: break;
        case MtaCertificate::SelfSigned: issuer = nullptr; break;
        case MtaCertificate::Expired:
            spec.not_before = now - 400 * day;
            spec.not_after = now - day;
            break;
        case MtaCertificate::WrongName: spec.name = "wrong-name.invalid"; break;
        case MtaCertificate::None: break;
    }
    auto made = tls::make_certificate(spec, issuer);
    auto ctx = tls::server_context_from_pem(made.cert_pem, made.key_pem);
    if (!ctx) throw std::runtime_error("scripted remote " + name + ": TLS: " + ctx.error());
    return std::move(*ctx);
}

}  // namespace

ScriptedMta::ScriptedMta(boost::asio::any_io_executor ex, Clock& clock, MtaScript script, const std::string& ip,
                         unsigned short port, DialogueObserver observer)
    : ScriptedMta(ex, clock, std::move(script), ip, port, std::move(observer), "", nullptr) {}

ScriptedMta::ScriptedMta(boost::asio::any_io_executor ex, Clock& clock, MtaScript script, const std::string& ip,
                         unsigned short port, DialogueObserver observer, const std::string& tls_name,
                         const tls::Credentials* authority)
    : state_(std::make_shared<State>(clock, std::move(script), std::move(observer))) {
    auto factory = [state = state_](const smtp::ConnectionInfo& info) -> std::unique_ptr<smtp::ServerPolicy> {
        std::size_t attempt = 0;
        std::size_t slot = 0;
        bool recorded = false;
        bool over_limit = false;
        DialogueLine connect{state->clock.now(), '*',
                             "connect from " + info.peer_ip + ":" + std::to_string(info.peer_port)};
        {
            std::lock_guard lock(state->mutex);
            attempt = state->accepted++;
            over_limit = state->script.max_connections > 0 && state->open >= state->script.max_connections;
            if (!over_limit) ++state->open;
            if (state->connections.size() < max_recorded_connections) {
                ReceivedConnection c;
                c.attempt = attempt;
                c.peer_ip = info.peer_ip;
                c.peer_port = info.peer_port;
                c.connected_at = connect.at;
                c.dialogue.push_back(connect);
                slot = state->connections.size();
                state->connections.push_back(std::move(c));
                recorded = true;
            }
        }
        auto update = [state, slot, recorded](const std::function<void(ReceivedConnection&)>& f) {
            if (!recorded) return;
            std::lock_guard lock(state->mutex);
            f(state->connections[slot]);
        };
        ScriptedPolicy::LineObserver on_line;
        if (state->observer) {
            state->observer(attempt, connect);
            on_line = [state, attempt](const DialogueLine& l) { state->observer(attempt, l); };
        }
        auto policy = std::make_unique<ScriptedPolicy>(state->script, attempt, state->clock, update, on_line, state->start);
        if (over_limit) {
            policy->over_connection_limit();
        } else if (state->script.max_connections > 0) {
            policy->on_close([state] {
                std::lock_guard lock(state->mutex);
                --state->open;
            });
        }
        return policy;
    };
    auto tls = scripted_tls(state_->script.tls, tls_name.empty() ? state_->script.hostname : tls_name, clock.now(), authority);
    listener_ = std::make_unique<smtp::Listener>(ex, clock, ip, port, state_->script.server_config(), factory,
                                                 smtp::Committer{}, std::move(tls));
}

ScriptedMta::~ScriptedMta() { listener_->stop(); }

const MtaScript& ScriptedMta::script() const { return state_->script; }

std::vector<ReceivedConnection> ScriptedMta::received() const {
    std::lock_guard lock(state_->mutex);
    return state_->connections;
}

std::size_t ScriptedMta::connections() const {
    std::lock_guard lock(state_->mutex);
    return state_->accepted;
}

}  // namespace relaylab::world
