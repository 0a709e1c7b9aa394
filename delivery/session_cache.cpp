#include "delivery/session_cache.hpp"

#include "asio/awaitable.hpp"
#include "asio/spawn.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace relaylab::gw {

namespace asio = boost::asio;

struct SessionCache::State {
    std::map<std::string, std::deque<std::shared_ptr<CachedSession>>> parked;
    bool closing = false;
};

namespace {

asio::awaitable<void> close_session(std::shared_ptr<CachedSession> s) { co_await s->client->quit(); }

// Waits out the idle limit; a session still parked then is taken out and closed.
asio::awaitable<void> watch_idle(std::shared_ptr<SessionCache::State> state, std::string domain,
                                 std::shared_ptr<CachedSession> s, std::uint64_t parking) {
    auto mine = [&] { return !s->taken && !state->closing && s->parking == parking; };
    if (!mine()) co_return;
    boost::system::error_code ec;
    co_await s->idle.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !mine()) co_return;  // cancelled: taken, parked anew or the cache is closing
    auto it = state->parked.find(domain);
    if (it != state->parked.end()) {
        auto& q = it->second;
        q.erase(std::remove(q.begin(), q.end(), s), q.end());
        if (q.empty()) state->parked.erase(it);
    }
    s->taken = true;
    co_await s->client->quit();
}

}  // namespace

SessionCache::SessionCache(asio::any_io_executor ex, Clock& clock, Duration idle_limit, std::size_t per_destination)
    : ex_(std::move(ex)), clock_(clock), idle_limit_(idle_limit), per_destination_(per_destination),
      state_(std::make_shared<State>()) {}

SessionCache::~SessionCache() {
    // Watchers hold the state; cancelled, they end without touching the network (the loop may be
    // shutting down too). Parked sessions are dropped: the remote sees the connection close.
    state_->closing = true;
    for (auto& [domain, q] : state_->parked)
        for (auto& s : q) s->idle.cancel();
    state_->parked.clear();
}

std::shared_ptr<CachedSession> SessionCache::take(const std::string& domain) {
    auto it = state_->parked.find(domain);
    while (it != state_->parked.end() && !it->second.empty()) {
        auto s = std::move(it->second.back());
        it->second.pop_back();
        if (it->second.empty()) state_->parked.erase(it);
        s->taken = true;
        s->idle.cancel();
        if (s->client->usable()) return s;
        it = state_->parked.find(domain);
    }
    return nullptr;
}

void SessionCache::put(const std::string& domain, std::shared_ptr<CachedSession> s, std::size_t max_transactions) {
    auto& q = state_->parked[domain];
    const bool worn = max_transactions > 0 && s->transactions >= max_transactions;
    if (idle_limit_ <= Duration::zero() || q.size() >= per_destination_ || worn || !s->client->usable()) {
        if (q.empty()) state_->parked.erase(domain);
        relaylab::spawn(ex_, close_session(std::move(s)));
        return;
    }
    s->taken = false;
    auto parking = ++s->parking;
    s->idle.expires_after(idle_limit_);
    q.push_back(s);
    relaylab::spawn(ex_, watch_idle(state_, domain, std::move(s), parking));
}

std::size_t SessionCache::parked(const std::string& domain) const {
    auto it = state_->parked.find(domain);
    return it == state_->parked.end() ? 0 : it->second.size();
}

std::size_t SessionCache::parked() const {
    std::size_t n = 0;
    for (const auto& [d, q] : state_->parked) n += q.size();
    return n;
}

}  // namespace relaylab::gw
