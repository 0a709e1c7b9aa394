// A scripted remote mail exchanger on a loopback address: answers per its MtaScript, counts
// connection attempts, and records what each connection received.
#pragma once

#include "clock/clock.hpp"
#include "scenarios/world/smtp_received.hpp"
#include "scenarios/world/smtp_script.hpp"
#include "smtpserver/listener.hpp"
#include "tls/certificates.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace relaylab::world {

class ScriptedMta {
public:
    // Sees every dialogue line as it happens (on the executor's thread): connection index, line.
    using DialogueObserver = std::function<void(std::size_t connection, const DialogueLine&)>;

    // Listens at once on ip:port (0: ephemeral). Throws boost::system::system_error if it cannot bind.
    ScriptedMta(boost::asio::any_io_executor ex, Clock& clock, MtaScript script, const std::string& ip,
                unsigned short port, DialogueObserver observer = {});
    // With STARTTLS (script.tls.offer): the certificate is made now for `tls_name` (the MX host's
    // name), issued by `authority` (the run's; one of its own when null), valid around the clock's
    // now, or as script.tls.certificate says.
    ScriptedMta(boost::asio::any_io_executor ex, Clock& clock, MtaScript script, const std::string& ip,
                unsigned short port, DialogueObserver observer, const std::string& tls_name,
                const tls::Credentials* authority);
    ~ScriptedMta();
    ScriptedMta(const ScriptedMta&) = delete;
    ScriptedMta& operator=(const ScriptedMta&) = delete;

    unsigned short port() const { return listener_->port(); }
    const std::string& ip() const { return listener_->ip(); }
    const MtaScript& script() const;
    // Stops listening and closes open connections; safe from any thread.
    void stop() { listener_->stop(); }

    // A copy of the records so far (thread-safe), one per connection in accept order
    // (at most max_recorded_connections).
    std::vector<ReceivedConnection> received() const;
    std::size_t connections() const;  // accepted so far, recorded or not

    struct State;

private:
    std::shared_ptr<State> state_;
    std::unique_ptr<smtp::Listener> listener_;
};

}  // namespace relaylab::world
