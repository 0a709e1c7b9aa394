// The ServerPolicy of a scripted remote MTA: answers from its MtaScript for one connection attempt
// and writes what it sees into a ReceivedConnection.
#pragma once

#include "clock/clock.hpp"
#include "scenarios/world/smtp_received.hpp"
#include "scenarios/world/smtp_script.hpp"
#include "smtpserver/policy.hpp"

#include <functional>
#include <optional>

namespace relaylab::world {

class ScriptedPolicy final : public smtp::ServerPolicy {
public:
    // `record` is called with a function that updates this connection's record; the owner applies
    // it under its lock (or directly, in single-threaded tests). `on_line` sees every dialogue line.
    using RecordUpdate = std::function<void(const std::function<void(ReceivedConnection&)>&)>;
    using LineObserver = std::function<void(const DialogueLine&)>;

    // `start` is the run's start, from which the script's schedules count (default: now).
    ScriptedPolicy(const MtaScript& script, std::size_t attempt, const Clock& clock, RecordUpdate record,
                   LineObserver on_line = {}, std::optional<TimePoint> start = std::nullopt);

    ~ScriptedPolicy() override;
    // This connection is one too many (the script's max_connections): the greeting is
    // `over_max_connections`. `closed` runs once when the connection ends (the MTA's count).
    void over_connection_limit() { over_limit_ = true; }
    void on_close(std::function<void()> closed) { closed_ = std::move(closed); }

    smtp::Decision on_connect() override;
    smtp::Decision on_helo(std::string_view name) override;
    smtp::Decision on_ehlo(std::string_view name) override;
    smtp::Decision on_mail(const smtp::ClientCommand& cmd) override;
    smtp::Decision on_rcpt(const smtp::ClientCommand& cmd) override;
    smtp::Decision on_data_start() override;
    std::optional<smtp::DataCut> on_data_body() override;
    smtp::Decision on_message(const smtp::Envelope& env, std::string_view body) override;
    smtp::Decision on_rset() override;
    smtp::Decision on_noop() override;
    smtp::Decision on_quit() override;
    smtp::Decision on_starttls() override;
    void on_tls(bool ok, const tls::Negotiated& negotiated) override;

    void on_command_line(std::string_view line) override;
    void on_reply(const smtp::ServerReply& reply) override;
    void on_message_received(const smtp::Envelope& env, std::string_view body, bool oversized) override;
    void on_closed(smtp::CloseReason why) override;

private:
    smtp::Decision stage(MtaStage s) const;
    void line(char dir, std::string_view text);
    Duration elapsed() const { return clock_.now() - start_; }

    const MtaScript& script_;
    std::size_t attempt_;
    const Clock& clock_;
    RecordUpdate record_;
    LineObserver on_line_;
    TimePoint start_;
    bool over_limit_ = false;
    std::function<void()> closed_;
};

}  // namespace relaylab::world
