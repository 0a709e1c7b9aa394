// One c-ares channel driven by the Asio loop: no thread, no polling. c-ares says which sockets to
// watch (ARES_OPT_SOCK_STATE_CB); each is watched through a posix::stream_descriptor that never owns
// the fd. One steady timer serves c-ares' own retransmissions (real time by nature). Every batch of
// questions also has a deadline on the caller's Clock, so in virtual time c-ares' timers never
// decide an outcome.
#pragma once

#include "clock/clock.hpp"
#include "resolver/answer.hpp"
#include "resolver/config.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

struct ares_channeldata;

namespace relaylab::dns {

class AresChannel : public std::enable_shared_from_this<AresChannel> {
public:
    // Throws std::invalid_argument for a bad config (naming the value), std::runtime_error when
    // c-ares cannot start.
    static std::shared_ptr<AresChannel> open(boost::asio::any_io_executor ex, Clock& clock,
                                             const ResolverConfig& cfg);
    ~AresChannel();
    AresChannel(const AresChannel&) = delete;
    AresChannel& operator=(const AresChannel&) = delete;

    // Ends the channel: questions in flight complete with ARES_EDESTRUCTION, later ones at once.
    void close();

    // Sends every question at once and completes (always through the executor, never inline) with
    // one answer per question, in order. Unanswered questions complete as ARES_ETIMEOUT at
    // `deadline` on the Clock. On a virtual Clock c-ares' own ARES_ETIMEOUT is not final: only
    // the Clock's deadline ends a question without an answer.
    template <typename Token>
    auto async_ask(std::vector<Question> questions, TimePoint deadline, Token&& token) {
        return boost::asio::async_initiate<Token, void(std::vector<RawAnswer>)>(
            [self = shared_from_this()](auto handler, std::vector<Question> qs, TimePoint until) {
                self->start(std::move(qs), until,
                            std::make_unique<CompletionFor<decltype(handler)>>(std::move(handler), self->ex_));
            },
            token, std::move(questions), deadline);
    }

    Clock& clock() const { return clock_; }
    boost::asio::any_io_executor get_executor() const { return ex_; }

    struct Completion {
        virtual ~Completion() = default;
        virtual void complete(std::vector<RawAnswer> answers) = 0;
    };

private:
    template <typename Handler>
    struct CompletionFor final : Completion {
        CompletionFor(Handler h, boost::asio::any_io_executor e) : handler(std::move(h)), ex(std::move(e)) {}
        void complete(std::vector<RawAnswer> answers) override {
            auto target = boost::asio::get_associated_executor(handler, ex);
            boost::asio::post(target, [h = std::move(handler), a = std::move(answers)]() mutable {
                std::move(h)(std::move(a));
            });
        }
        Handler handler;
        boost::asio::any_io_executor ex;
    };
    struct WatchedSocket;

    AresChannel(boost::asio::any_io_executor ex, Clock& clock);
    void start(std::vector<Question> questions, TimePoint deadline, std::unique_ptr<Completion> done);
    static void on_socket_state(void* data, int fd, int readable, int writable);
    void watch(int fd, bool readable, bool writable);
    void arm(const std::shared_ptr<WatchedSocket>& ws);
    void on_ready(const std::shared_ptr<WatchedSocket>& ws, short events);
    void reschedule_retransmissions();

    boost::asio::any_io_executor ex_;
    Clock& clock_;
    ares_channeldata* channel_ = nullptr;
    boost::asio::steady_timer retransmit_timer_;
    std::map<int, std::shared_ptr<WatchedSocket>> sockets_;
};

}  // namespace relaylab::dns
