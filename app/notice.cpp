// `relaylab notice show FILE|DIR`: a handset notice (docs/notice.md: ISO-2022-JP or UTF-8 MIME,
// multipart/report) decoded for a terminal, as the handset shows it: the subject and sender, the
// words, then the delivery-status fields (the truth, whatever the words say). The MIME reading is
// diagnosis/mime_message (GMime); this file only chooses what to print and in which order.
#include "app/command.hpp"
#include "diagnosis/mime_dsn.hpp"
#include "diagnosis/mime_message.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace relaylab::app {
namespace {

namespace fs = std::filesystem;

// A notice is a few kilobytes (docs/notice.md bounds its parts); a file beyond this is not one.
constexpr std::uintmax_t max_notice_octets = 1024 * 1024;
// A folder holds at most this many files shown (a Maildir that grew past it is not a demo's).
constexpr std::size_t max_notices_shown = 10000;

// The delivery-status fields in the order a reader needs them (RFC 3464 §2.3); the rest follow as
// they came.
constexpr std::string_view first_fields[] = {"final-recipient", "action", "status", "remote-mta", "diagnostic-code"};

// What a terminal must not receive from a file: control characters (escape sequences) become '?'.
std::string terminal_safe(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '\r') continue;
        out += (u < 0x20 && c != '\n' && c != '\t') || u == 0x7f ? '?' : c;
    }
    return out;
}

// "final-recipient" → "Final-Recipient" (the fields are read lower-cased).
std::string field_name(std::string_view lower) {
    std::string out(lower);
    bool up = true;
    for (auto& c : out) {
        if (up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        up = c == '-';
    }
    if (out == "Remote-Mta") out = "Remote-MTA";
    if (out == "Reporting-Mta") out = "Reporting-MTA";
    if (out == "X-Remote-Mta-Ip") out = "X-Remote-MTA-IP";
    return out;
}

void print_fields(std::ostream& out, const std::vector<diag::HeaderField>& fields, bool all) {
    for (auto name : first_fields)
        for (const auto& f : fields)
            if (f.name == name) out << "  " << field_name(f.name) << ": " << terminal_safe(f.value) << "\n";
    if (!all) return;
    for (const auto& f : fields)
        if (std::find(std::begin(first_fields), std::end(first_fields), f.name) == std::end(first_fields))
            out << "  " << field_name(f.name) << ": " << terminal_safe(f.value) << "\n";
}

// Reads and shows one file; on a mistake returns its words (nothing printed to `out`).
std::string show(std::ostream& out, const fs::path& file, bool all) {
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    if (ec) return "cannot read " + file.string() + ": " + ec.message();
    if (size > max_notice_octets)
        return file.string() + ": " + std::to_string(size) + " bytes, more than a notice's " + std::to_string(max_notice_octets);
    std::ifstream in(file, std::ios::binary);
    if (!in) return "cannot read " + file.string() + ": " + std::strerror(errno);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return "cannot read " + file.string();

    diag::MimeMessage m = diag::read_mime(bytes);
    if (!m.is_mime || m.content_type != "multipart/report" || m.report_type != "delivery-status" || m.delivery_status.empty())
        return file.string() + ": not a handset notice (no multipart/report with a delivery-status part; docs/notice.md)";
    out << "Subject: " << terminal_safe(diag::field_value(m.headers, "subject")) << "\n";
    out << "From:    " << terminal_safe(diag::field_value(m.headers, "from")) << "\n";
    out << "Date:    " << terminal_safe(diag::field_value(m.headers, "date")) << "\n";
    out << "To:      " << terminal_safe(diag::field_value(m.headers, "to")) << "\n\n";
    if (!m.texts.empty()) {
        std::string body = terminal_safe(m.texts.front());
        while (!body.empty() && body.back() == '\n') body.pop_back();
        out << body << "\n";
    }
    out << "\n-- delivery-status (RFC 3464) --\n";
    for (const auto& part : m.delivery_status) {
        diag::DeliveryStatus ds = diag::read_delivery_status(part);
        if (all) print_fields(out, ds.per_message, true);
        for (const auto& r : ds.recipients) print_fields(out, r, all);
    }
    return {};
}

bool is_maildir(const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(dir / "new", ec) || fs::is_directory(dir / "cur", ec);
}

// The files of a Maildir (new/ then cur/), by name: Maildir names begin with the time of delivery.
void maildir_files(const fs::path& dir, std::vector<fs::path>& files) {
    for (const char* sub : {"new", "cur"}) {
        std::vector<fs::path> here;
        std::error_code ec;
        for (fs::directory_iterator it(dir / sub, ec), end; !ec && it != end; it.increment(ec))
            if (it->is_regular_file(ec)) here.push_back(it->path());
        std::sort(here.begin(), here.end());
        files.insert(files.end(), here.begin(), here.end());
    }
}

// DIR: a Maildir; or a folder of files and of Maildirs (the gateway's mailboxes folder).
std::vector<fs::path> files_of(const fs::path& dir, std::string& error) {
    std::vector<fs::path> files;
    if (is_maildir(dir)) {
        maildir_files(dir, files);
        return files;
    }
    std::vector<fs::path> entries;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
    if (ec) {
        error = "cannot read " + dir.string() + ": " + ec.message();
        return {};
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& e : entries) {
        if (fs::is_regular_file(e, ec)) files.push_back(e);
        else if (fs::is_directory(e, ec) && is_maildir(e)) maildir_files(e, files);
    }
    return files;
}

constexpr const char* usage =
    "usage: relaylab notice show [--all] FILE|DIR...\n\n"
    "Shows handset notices (docs/notice.md) decoded for a terminal, in the order a handset shows\n"
    "them: Subject, From, Date, To, the words (ISO-2022-JP or UTF-8, decoded), then the\n"
    "delivery-status fields (RFC 3464: Final-Recipient, Action, Status, Remote-MTA, Diagnostic-Code).\n"
    "DIR is a Maildir (its new/ and cur/), or a folder of notice files and Maildirs such as serve's\n"
    "`mailboxes`; each notice is shown under a ==> FILE <== line when there are several.\n\n"
    "  --all      every delivery-status field (Reporting-MTA, Arrival-Date, Last-Attempt-Date, ...)\n"
    "  -h, --help this help\n\n"
    "Exit status: 0 every file was a notice and was shown, 1 no notice was found, 2 a file was\n"
    "unreadable or not a notice (the others are still shown), or a bad command line.";

int notice_main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        (args.empty() ? std::cerr : std::cout) << usage << "\n";
        return args.empty() ? exit_usage : exit_ok;
    }
    if (args[0] != "show") {
        std::cerr << "relaylab notice: unknown sub-command \"" << terminal_safe(args[0]) << "\"\n\n" << usage << "\n";
        return exit_usage;
    }
    bool all = false;
    std::vector<fs::path> targets;
    for (std::size_t i = 1; i < args.size(); ++i) {
        if (args[i] == "--help" || args[i] == "-h") {
            std::cout << usage << "\n";
            return exit_ok;
        }
        if (args[i] == "--all") all = true;
        else if (args[i].rfind("-", 0) == 0 && args[i] != "-") {
            std::cerr << "relaylab notice show: unknown option " << terminal_safe(args[i]) << "\n\n" << usage << "\n";
            return exit_usage;
        } else targets.emplace_back(args[i]);
    }
    if (targets.empty()) {
        std::cerr << "relaylab notice show: name a notice FILE or a DIR\n\n" << usage << "\n";
        return exit_usage;
    }
    bool bad = false;
    std::vector<fs::path> files;
    for (const auto& t : targets) {
        std::error_code ec;
        if (fs::is_directory(t, ec)) {
            std::string error;
            auto here = files_of(t, error);
            if (!error.empty()) {
                std::cerr << "relaylab notice show: " << terminal_safe(error) << "\n";
                bad = true;
            } else if (here.empty()) {
                std::cerr << "relaylab notice show: " << terminal_safe(t.string()) << ": no files (a Maildir's new/ and cur/ are empty)\n";
            }
            files.insert(files.end(), here.begin(), here.end());
        } else if (fs::exists(t, ec)) {
            files.push_back(t);
        } else {
            std::cerr << "relaylab notice show: cannot read " << terminal_safe(t.string()) << ": no such file or folder\n";
            bad = true;
        }
    }
    if (files.size() > max_notices_shown) {
        std::cerr << "relaylab notice show: " << files.size() << " files; showing the first " << max_notices_shown << "\n";
        files.resize(max_notices_shown);
    }
    std::size_t shown = 0;
    const bool headed = files.size() > 1;
    for (const auto& f : files) {
        std::ostringstream one;
        std::string error = show(one, f, all);
        if (!error.empty()) {
            std::cerr << "relaylab notice show: " << terminal_safe(error) << "\n";
            bad = true;
            continue;
        }
        if (headed) std::cout << (shown ? "\n" : "") << "==> " << terminal_safe(f.string()) << " <==\n";
        std::cout << one.str();
        ++shown;
    }
    std::cout << std::flush;
    if (bad) return exit_usage;
    return shown ? exit_ok : exit_failed;
}

const Registration registration{{"notice", "show handset notices (a file, a Maildir) decoded: subject, words, delivery-status",
                                 &notice_main, 35}};

}  // namespace
}  // namespace relaylab::app
