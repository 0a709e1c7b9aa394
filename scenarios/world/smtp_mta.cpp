#include "scenarios/world/smtp_mta.hpp"

#include "scenarios/world/smtp_policy.hpp"

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
};

ScriptedMta::ScriptedMta(boost::asio::any_io_executor ex, Clock& clock, MtaScript script, const std::string& ip,
                         unsigned short port, DialogueObserver observer)
    : state_(std::make_shared<State>(clock, std::move(script), std::move(observer))) {
    auto factory = [state = state_](const smtp::ConnectionInfo& info) -> std::unique_ptr<smtp::ServerPolicy> {
        std::size_t attempt = 0;
        std::size_t slot = 0;
        bool recorded = false;
        DialogueLine connect{state->clock.now(), '*',
                             "connect from " + info.peer_ip + ":" + std::to_string(info.peer_port)};
        {
            std::lock_guard lock(state->mutex);
            attempt = state->accepted++;
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
        return std::make_unique<ScriptedPolicy>(state->script, attempt, state->clock, update, on_line, state->start);
    };
    listener_ = std::make_unique<smtp::Listener>(ex, clock, ip, port, state_->script.server_config(), factory);
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
