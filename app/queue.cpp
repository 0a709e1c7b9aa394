// `relaylab queue --spool DIR`: the durable queue as `postqueue -p` shows Postfix's — one entry
// per message with its recipients' states and next attempts — plus one message's history, and the
// offline edits (delete, force a retry) on a spool no running daemon holds.
#include "app/command.hpp"
#include "gateway/spool.hpp"

#include <boost/program_options.hpp>

#include <chrono>
#include <ctime>
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

int queue_main(int argc, char** argv) {
    po::options_description opts("options");
    std::string spool;
    gw::MessageId show = 0, del = 0, retry = 0;
    opts.add_options()
        ("help,h", "this help")
        ("spool", po::value(&spool), "the spool directory (the config's `spool`)")
        ("show", po::value(&show), "print one message: envelope, recipients, history, headers")
        ("delete", po::value(&del), "remove a message from the queue (spool not in use)")
        ("retry", po::value(&retry), "make a message's waiting recipients due now (spool not in use)");
    const char* usage =
        "usage: relaylab queue --spool DIR [--show ID | --delete ID | --retry ID]\n\n"
        "Without an action, lists the queue like `postqueue -p`: queue id, size, arrival, sender, then\n"
        "each recipient with its state, attempts and next attempt. Listing and --show only read the\n"
        "spool and work while `relaylab serve` runs. --delete and --retry take the spool's lock: stop\n"
        "the daemon first (SIGTERM), edit, start it again; it picks the change up on start.";
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
    // The edge: the only clock read, for the time an edit is recorded at.
    TimePoint now = std::chrono::system_clock::now();
    if (vm.count("delete") || vm.count("retry")) {
        auto id = vm.count("delete") ? del : retry;
        auto err = vm.count("delete") ? gw::delete_message(spool, id, now) : gw::force_retry(spool, id, now);
        if (err) {
            std::cerr << "relaylab queue: " << id << ": " << err->str() << "\n";
            return err->kind == gw::SpoolErrorKind::NoSuchMessage ? exit_failed : exit_usage;
        }
        std::cout << id << (vm.count("delete") ? ": deleted\n" : ": due now\n");
        return exit_ok;
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
