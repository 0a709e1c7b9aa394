#include "clock/duration.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>

namespace relaylab {

using std::chrono::milliseconds;

// Durations count nanoseconds in 64 bits (±292 years); a parsed one stays below a quarter of that
// (~73 years) so that sums and `now + d` in the retry arithmetic cannot overflow either.
constexpr std::int64_t max_duration_ms = std::numeric_limits<Duration::rep>::max() / 1'000'000 / 4;

std::optional<Duration> parse_duration(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::int64_t total_ms = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        std::int64_t n = 0;
        std::size_t digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (n > std::numeric_limits<std::int64_t>::max() / 10 - 10) return std::nullopt;
            n = n * 10 + (s[i] - '0');
            ++i;
            ++digits;
        }
        if (digits == 0) return std::nullopt;
        std::size_t u = i;
        while (i < s.size() && (s[i] < '0' || s[i] > '9')) ++i;
        std::string_view unit = s.substr(u, i - u);
        std::int64_t scale = 0;
        if (unit == "ms") scale = 1;
        else if (unit == "s") scale = 1000;
        else if (unit == "m") scale = 60'000;
        else if (unit == "h") scale = 3'600'000;
        else if (unit == "d") scale = 86'400'000;
        else if (unit == "w") scale = 7 * 86'400'000LL;
        else return std::nullopt;
        if (n > (max_duration_ms - total_ms) / scale) return std::nullopt;
        total_ms += n * scale;
    }
    return std::chrono::duration_cast<Duration>(milliseconds(total_ms));
}

std::string format_duration(Duration d) {
    auto ms = std::chrono::duration_cast<milliseconds>(d).count();
    if (ms == 0) return "0s";
    std::string out;
    if (ms < 0) {
        out = "-";
        ms = -ms;
    }
    constexpr std::array<std::pair<std::int64_t, const char*>, 5> units{
        {{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}}};
    for (auto [scale, name] : units) {
        if (ms >= scale) {
            out += std::to_string(ms / scale) + name;
            ms %= scale;
        }
    }
    return out;
}

namespace {

// The calendar fields of a UTC time point, from <chrono>'s civil calendar: no gmtime_r call and
// no printf for the two timestamps written per relayed message (log line, Received: header).
struct Civil {
    int year, month, day, hour, minute, second, millis;
    unsigned weekday;  // 0 = Sunday
};

Civil civil(TimePoint t) {
    using namespace std::chrono;
    auto in_ms = floor<milliseconds>(t);
    auto day = floor<days>(in_ms);
    year_month_day ymd{day};
    hh_mm_ss<milliseconds> hms{in_ms - day};
    return {int(ymd.year()), int(unsigned(ymd.month())), int(unsigned(ymd.day())), int(hms.hours().count()),
            int(hms.minutes().count()), int(hms.seconds().count()), int(hms.subseconds().count()),
            weekday{day}.c_encoding()};
}

char* put_digits(char* p, int value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        p[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return p + width;
}

// Years 0..9999 print in four digits; others (never a mail timestamp) go through printf.
bool four_digit_year(const Civil& c) { return c.year >= 0 && c.year <= 9999; }

}  // namespace

std::string format_time(TimePoint t) {
    Civil c = civil(t);
    char buf[64];
    if (!four_digit_year(c)) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day, c.hour,
                      c.minute, c.second, c.millis);
        return buf;
    }
    char* p = put_digits(buf, c.year, 4);
    *p++ = '-';
    p = put_digits(p, c.month, 2);
    *p++ = '-';
    p = put_digits(p, c.day, 2);
    *p++ = 'T';
    p = put_digits(p, c.hour, 2);
    *p++ = ':';
    p = put_digits(p, c.minute, 2);
    *p++ = ':';
    p = put_digits(p, c.second, 2);
    *p++ = '.';
    p = put_digits(p, c.millis, 3);
    *p++ = 'Z';
    return std::string(buf, p);
}

std::string format_rfc5322(TimePoint t) {
    Civil c = civil(t);
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    if (!four_digit_year(c)) {
        std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[c.weekday], c.day,
                      months[c.month - 1], c.year, c.hour, c.minute, c.second);
        return buf;
    }
    char* p = buf;
    auto put = [&p](std::string_view s) { p = std::copy(s.begin(), s.end(), p); };
    put(days[c.weekday]);
    put(", ");
    p = put_digits(p, c.day, 2);
    *p++ = ' ';
    put(months[c.month - 1]);
    *p++ = ' ';
    p = put_digits(p, c.year, 4);
    *p++ = ' ';
    p = put_digits(p, c.hour, 2);
    *p++ = ':';
    p = put_digits(p, c.minute, 2);
    *p++ = ':';
    p = put_digits(p, c.second, 2);
    put(" +0000");
    return std::string(buf, p);
}

std::optional<TimePoint> parse_time(std::string_view s) {
    // Strictly "YYYY-MM-DDTHH:MM:SS[.fff…][Z]", digits where digits belong (sscanf's %2d took "-1"),
    // and a year TimePoint can hold: it counts nanoseconds in 64 bits, years 1678..2262.
    constexpr int earliest_year = 1678, latest_year = 2261;
    auto digits = [&](std::size_t at, std::size_t n) -> std::optional<int> {
        if (at + n > s.size()) return std::nullopt;
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return std::nullopt;
            v = v * 10 + (s[i] - '0');
        }
        return v;
    };
    auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2),
         sec = digits(17, 2);
    if (!y || !mo || !d || !h || !mi || !sec || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':')
        return std::nullopt;
    if (*y < earliest_year || *y > latest_year || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
    std::chrono::year_month_day date{std::chrono::year(*y), std::chrono::month(unsigned(*mo)), std::chrono::day(unsigned(*d))};
    if (!date.ok()) return std::nullopt;  // also 2009-02-30
    std::string_view rest = s.substr(19);
    int ms = 0;
    if (!rest.empty() && rest[0] == '.') {
        std::size_t i = 1;
        int scale = 100;
        while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
            ms += (rest[i] - '0') * scale;
            scale /= 10;
            ++i;
        }
        if (i == 1) return std::nullopt;  // a point without digits
        rest.remove_prefix(i);
    }
    if (rest != "Z" && rest != "") return std::nullopt;
    return TimePoint{std::chrono::sys_days(date)} + std::chrono::hours(*h) + std::chrono::minutes(*mi) +
           std::chrono::seconds(*sec) + milliseconds(ms);
}

}  // namespace relaylab
