// `relaylab serve --config FILE`: the gateway as a daemon on real time. Handsets submit over SMTP
// on a loopback port; mail is delivered to the recipients' MX hosts; failures reach the handset as
// notices in Maildirs; every attempt is logged in Postfix's shape. SIGTERM/SIGINT drain, then stop.
#include "app/command.hpp"
#include "asio/spawn.hpp"
#include "app/endpoint.hpp"
#include "app/metrics_glue.hpp"
#include "clock/duration.hpp"
#include "clock/timer.hpp"
#include "relay/config.hpp"
#include "relay/control_socket.hpp"
#include "intake/intake.hpp"
#include "log/journal.hpp"
#include "relay/setup.hpp"
#include "bounce/shipped_policies.hpp"
#include "queue/spool.hpp"
#include "resolver/resolver.hpp"
#include "jsonsource/json_text.hpp"

#include <nlohmann/json.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>

#include <unistd.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <random>

namespace relaylab::app {
namespace {

namespace po = boost::program_options;
namespace asio = boost::asio;

// One log line per operator edit that changed the queue, in the shape of Postfix's
// `postsuper: ID: removed` (the gateway's EventSink has no event kind for operator edits).
void log_control(std::ostream& log, bool json, TimePoint at, const gw::ControlCommand& c, const gw::ControlAnswer& a) {
    if (!a.ok() || a.affected == 0) return;
    std::string id = c.verb == gw::ControlVerb::RetryAll ? std::string("all") : std::to_string(c.id);
    std::string event = c.verb == gw::ControlVerb::Delete ? "removed" : "retry";
    if (json) {
        log << json_text({{"time", format_time(at)}, {"event", event}, {"queue_id", id}, {"affected", a.affected}}) << "\n";
    } else if (c.verb == gw::ControlVerb::Delete) {
        log << format_time(at) << " relaylab/postsuper: " << id << ": removed\n";
    } else {
        log << format_time(at) << " relaylab/postqueue: " << id << ": retry forced, " << a.affected
            << " recipient(s) due now\n";
    }
    log.flush();
}

// SIGTERM's drain: no new handset connects and no new delivery starts; the intake sessions and the
// deliveries in flight get until the deadline to finish (checked every drain_poll), then the loop
// stops. What is still queued stays in the spool for the next start.
class Drain {
public:
    static constexpr Duration drain_poll = std::chrono::milliseconds(20);

    Drain(asio::io_context& io, Clock& clock, gw::Intake& door, gw::Relay& relay, Duration timeout)
        : io_(io), clock_(clock), door_(door), relay_(relay), timeout_(timeout), poll_(io.get_executor(), clock) {}

    bool started() const { return started_; }
    void start() {
        started_ = true;
        deadline_ = clock_.now() + timeout_;
        door_.stop_accepting();
        relay_.stop();
        check();
    }
    void finish(std::string how) {
        if (!finished_) how_ = std::move(how);
        finished_ = true;
        poll_.cancel();
        door_.stop();  // sessions still open see CloseReason::Stopped
        io_.stop();
    }
    // How the drain ended, for the last log line.
    const std::string& how() const { return how_; }

private:
    void check() {
        std::size_t sessions = door_.open_sessions(), deliveries = relay_.in_flight();
        if (sessions == 0 && deliveries == 0) return finish("drained");
        if (clock_.now() >= deadline_)
            return finish("stop_timeout " + format_duration(timeout_) + " passed with " + std::to_string(sessions) +
                          " intake sessions and " + std::to_string(deliveries) + " deliveries cut short");
        poll_.expires_after(drain_poll);
        poll_.async_wait([this](boost::system::error_code ec) {
            if (!ec) check();
        });
    }

    asio::io_context& io_;
    Clock& clock_;
    gw::Intake& door_;
    gw::Relay& relay_;
    Duration timeout_;
    Timer poll_;
    TimePoint deadline_{};
    bool started_ = false;
    bool finished_ = false;
    std::string how_ = "stopped without a signal";
};

// ---- Start-up DNS check (docs/training.md): a warning, never a refusal. ----
// One real MX query on the relay's own resolver, bounded by its deadline, for a name under .invalid
// (RFC 6761 §6.4: resolvers answer NXDOMAIN without asking further). Any answer, even NXDOMAIN,
// SERVFAIL or REFUSED, shows a server is there; silence or a closed port means every delivery will
// be deferred, which an operator wants to hear at once, not at the first notice.
constexpr const char* dns_check_name = "relaylab-dns-check.invalid";

void check_dns_at_start(asio::io_context& io, dns::Resolver& resolver, dns::Rng& rng) {
    std::string servers;
    for (const auto& s : resolver.config().servers) servers += (servers.empty() ? "" : ", ") + s;
    relaylab::spawn(io.get_executor(), resolver.resolve_mx(dns_check_name, rng), [servers](dns::MxResult r) {
        using dns::Status;
        if (r.status == Status::Timeout || r.status == Status::ConnRefused || r.status == Status::Error)
            std::cerr << "relaylab serve: warning: no configured DNS server answers (" << servers << ": "
                      << dns::to_string(r.status) << "); every delivery will be deferred until one does\n";
        else
            std::cerr << "relaylab serve: DNS check: " << servers << " answers (" << dns::to_string(r.status) << " for "
                      << dns_check_name << ")\n";
    });
}

// ---- SIGHUP: reload the policy, like `postfix reload` (docs/training.md). ----
// Re-reads the config file and applies its "policy" (the words of notices made from then on); every
// other key needs a restart, and the log says so when one changed. A config or policy that does not
// load leaves the running policy in place, and the log says why.
class PolicyReload {
public:
    PolicyReload(asio::io_context& io, Clock& clock, std::string config_file, const gw::GatewayConfig& running,
                 gw::Relay& relay, std::ostream& log, bool json)
        : signals_(io, SIGHUP), clock_(clock), file_(std::move(config_file)), running_(gw::config_to_json(running)),
          relay_(relay), log_(log), json_(json) {
        wait();
    }

private:
    void wait() {
        signals_.async_wait([this](const boost::system::error_code& ec, int) {
            if (ec) return;
            reload();
            wait();
        });
    }

    void reload() {
        const std::string before = running_.value("policy", "");
        gw::GatewayConfig cfg;
        try {
            cfg = gw::read_config(JsonSource::load(file_));
        } catch (const std::exception& e) {
            return failed(before, std::string("config: ") + e.what());
        }
        auto policy = gw::load_named_policy(cfg.policy, std::filesystem::path(file_).parent_path());
        if (!policy) return failed(before, "policy " + cfg.policy + ": " + policy.error().message());
        relay_.set_policy(std::move(policy).value());
        nlohmann::json now = gw::config_to_json(cfg), others = now;
        others["policy"] = before;
        const bool restart_keys = others != running_;
        running_["policy"] = cfg.policy;
        std::string words = "reload: policy " + before + " -> " + cfg.policy;
        if (restart_keys) words += " (other changed keys take effect at the next start)";
        std::cerr << "relaylab serve: " << words << "\n";
        if (json_)
            log_ << json_text({{"time", format_time(clock_.now())}, {"event", "reload"}, {"policy_before", before},
                               {"policy", cfg.policy}, {"restart_needed", restart_keys}})
                 << "\n";
        else
            log_ << format_time(clock_.now()) << " relaylab/master: " << words << "\n";
        log_.flush();
    }

    void failed(const std::string& kept, const std::string& why) {
        std::cerr << "relaylab serve: reload failed, keeping policy " << kept << ": " << why << "\n";
        if (json_)
            log_ << json_text({{"time", format_time(clock_.now())}, {"event", "reload_failed"}, {"policy", kept}, {"error", why}})
                 << "\n";
        else
            log_ << format_time(clock_.now()) << " relaylab/master: warning: reload failed, keeping policy " << kept << ": "
                 << why << "\n";
        log_.flush();
    }

    asio::signal_set signals_;
    Clock& clock_;
    std::string file_;
    nlohmann::json running_;  // the configuration in effect, as config_to_json writes it
    gw::Relay& relay_;
    std::ostream& log_;
    bool json_;
};

int serve_main(int argc, char** argv) {
    po::options_description opts("options");
    std::string config_file;
    std::uint64_t seed = 0;
    opts.add_options()
        ("help,h", "this help")
        ("config,c", po::value(&config_file), "gateway configuration (JSON; see `relaylab config --defaults`)")
        ("seed", po::value(&seed), "seed for shuffling equal-preference MX hosts (default: random)");
    const char* usage =
        "usage: relaylab serve --config FILE\n\n"
        "Runs the gateway on real time: SMTP intake for handsets (loopback by default), MX resolution\n"
        "with c-ares against the configured DNS servers, delivery over SMTP, retries, and handset\n"
        "notices in <mailboxes>/<address>/new/. Logs one Postfix-shaped line per delivery attempt to\n"
        "`log` (or standard output). SIGHUP re-reads the config file's policy (the words of notices made\n"
        "from then on; other keys need a restart), like `postfix reload`; a bad policy keeps the old one.\n"
        "At start one DNS query checks that a configured server answers (a warning if none does).\n"
        "SIGTERM or SIGINT drains it: no new connection or delivery, those in\n"
        "flight get up to `stop_timeout` (default 30s) to finish; a second signal stops it at once. The\n"
        "queue is on disk in `spool` (default ./spool; false: memory-only), and serve listens on\n"
        "SPOOL/control for `relaylab queue --retry/--delete` (docs/spool.md).";
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "relaylab serve: " << e.what() << "\n";
        return exit_usage;
    }
    if (vm.count("help")) {
        std::cout << usage << "\n\n" << opts << "\n";
        return exit_ok;
    }
    if (config_file.empty()) {
        std::cerr << "relaylab serve: --config FILE is required\n" << usage << "\n";
        return exit_usage;
    }
    gw::GatewayConfig cfg;
    gw::RelaySettings relay_settings;
    gw::IntakeSettings intake_settings;
    std::optional<Endpoint> intake;
    std::optional<ServeMetrics> metrics_setup;  // metrics_listen (docs/operations.md)
    try {
        cfg = gw::read_config(JsonSource::load(config_file));
        intake = parse_endpoint(cfg.intake);
        if (!intake) throw std::invalid_argument("intake: \"" + cfg.intake + "\" is not a numeric address:port");
        relay_settings = gw::relay_settings(cfg);
        intake_settings = gw::intake_settings(cfg, intake->host);
        metrics_setup.emplace(cfg);
    } catch (const std::exception& e) {
        std::cerr << "relaylab serve: " << e.what() << "\n";
        return exit_usage;
    }
    auto policy = gw::load_named_policy(cfg.policy, std::filesystem::path(config_file).parent_path());
    if (!policy) {
        std::cerr << "relaylab serve: policy: " << policy.error().message() << "\n";
        return exit_usage;
    }
    relay_settings.process_id = static_cast<long>(::getpid());

    std::ofstream log_file;
    if (cfg.log) {
        log_file.open(*cfg.log, std::ios::app);
        if (!log_file) {
            std::cerr << "relaylab serve: cannot open log file " << *cfg.log << "\n";
            return exit_usage;
        }
    }
    std::ostream& log = cfg.log ? static_cast<std::ostream&>(log_file) : std::cout;

    asio::io_context io(1);  // one thread runs it: posts skip the scheduler's lock
    RealClock clock;
    std::mt19937_64 rng(vm.count("seed") ? seed : std::random_device{}());
    gw::Journal journal(log, cfg.log_json, io.get_executor());
    // The durable queue: opened (and locked) before intake listens, so that nothing is answered 250
    // that is not on disk, and a restart resumes the queue where it stopped.
    std::unique_ptr<gw::Spool> spool;
    if (!cfg.spool) std::cerr << "relaylab serve: warning: spool is off (memory-only): a stop loses every queued message\n";
    if (cfg.spool) {
        auto opened = gw::Spool::open(*cfg.spool);
        if (!opened) {
            std::cerr << "relaylab serve: spool: " << opened.error().str() << "\n";
            return exit_failed;
        }
        spool = std::move(opened).value();
    }
    try {
        dns::Resolver resolver(io.get_executor(), clock, gw::resolver_config(cfg));
        gw::Relay relay(io.get_executor(), clock, resolver, relay_settings, std::move(policy).value(), rng,
                        metrics_setup->sink(&journal));
        if (spool) {
            auto n = relay.recover(*spool);
            const auto& r = spool->recovered();
            std::cerr << "relaylab serve: spool " << *cfg.spool << ": " << n << " messages recovered";
            if (relay.interrupted_attempts())
                std::cerr << ", " << relay.interrupted_attempts() << " attempts cut short (may be delivered twice)";
            if (r.dropped_tail_bytes) std::cerr << ", " << r.dropped_tail_bytes << " bytes of a torn last record dropped";
            std::cerr << "\n";
        }
        // The operator's way into the live queue (docs/spool.md, "Control socket"): only with a
        // spool, made after its lock is taken.
        std::optional<gw::ControlSocket> control;
        if (spool) {
            auto logged = [&](const gw::ControlCommand& c, const gw::ControlAnswer& a) {
                log_control(log, cfg.log_json, clock.now(), c, a);
            };
            try {
                control.emplace(io.get_executor(), clock, relay, *cfg.spool, gw::ControlLimits{}, logged);
            } catch (const std::exception& e) {
                std::cerr << "relaylab serve: control socket: " << e.what() << "\n";
                return exit_failed;
            }
        }
        // A spool failure that made intake answer 451 goes to the log with its cause (the handset
        // hears only "451 4.3.0 Error: queue file write error").
        auto intake_warning = [&](const std::string& line) {
            if (cfg.log_json)
                log << json_text({{"time", format_time(clock.now())},
                                  {"event", line.rfind("warning: ", 0) == 0 ? "warning" : "smtpd"}, {"text", line}})
                    << "\n";
            else
                log << format_time(clock.now()) << " relaylab/smtpd: " << line << "\n";
            log.flush();
        };
        gw::Intake door(io.get_executor(), clock, relay, intake_settings, intake->host, intake->port, intake_warning);
        relay.start();
        // Training (docs/training.md): the start-up DNS check, and SIGHUP's policy reload.
        check_dns_at_start(io, resolver, rng);
        PolicyReload reload{io, clock, config_file, cfg, relay, log, cfg.log_json};
        std::cerr << "relaylab serve: intake on " << intake->host << ":" << door.port() << ", policy " << cfg.policy
                  << ", local_part " << cfg.local_part << ", mailboxes " << cfg.mailboxes << "\n";
        // --- Metrics (app/metrics_glue.hpp): the Prometheus endpoint, on this loop, reading the
        // relay, the intake and the spool at each scrape. Off unless metrics_listen is set.
        // Declared after what it reads, so destroyed before it (and before the io_context).
        std::unique_ptr<metrics::Server> metrics_endpoint;
        if (metrics_setup->enabled()) {
            try {
                metrics_endpoint = metrics_setup->start(io.get_executor(), clock, relay, door, spool.get());
                std::cerr << "relaylab serve: metrics on http://" << *cfg.metrics_listen << "/metrics\n";
            } catch (const std::exception& e) {
                std::cerr << "relaylab serve: metrics_listen " << *cfg.metrics_listen << ": " << e.what() << "\n";
                return exit_failed;
            }
        }
        // --- end of metrics
        Drain drain{io, clock, door, relay, cfg.stop_timeout};
        asio::signal_set signals(io, SIGINT, SIGTERM);
        std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                                    int sig) {
            if (ec) return;
            if (drain.started()) {
                std::cerr << "relaylab serve: signal " << sig << " again, stopping at once\n";
                drain.finish("second signal");
                return;
            }
            std::cerr << "relaylab serve: signal " << sig << ", draining: " << door.open_sessions()
                      << " intake sessions, " << relay.in_flight() << " deliveries in flight, up to "
                      << format_duration(cfg.stop_timeout) << " (stop_timeout)\n";
            if (control) control->stop();  // removes DIR/control
            drain.start();
            signals.async_wait(on_signal);
        };
        signals.async_wait(on_signal);
        io.run();
        std::cerr << "relaylab serve: stopped (" << drain.how() << "; " << relay.queue().messages()
                  << " messages still queued, " << (spool ? "kept in the spool" : "lost: no spool");
        if (relay.notices_pending())
            std::cerr << "; " << relay.notices_pending() << " notices not yet written (" << relay.notice_errors()
                      << " Maildir errors), " << (spool ? "kept in the spool" : "lost: no spool");
        std::cerr << ")\n";
    } catch (const std::exception& e) {
        std::cerr << "relaylab serve: " << e.what() << "\n";
        return exit_failed;
    }
    return exit_ok;
}

const Registration registration{{"serve", "run the gateway live: SMTP intake, real DNS and delivery, notices", &serve_main, 10}};

int config_main(int argc, char** argv) {
    std::string_view arg = argc > 1 ? argv[1] : "";
    if (arg == "--defaults") {
        const gw::GatewayConfig defaults;  // named: g++ 12 warns of a map in a temporary's aggregate
        std::cout << json_text(gw::config_to_json(defaults), 2) << "\n";
        return exit_ok;
    }
    if (arg == "--check" && argc > 2) {
        try {
            auto cfg = gw::read_config(JsonSource::load(argv[2]));
            auto policy = gw::load_named_policy(cfg.policy, std::filesystem::path(argv[2]).parent_path());
            if (!policy) throw std::runtime_error("policy: " + policy.error().message());
            std::cout << json_text(gw::config_to_json(cfg), 2) << "\n";
            return exit_ok;
        } catch (const std::exception& e) {
            std::cerr << e.what() << "\n";
            return exit_usage;
        }
    }
    std::ostream& out = arg == "--help" || arg == "-h" ? std::cout : std::cerr;
    out << "usage: relaylab config --defaults | --check FILE\n\n"
           "--defaults    print every configuration key with its default (JSON, the config file format)\n"
           "--check FILE  read FILE as `relaylab serve` would and print the effective configuration\n";
    return &out == &std::cout ? exit_ok : exit_usage;
}

const Registration config_registration{{"config", "print the configuration defaults, or check a config file", &config_main, 90}};

}  // namespace
}  // namespace relaylab::app
