// `relaylab queue --spool DIR`: the durable queue as `postqueue -p` shows Postfix's — one entry
// per message with its recipients' states and next attempts — plus one message's history, and the
// edits (delete, force a retry): offline on a spool no daemon holds, else through the running
// daemon's control socket (DIR/control), as postsuper -d and postqueue -i/-f work on a live Postfix.
#include "asio/awaitable.hpp"
#include "asio/spawn.hpp"
#include "app/command.hpp"
#include "relay/control_socket.hpp"
#include "queue/spool.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/program_options.hpp>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>

namespace relaylab::app {
namespace {

namespace po = boost::program_options;

// RFC 3339 in UTC, seconds: what an operator compares with log lines.
std::string utc(TimePoint t) {
    std::time_t s = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&s, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string_view state_name(gw::RecipientState s) {
    switch (s) {
    case gw::RecipientState::Waiting: return "waiting";
    case gw::RecipientState::InFlight: return "in-flight";
    case gw::RecipientState::Delivered: return "delivered";
    case gw::RecipientState::Bounced: return "bounced";
    case gw::RecipientState::Expired: return "expired";
    }
    return "?";
}

void print_entry(std::ostream& out, const gw::SpooledMessage& s) {
    const auto& m = s.message;
    out << m.id << "  " << m.content.size() << "  " << utc(m.arrival) << "  <" << m.envelope.sender << ">\n";
    for (const auto& r : m.recipients) {
        out << "    <" << r.address << ">  " << state_name(r.state) << ", " << r.attempts << " attempt(s)";
        if (r.state == gw::RecipientState::Waiting) out << ", next " << utc(r.due);
        out << "\n";
    }
    if (s.interrupted) out << "    (" << s.interrupted << " attempt(s) cut short by a crash: may be delivered twice)\n";
}

void print_history(std::ostream& out, const gw::SpooledMessage& s) {
    const auto& m = s.message;
    out << "history:\n";
    for (const auto& e : s.history) {
        out << "  " << utc(e.at) << "  " << gw::to_string(e.kind);
        bool names_rcpt = e.kind != gw::SpoolEventKind::Accepted && e.kind != gw::SpoolEventKind::RetryForced &&
                          e.kind != gw::SpoolEventKind::Deleted && e.kind != gw::SpoolEventKind::Finished;
        if (names_rcpt && e.recipient < m.recipients.size()) out << "  <" << m.recipients[e.recipient].address << ">";
        if (e.attempts) out << "  attempts=" << e.attempts;
        if (e.kind == gw::SpoolEventKind::Deferred) out << "  next=" << utc(e.due);
        out << "\n";
    }
}

// A daemon holds the spool: the edit goes to it over DIR/control, under a deadline.
int ask_daemon(const std::string& spool, const gw::ControlCommand& command) {
    namespace asio = boost::asio;
    asio::io_context io(1);
    RealClock clock;
    std::filesystem::path socket = std::filesystem::path(spool) / gw::kControlSocketName;
    std::optional<gw::ControlReply> reply;
    relaylab::spawn(io.get_executor(), gw::ask_control_socket(clock, socket, command),
                    [&](gw::ControlReply r) { reply = std::move(r); });
    io.run();
    if (!reply || !*reply) {
        std::cerr << "relaylab queue: spool " << spool << " is held by another process that does not answer on "
                  << socket.string();
        if (reply) {
            const gw::ControlFailure& failure = reply->error();
            std::cerr << " (" << gw::to_string(failure.kind);
            if (failure.system_error) std::cerr << ": " << std::strerror(failure.system_error);
            std::cerr << ")";
        }
        std::cerr << "\n";
        return exit_failed;
    }
    const gw::ControlReceived& received = reply->value();
    if (received.answer.ok()) {
        std::cout << received.line << "\n";
        return exit_ok;
    }
    std::string sent = gw::control_command_line(command);
    sent.pop_back();  // its LF
    std::cerr << "relaylab queue: " << sent << ": " << received.line << "\n";
    return exit_failed;
}

// --retry / --delete: offline when the spool's lock is free, else through the daemon.
int edit_queue(const std::string& spool, const gw::ControlCommand& command) {
    // The edge: the only clock read, for the time an offline edit is recorded at.
    TimePoint now = std::chrono::system_clock::now();
    std::optional<gw::SpoolError> err;
    std::size_t affected = 0;
    switch (command.verb) {
    case gw::ControlVerb::RetryAll: {
        auto edit = gw::force_retry_all(spool, now);
        if (edit) affected = *edit;
        else err = edit.error();
        break;
    }
    case gw::ControlVerb::Retry: err = gw::force_retry(spool, command.id, now); break;
    case gw::ControlVerb::Delete: err = gw::delete_message(spool, command.id, now); break;
    }
    if (err && err->kind == gw::SpoolErrorKind::Locked) return ask_daemon(spool, command);
    if (err) {
        std::cerr << "relaylab queue: " << (command.verb == gw::ControlVerb::RetryAll ? std::string("all") : std::to_string(command.id))
                  << ": " << err->str() << "\n";
        return err->kind == gw::SpoolErrorKind::NoSuchMessage ? exit_failed : exit_usage;
    }
    switch (command.verb) {
    case gw::ControlVerb::RetryAll: std::cout << "all: " << affected << " recipient(s) due now\n"; break;
    case gw::ControlVerb::Retry: std::cout << command.id << ": due now\n"; break;
    case gw::ControlVerb::Delete: std::cout << command.id << ": deleted\n"; break;
    }
    return exit_ok;
}

int queue_main(int argc, char** argv) {
    po::options_description opts("options");
    std::string spool;
    gw::MessageId show = 0;
    std::string del, retry;
    opts.add_options()
        ("help,h", "this help")
        ("spool", po::value(&spool), "the spool directory (the config's `spool`)")
        ("show", po::value(&show), "print one message: envelope, recipients, history, headers")
        ("delete", po::value(&del), "ID: remove a message from the queue, no notice (postsuper -d)")
        ("retry", po::value(&retry), "ID or all: waiting recipients are due now (postqueue -i / -f)");
    const char* usage =
        "usage: relaylab queue --spool DIR [--show ID | --delete ID | --retry ID|all]\n\n"
        "Without an action, lists the queue like `postqueue -p`: queue id, size, arrival, sender, then\n"
        "each recipient with its state, attempts and next attempt. Listing and --show only read the\n"
        "spool and work while `relaylab serve` runs.\n\n"
        "--delete and --retry edit the spool directly when no daemon holds it. When `relaylab serve`\n"
        "holds it, they are sent to the daemon over DIR/control and take effect at once; the daemon's\n"
        "answer is printed (`ok N`: N recipients made due, or messages removed; `error <reason>`:\n"
        "unknown queue id, in flight - try again, ...). A message with a recipient in delivery cannot\n"
        "be deleted until the attempt ends. Exit status: 0 done, 1 refused or no answer, 2 usage.";
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "relaylab queue: " << e.what() << "\n";
        return exit_usage;
    }
    if (vm.count("help")) {
        std::cout << usage << "\n\n" << opts << "\n";
        return exit_ok;
    }
    if (spool.empty()) {
        std::cerr << "relaylab queue: --spool DIR is required\n" << usage << "\n";
        return exit_usage;
    }
    if (vm.count("show") + vm.count("delete") + vm.count("retry") > 1) {
        std::cerr << "relaylab queue: give one of --show, --delete, --retry\n";
        return exit_usage;
    }
    if (vm.count("delete") || vm.count("retry")) {
        // The same parser as the daemon's: what the command line accepts, the socket accepts.
        auto parsed = gw::parse_control_command(vm.count("delete") ? "delete " + del : "retry " + retry);
        if (!std::holds_alternative<gw::ControlCommand>(parsed)) {
            std::cerr << "relaylab queue: " << (vm.count("delete") ? "--delete wants a queue id, not \"" + del
                                                                    : "--retry wants a queue id or all, not \"" + retry)
                      << "\"\n";
            return exit_usage;
        }
        return edit_queue(spool, std::get<gw::ControlCommand>(parsed));
    }
    auto r = gw::read_spool(spool);
    if (r.error) {
        std::cerr << "relaylab queue: " << r.error->str() << "\n";
        return exit_usage;
    }
    if (vm.count("show")) {
        auto it = r.replay.live.find(show);
        if (it == r.replay.live.end()) {
            std::cerr << "relaylab queue: " << show << ": no such message in the queue\n";
            return exit_failed;
        }
        print_entry(std::cout, it->second);
        print_history(std::cout, it->second);
        std::cout << "headers:\n";
        const auto& c = it->second.message.content;
        auto end = c.find("\r\n\r\n");
        std::cout << c.substr(0, end == std::string::npos ? std::min<std::size_t>(c.size(), 4096) : end) << "\n";
        return exit_ok;
    }
    if (r.replay.live.empty()) {
        std::cout << "Mail queue is empty\n";
        return exit_ok;
    }
    std::cout << "-Queue ID-  --Size--  ----Arrival Time----  -Sender/Recipient-------\n";
    std::size_t rcpts = 0;
    std::uint64_t bytes = 0;
    for (const auto& [id, s] : r.replay.live) {
        print_entry(std::cout, s);
        rcpts += s.message.recipients.size();
        bytes += s.message.content.size();
    }
    std::cout << "-- " << bytes / 1024 << " Kbytes in " << r.replay.live.size() << " Requests, " << rcpts
              << " Recipients.\n";
    if (r.replay.dropped_tail_bytes)
        std::cout << "(" << r.replay.dropped_tail_bytes << " bytes of a torn last record ignored)\n";
    return exit_ok;
}

const Registration registration{{"queue", "list the durable queue, show a message's history, delete, force a retry", &queue_main, 15}};

}  // namespace
}  // namespace relaylab::app
