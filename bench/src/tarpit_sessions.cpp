// N outbound SMTP sessions held open at once by a tarpit (a remote that accepts the connection
// and never sends its greeting), each through smtp::Client with its greeting deadline on the
// caller's Clock. Reports memory (RSS and heap) while all are waiting, CPU used while waiting,
// and how far each session's end strayed from its deadline (connected + greeting_timeout).
// Usage: bench-tarpit-sessions HOST PORT [SESSIONS=10000] [GREETING_TIMEOUT_S=20] [RAMP_S=0]
#include "clock/clock.hpp"
#include "smtpclient/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace relaylab;
namespace asio = boost::asio;
using Steady = std::chrono::steady_clock;

namespace {

long rss_kb() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

double cpu_s() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Tally {
    std::size_t started = 0, connected = 0, finished = 0, timed_out_at_greeting = 0, other = 0;
    std::vector<double> lateness_ms;  // end - (connected + timeout)
};

asio::awaitable<void> one_session(asio::io_context& io, Clock& clock, smtp::ClientConfig cfg, smtp::Remote remote,
                                  Tally& t) {
    ++t.started;
    smtp::Client client(io.get_executor(), clock, cfg);
    auto st = co_await client.open(remote);
    TimePoint ended_at = clock.now();
    ++t.finished;
    // The transcript's first line is the connect; its time starts the greeting deadline.
    const auto& tr = client.transcript();
    if (!st.ok && st.stage == smtp::Stage::Greeting && st.net == smtp::NetError::Timeout && !tr.empty()) {
        ++t.timed_out_at_greeting;
        auto connected_at = tr.front().at;
        auto deadline = connected_at + cfg.greeting_timeout;
        t.lateness_ms.push_back(std::chrono::duration<double, std::milli>(ended_at - deadline).count());
    } else {
        ++t.other;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s HOST PORT [SESSIONS] [GREETING_TIMEOUT_S] [RAMP_S]\n", argv[0]);
        return 2;
    }
    smtp::Remote remote{"tarpit.example", argv[1], static_cast<unsigned short>(std::atoi(argv[2]))};
    std::size_t sessions = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 10000;
    int timeout_s = argc > 4 ? std::atoi(argv[4]) : 20;
    double ramp_s = argc > 5 ? std::atof(argv[5]) : 0;

    smtp::ClientConfig cfg;
    cfg.helo_name = "relay.carrier.example";
    cfg.connect_timeout = std::chrono::seconds(timeout_s);
    cfg.greeting_timeout = std::chrono::seconds(timeout_s);

    asio::io_context io(1);
    RealClock clock;
    Tally t;
    long rss0 = rss_kb();
    auto t0 = Steady::now();
    // Started in steps of 100 spread over RAMP_S (0: all at once), as a relay's queue would.
    asio::steady_timer ramp(io);
    std::size_t launched = 0;
    std::function<void()> launch = [&] {
        for (int i = 0; i < 100 && launched < sessions; ++i, ++launched)
            asio::co_spawn(io, one_session(io, clock, cfg, remote, t), asio::detached);
        if (launched < sessions) {
            ramp.expires_after(std::chrono::duration_cast<Steady::duration>(
                std::chrono::duration<double>(ramp_s / static_cast<double>(sessions / 100 + 1))));
            ramp.async_wait([&](boost::system::error_code) { launch(); });
        }
    };
    launch();

    // Sample while waiting: at half the timeout after the last start, every session should be
    // connected and silent.
    long rss_waiting = 0;
    std::size_t heap_waiting = 0;
    double cpu_at_sample = 0, cpu_window_s = 0, cpu_in_window = 0, open_at_sample = 0;
    asio::steady_timer sample(io);
    auto wait_start = std::chrono::duration<double>(ramp_s + timeout_s * 0.25);
    sample.expires_after(std::chrono::duration_cast<Steady::duration>(wait_start));
    sample.async_wait([&](boost::system::error_code) {
        cpu_at_sample = cpu_s();
        rss_waiting = rss_kb();
        struct mallinfo2 mi = mallinfo2();
        heap_waiting = mi.uordblks + mi.hblkhd;
        open_at_sample = static_cast<double>(t.started - t.finished);
        sample.expires_after(std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(timeout_s * 0.5)));
        sample.async_wait([&](boost::system::error_code) {
            cpu_window_s = timeout_s * 0.5;
            cpu_in_window = cpu_s() - cpu_at_sample;
        });
    });
    io.run();
    double wall = std::chrono::duration<double>(Steady::now() - t0).count();

    auto& l = t.lateness_ms;
    std::sort(l.begin(), l.end());
    auto pct = [&](double p) { return l.empty() ? 0.0 : l[std::min(l.size() - 1, static_cast<std::size_t>(p * l.size()))]; };
    std::printf("sessions %zu\nopen_at_sample %.0f\n", sessions, open_at_sample);
    std::printf("rss_kb_before %ld\nrss_kb_waiting %ld\nheap_bytes_waiting %zu\n", rss0, rss_waiting, heap_waiting);
    std::printf("bytes_per_session %.0f\n", open_at_sample > 0 ? (rss_waiting - rss0) * 1024.0 / open_at_sample : 0.0);
    std::printf("cpu_percent_while_waiting %.2f\n", cpu_window_s > 0 ? 100 * cpu_in_window / cpu_window_s : -1.0);
    std::printf("timed_out_at_greeting %zu\nother_endings %zu\n", t.timed_out_at_greeting, t.other);
    std::printf("lateness_ms_min %.1f\nlateness_ms_median %.1f\nlateness_ms_p99 %.1f\nlateness_ms_max %.1f\n",
                pct(0), pct(0.5), pct(0.99), l.empty() ? 0.0 : l.back());
    std::printf("wall_s %.1f\ncpu_s_total %.2f\n", wall, cpu_s());
    return t.timed_out_at_greeting == sessions ? 0 : 1;
}
