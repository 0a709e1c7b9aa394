// Open SMTP sessions kept after a transaction, per destination domain, for the next message to the
// same place (Postfix's connection cache: smtp_connection_cache_time_limit = 2s). A session idle
// longer than the limit is closed with QUIT; a session taken again skips DNS, connect, greeting
// and EHLO.
#pragma once

#include "clock/clock.hpp"
#include "clock/timer.hpp"
#include "smtpclient/client.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

namespace relaylab::gw {

inline constexpr Duration default_session_idle_limit = std::chrono::seconds(2);
inline constexpr std::size_t default_sessions_per_destination = 20;

struct CachedSession {
    CachedSession(boost::asio::any_io_executor ex, Clock& clock, std::unique_ptr<smtp::Client> c, smtp::Remote r)
        : client(std::move(c)), remote(std::move(r)), idle(ex, clock) {}
    std::unique_ptr<smtp::Client> client;
    smtp::Remote remote;
    Timer idle;
    // Transactions this session has carried: at the destination's max_messages_per_session it is
    // closed instead of parked (Postfix's smtp_connection_reuse_count_limit).
    std::size_t transactions = 0;
    bool taken = false;
    // Counts parkings: an idle watch acts only for the parking that started it. (The next job can
    // take a session, use it and park it again before the loop has even started the first watch.)
    std::uint64_t parking = 0;
};

class SessionCache {
public:
    SessionCache(boost::asio::any_io_executor ex, Clock& clock, Duration idle_limit = default_session_idle_limit,
                 std::size_t per_destination = default_sessions_per_destination);
    ~SessionCache();
    SessionCache(const SessionCache&) = delete;
    SessionCache& operator=(const SessionCache&) = delete;

    // The most recently parked usable session for `domain`, if any.
    std::shared_ptr<CachedSession> take(const std::string& domain);
    // Parks a session that can take another transaction; closes it instead when the destination
    // already has its share parked, caching is off (idle limit 0), or the session has carried
    // `max_transactions` (0: no limit).
    void put(const std::string& domain, std::shared_ptr<CachedSession> session, std::size_t max_transactions = 0);
    std::size_t parked() const;
    std::size_t parked(const std::string& domain) const;

    struct State;

private:
    boost::asio::any_io_executor ex_;
    Clock& clock_;
    Duration idle_limit_;
    std::size_t per_destination_;
    std::shared_ptr<State> state_;
};

}  // namespace relaylab::gw
