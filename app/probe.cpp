// `relaylab probe mx|smtp`: one MX resolution or one SMTP transaction, the way engineers use dig and
// swaks, printing the typed result (text or JSON). No queue, no policy: the raw truth.
#include "asio/awaitable.hpp"
#include "app/command.hpp"
#include "app/endpoint.hpp"
#include "clock/duration.hpp"
#include "clock/clock.hpp"
#include "resolver/resolver.hpp"
#include "smtpclient/client.hpp"
#include "jsonsource/json_text.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>
#include <iostream>
#include <random>
#include <sstream>

namespace relaylab::app {
namespace {

namespace po = boost::program_options;
namespace asio = boost::asio;
using nlohmann::json;

// Runs one coroutine to completion on a fresh io_context; rethrows what it threw.
template <typename T>
T run_to_completion(asio::io_context& io, asio::awaitable<T> task) {
    std::optional<T> result;
    std::exception_ptr failure;
    asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
        failure = e;
        if (!e) result = std::move(value);
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*result);
}

void print_help(std::ostream& out, const char* usage, const po::options_description& opts) {
    out << usage << "\n" << opts << "\n";
}

// Parses a probe's command line. Returns the exit code when the command is already over (a bad
// option, or --help printed), nullopt to go on.
std::optional<int> parse_options(int argc, char** argv, const po::options_description& opts,
                                 const po::options_description& hidden, const po::positional_options_description& pos,
                                 const char* usage, const char* name, po::variables_map& vm) {
    po::options_description all;
    all.add(opts).add(hidden);
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "relaylab probe " << name << ": " << e.what() << "\n";
        return exit_usage;
    }
    if (vm.count("help")) {
        print_help(std::cout, usage, opts);
        return exit_ok;
    }
    return std::nullopt;
}

// ---- probe mx ----------------------------------------------------------------------------

json mx_json(const dns::MxResult& r) {
    json hosts = json::array();
    for (const auto& h : r.hosts) {
        json jh{{"name", h.name}, {"preference", h.preference}, {"addresses", h.addresses}};
        if (h.implicit) jh["implicit"] = true;
        if (h.address_status != dns::Status::Found) jh["address_status"] = dns::to_string(h.address_status);
        hosts.push_back(std::move(jh));
    }
    return {{"domain", r.domain}, {"status", dns::to_string(r.status)}, {"hosts", hosts}};
}

void print_mx(std::ostream& out, const dns::MxResult& r) {
    out << r.domain << ": " << dns::to_string(r.status) << "\n";
    for (const auto& h : r.hosts) {
        out << "  " << h.preference << " " << h.name << (h.implicit ? " (implicit MX)" : "");
        if (h.addresses.empty()) out << "  no address: " << dns::to_string(h.address_status);
        for (const auto& a : h.addresses) out << "  " << a;
        out << "\n";
    }
}

int probe_mx(int argc, char** argv) {
    po::options_description opts("options");
    std::vector<std::string> servers;
    long timeout_ms = 2000, deadline_ms = 10000;
    int tries = 2;
    std::uint64_t seed = 1;
    opts.add_options()
        ("help,h", "this help")
        ("dns", po::value(&servers)->composing(), "DNS server HOST:PORT (repeatable; required)")
        ("timeout-ms", po::value(&timeout_ms)->default_value(timeout_ms), "wait per DNS try")
        ("tries", po::value(&tries)->default_value(tries), "tries per server")
        ("deadline-ms", po::value(&deadline_ms)->default_value(deadline_ms), "deadline for the whole lookup")
        ("seed", po::value(&seed)->default_value(seed), "seed for shuffling equal-preference MX hosts")
        ("json", "print JSON");
    po::options_description hidden;
    std::string domain;
    hidden.add_options()("domain", po::value(&domain));
    po::positional_options_description pos;
    pos.add("domain", 1);
    const char* usage = "usage: relaylab probe mx DOMAIN --dns HOST:PORT [--json]\n\n"
                        "Resolves DOMAIN's mail exchangers the RFC 5321 §5.1 way: MX records by preference\n"
                        "(equal preferences shuffled by --seed), implicit MX from A/AAAA, null MX (RFC 7505),\n"
                        "and each host's addresses. Exit 0 when hosts were found, 1 otherwise.";
    po::variables_map vm;
    if (auto done = parse_options(argc, argv, opts, hidden, pos, usage, "mx", vm)) return *done;
    if (domain.empty() || servers.empty()) {
        std::cerr << "relaylab probe mx: " << (domain.empty() ? "DOMAIN" : "--dns HOST:PORT") << " is required\n";
        print_help(std::cerr, usage, opts);
        return exit_usage;
    }
    dns::ResolverConfig cfg;
    cfg.servers = servers;
    cfg.timeout = std::chrono::milliseconds(timeout_ms);
    cfg.tries = tries;
    cfg.deadline = std::chrono::milliseconds(deadline_ms);
    try {
        asio::io_context io;
        RealClock clock;
        dns::Resolver resolver(io.get_executor(), clock, cfg);
        std::mt19937_64 rng(seed);
        auto result = run_to_completion(io, resolver.resolve_mx(domain, rng));
        if (vm.count("json"))
            std::cout << json_text(mx_json(result), 2) << "\n";
        else
            print_mx(std::cout, result);
        return result.status == dns::Status::Found ? exit_ok : exit_failed;
    } catch (const std::invalid_argument& e) {
        std::cerr << "relaylab probe mx: " << e.what() << "\n";
        return exit_usage;
    }
}

// ---- probe smtp --------------------------------------------------------------------------

json reply_fields(const smtp::RecipientOutcome& o) {
    json j{{"stage", o.delivered() ? "done" : std::string(smtp::to_string(o.stage))}};
    if (o.reply) {
        j["code"] = o.reply->code;
        j["enhanced"] = o.reply->enhanced ? json(o.reply->enhanced->str()) : json(nullptr);
        j["text"] = o.reply->text();
    } else {
        j["code"] = nullptr;
        j["enhanced"] = nullptr;
        j["text"] = nullptr;
    }
    if (o.net != smtp::NetError::None) j["error"] = smtp::to_string(o.net);
    if (o.protocol != smtp::ProtocolError::None) j["protocol_error"] = smtp::to_string(o.protocol);
    j["permanent"] = o.permanent();
    return j;
}

std::string describe(const smtp::RecipientOutcome& o) {
    std::string s = o.delivered() ? "delivered" : "failed at " + std::string(smtp::to_string(o.stage));
    if (o.reply) s += ": " + o.reply->one_line();
    if (o.net != smtp::NetError::None) s += ": " + std::string(smtp::to_string(o.net));
    if (o.protocol != smtp::ProtocolError::None) s += " (" + std::string(smtp::to_string(o.protocol)) + ")";
    if (!o.delivered()) s += o.permanent() ? " [permanent]" : " [temporary]";
    return s;
}

struct SmtpProbe {
    smtp::SessionStatus status;
    std::vector<smtp::RecipientOutcome> recipients;
    std::vector<smtp::TranscriptLine> transcript;
};

asio::awaitable<SmtpProbe> run_smtp_probe(asio::any_io_executor ex, Clock& clock, smtp::ClientConfig cfg,
                                          smtp::Remote remote, smtp::Message msg) {
    smtp::Client client(ex, clock, cfg);
    SmtpProbe p;
    p.status = co_await client.open(remote);
    p.recipients = co_await client.send(msg);
    co_await client.quit();
    p.transcript = client.transcript();
    co_return p;
}

std::string default_body(const std::string& from, const std::vector<std::string>& to, TimePoint now) {
    std::string b = "Date: " + format_rfc5322(now) + "\r\nFrom: <" + from + ">\r\nTo: ";
    for (std::size_t i = 0; i < to.size(); ++i) b += (i ? ", <" : "<") + to[i] + ">";
    b += "\r\nSubject: relaylab probe\r\nMessage-ID: <probe." +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()) +
         "@relaylab.invalid>\r\n\r\nThis is a test message sent by relaylab probe smtp.\r\n";
    return b;
}

int probe_smtp(int argc, char** argv) {
    po::options_description opts("options");
    std::string from, helo = "relaylab.invalid", body_file;
    std::vector<std::string> to;
    long connect_s = 30, command_s = 300;
    opts.add_options()
        ("help,h", "this help")
        ("from", po::value(&from), "envelope sender, sent exactly as given (required)")
        ("to", po::value(&to)->composing(), "envelope recipient (repeatable; required)")
        ("helo", po::value(&helo)->default_value(helo), "name to send with EHLO/HELO")
        ("body", po::value(&body_file), "file with the RFC 5322 message to send (default: a short test message)")
        ("connect-timeout", po::value(&connect_s)->default_value(connect_s), "seconds to wait for the connection")
        ("timeout", po::value(&command_s)->default_value(command_s),
         "seconds to wait for each reply (RFC 5321 §4.5.3.2 uses 300; the final dot gets twice this)")
        ("no-pipelining", "send one command at a time even when the server offers PIPELINING")
        ("json", "print JSON");
    po::options_description hidden;
    std::string target;
    hidden.add_options()("target", po::value(&target));
    po::positional_options_description pos;
    pos.add("target", 1);
    const char* usage =
        "usage: relaylab probe smtp HOST:PORT --from ADDR --to ADDR [--to ADDR...] [--json]\n\n"
        "Runs one SMTP transaction and prints the transcript and the outcome per recipient: the stage\n"
        "(connect, greeting, ehlo, helo, mail, rcpt, data, dot, or done), the reply and whether it is\n"
        "permanent. The sender is sent as given, even when it breaks RFC 5322 (q.@docomo.ne.jp).\n"
        "Exit 0 when every recipient was accepted, 1 otherwise.";
    po::variables_map vm;
    if (auto done = parse_options(argc, argv, opts, hidden, pos, usage, "smtp", vm)) return *done;
    auto endpoint = parse_endpoint(target);
    if (!endpoint || !vm.count("from") || to.empty()) {
        std::cerr << "relaylab probe smtp: "
                  << (!endpoint ? "HOST:PORT (a numeric address and a port) is required"
                                : "--from and at least one --to are required")
                  << "\n";
        print_help(std::cerr, usage, opts);
        return exit_usage;
    }
    RealClock clock;
    smtp::ClientConfig cfg;
    cfg.helo_name = helo;
    cfg.connect_timeout = std::chrono::seconds(connect_s);
    for (Duration* d : {&cfg.greeting_timeout, &cfg.ehlo_timeout, &cfg.mail_timeout, &cfg.rcpt_timeout,
                        &cfg.data_init_timeout, &cfg.data_block_timeout, &cfg.rset_timeout, &cfg.quit_timeout})
        *d = std::chrono::seconds(command_s);
    cfg.dot_timeout = std::chrono::seconds(2 * command_s);
    cfg.use_pipelining = !vm.count("no-pipelining");
    smtp::Message msg{from, to, {}};
    if (!body_file.empty()) {
        std::ifstream in(body_file, std::ios::binary);
        if (!in) {
            std::cerr << "relaylab probe smtp: cannot read " << body_file << "\n";
            return exit_usage;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        msg.body = ss.str();
    } else {
        msg.body = default_body(from, to, clock.now());
    }
    asio::io_context io;
    smtp::Remote remote{endpoint->host, endpoint->host, endpoint->port};
    auto p = run_to_completion(io, run_smtp_probe(io.get_executor(), clock, cfg, remote, msg));

    // The summary names the first recipient that failed, or "done".
    const smtp::RecipientOutcome* first_failure = nullptr;
    for (const auto& r : p.recipients)
        if (!r.delivered() && !first_failure) first_failure = &r;
    bool all_delivered = first_failure == nullptr && !p.recipients.empty();

    if (vm.count("json")) {
        json j = first_failure ? reply_fields(*first_failure) : reply_fields(p.recipients.front());
        j["host"] = target;
        json rcpts = json::array();
        for (const auto& r : p.recipients) {
            json jr = reply_fields(r);
            jr["address"] = r.address;
            rcpts.push_back(std::move(jr));
        }
        j["recipients"] = std::move(rcpts);
        json transcript = json::array();
        for (const auto& t : p.transcript)
            transcript.push_back({{"at", format_time(t.at)}, {"dir", std::string(1, t.dir)}, {"text", t.text}});
        j["transcript"] = std::move(transcript);
        std::cout << json_text(j, 2) << "\n";
    } else {
        for (const auto& t : p.transcript) std::cout << format_time(t.at) << " " << t.dir << ": " << t.text << "\n";
        std::cout << "\n";
        for (const auto& r : p.recipients) std::cout << "<" << r.address << ">: " << describe(r) << "\n";
    }
    return all_delivered ? exit_ok : exit_failed;
}

int probe_main(int argc, char** argv) {
    const char* usage = "usage: relaylab probe mx|smtp ... (see `relaylab probe mx --help`, `relaylab probe smtp --help`)";
    if (argc < 2) {
        std::cerr << usage << "\n";
        return exit_usage;
    }
    std::string_view what = argv[1];
    if (what == "mx") return probe_mx(argc - 1, argv + 1);
    if (what == "smtp") return probe_smtp(argc - 1, argv + 1);
    if (what == "--help" || what == "-h") {
        std::cout << usage << "\n";
        return exit_ok;
    }
    std::cerr << "relaylab probe: unknown probe '" << what << "'\n" << usage << "\n";
    return exit_usage;
}

const Registration registration{{"probe", "resolve MX hosts or run one SMTP transaction (like dig and swaks)", &probe_main, 30}};

}  // namespace
}  // namespace relaylab::app
