// The thin Asio driver of the control protocol (queue/control.hpp) on a Unix domain stream
// socket: the daemon's side (ControlSocket: DIR/control, one command per connection, carried out
// on the relay's loop) and the operator's side (ask_control_socket, for `relaylab queue`).
// Every wait has a deadline on the caller's Clock.
#pragma once

#include "asio/awaitable.hpp"
#include "clock/clock.hpp"
#include "queue/control.hpp"
#include "relay/queue_admin.hpp"
#include "relay/relay.hpp"
#include "result/result.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <filesystem>
#include <functional>
#include <memory>

namespace relaylab::gw {

// What the relay answers to one command (the relay's edit as a wire answer).
ControlAnswer apply_control(Relay& relay, const ControlCommand& command);

class ControlSocket {
public:
    // Called after each command the relay carried out (for the log), with its answer.
    using Observer = std::function<void(const ControlCommand&, const ControlAnswer&)>;

    // Listens on spool_dir/control: a stale socket file is removed first (the caller holds the
    // spool lock, so no live daemon owns it), the new one gets mode 0600 before it listens.
    // Throws boost::system::system_error when it cannot (a non-socket file in the way, a path
    // longer than sockaddr_un allows, ...).
    ControlSocket(boost::asio::any_io_executor ex, Clock& clock, Relay& relay, const std::filesystem::path& spool_dir,
                  ControlLimits limits = {}, Observer observer = {});
    ~ControlSocket();  // stops
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;

    const std::filesystem::path& path() const;
    // Closes the socket and open control connections and removes the socket file (if it is still
    // the one this object made). Call on the relay's loop.
    void stop();

    struct Shared;

private:
    std::shared_ptr<Shared> shared_;
};

enum class ControlClientError {
    Connect,    // no socket, or nobody listening on it
    Timeout,    // no answer within the deadline
    NoAnswer,   // the daemon closed without a line
    BadAnswer,  // a line this protocol does not send
};
std::string_view to_string(ControlClientError e);

// The daemon's answer (which may itself refuse the edit: answer.error), or why none came. The line
// as received is on both sides: a BadAnswer names what the daemon did send.
struct ControlReceived {
    std::string line;  // the answer line as received, line end removed
    ControlAnswer answer;
};
struct ControlFailure {
    ControlClientError kind = ControlClientError::Connect;
    int system_error = 0;  // errno of a failed connect
    std::string line;      // BadAnswer: what was received instead, line end removed
};
using ControlReply = Result<ControlReceived, ControlFailure>;

// Connects to `socket`, sends `command` and reads the one-line answer, all within `timeout` of the
// caller's clock.
boost::asio::awaitable<ControlReply> ask_control_socket(Clock& clock, std::filesystem::path socket,
                                                        ControlCommand command,
                                                        Duration timeout = kControlClientTimeout);

}  // namespace relaylab::gw
