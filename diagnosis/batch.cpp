#include "diagnosis/batch.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <set>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace relaylab::diag {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view separator_start = "From ";

bool is_blank_line(std::string_view line) { return line == "\n" || line == "\r\n"; }

// ">From ", ">>From "...: a body line an mbox writer quoted.
bool is_quoted_from(std::string_view line) {
    const auto gts = line.find_first_not_of('>');
    return gts != std::string_view::npos && gts > 0 && line.substr(gts).starts_with(separator_start);
}

struct Walk {
    std::vector<BatchFile>& out;
    std::set<std::pair<dev_t, ino_t>> folders_seen;
    std::size_t listed = 0;
    bool cut = false;

    void error(const fs::path& p, const std::string& name, std::string what) {
        out.push_back({p, name, std::move(what)});
    }

    void file(const fs::path& p, const std::string& name) {
        if (cut) return;
        if (++listed > max_batch_files) {
            cut = true;
            error(p, name, "listing stopped after " + std::to_string(max_batch_files) + " files");
            return;
        }
        out.push_back({p, name, {}});
    }

    void entry(const fs::path& p, const std::string& name, std::size_t depth) {
        std::error_code ec;
        const auto st = fs::status(p, ec);  // follows symlinks: a link to a file is read
        if (ec || !fs::exists(st)) return error(p, name, ec ? ec.message() : "no such file or directory");
        if (fs::is_directory(st)) return folder(p, name, depth);
        if (fs::is_regular_file(st)) return file(p, name);
        error(p, name, "not a regular file or a folder");
    }

    void folder(const fs::path& p, const std::string& name, std::size_t depth) {
        if (cut) return;
        struct stat st {};
        if (::stat(p.c_str(), &st) != 0) return error(p, name, std::strerror(errno));
        // The same folder twice is a symlink loop (or two links to one folder): read it once.
        if (!folders_seen.insert({st.st_dev, st.st_ino}).second) return;
        if (depth >= max_batch_depth)
            return error(p, name, "folders nested deeper than " + std::to_string(max_batch_depth) + " are not read");
        std::vector<std::string> names;
        std::error_code ec;
        for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
            auto fn = it->path().filename().string();
            if (!fn.empty() && fn.front() != '.') names.push_back(std::move(fn));
        }
        if (ec) return error(p, name, "cannot list: " + ec.message());
        std::sort(names.begin(), names.end());
        const auto is_sub = [&](const char* sub) {
            return std::binary_search(names.begin(), names.end(), sub) && fs::is_directory(p / sub, ec);
        };
        if (is_sub("cur") && is_sub("new")) names = {"cur", "new"};  // a Maildir
        for (const auto& fn : names) {
            if (cut) return;
            entry(p / fn, (fs::path(name) / fn).string(), depth + 1);
        }
    }
};

// A file descriptor closed when it goes out of scope.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::vector<BatchFile> list_inputs(const std::vector<std::string>& paths) {
    std::vector<BatchFile> out;
    for (const auto& arg : paths) {
        Walk walk{out, {}, 0, false};
        walk.entry(fs::path(arg), arg, 0);
    }
    return out;
}

bool looks_like_mbox(std::string_view start) { return start.starts_with(separator_start); }

MboxSplitter::MboxSplitter(Sink sink, std::size_t max_message_octets)
    : sink_(std::move(sink)), max_message_(max_message_octets) {}

void MboxSplitter::append(std::string_view bytes) {
    if (message_.size() + bytes.size() > max_message_) {
        bytes = bytes.substr(0, max_message_ - std::min(max_message_, message_.size()));
        truncated_ = true;
    }
    message_.append(bytes);
}

void MboxSplitter::emit() {
    ++emitted_;
    sink_(std::exchange(message_, {}), truncated_);
    truncated_ = false;
}

// A line (or, when not complete, the start of a line longer than max_line_octets).
void MboxSplitter::take_line(std::string_view line, bool complete) {
    const bool separator = previous_blank_ && line.starts_with(separator_start);
    previous_blank_ = complete && is_blank_line(line);
    if (separator) {
        if (started_) emit();
        message_.clear();  // blank lines before the first separator
        truncated_ = false;
        started_ = true;
        long_line_ = complete ? LongLine::None : LongLine::Discard;
        return;
    }
    if (!started_ && !is_blank_line(line)) started_ = true;
    append(is_quoted_from(line) ? line.substr(1) : line);
    long_line_ = complete ? LongLine::None : LongLine::Append;
}

void MboxSplitter::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        const auto nl = bytes.find('\n');
        const auto segment = bytes.substr(0, nl == std::string_view::npos ? bytes.size() : nl + 1);
        bytes.remove_prefix(segment.size());
        const bool ends_line = nl != std::string_view::npos;
        if (long_line_ != LongLine::None) {
            // The rest of a line too long to hold: it belongs to the message, or to a separator.
            if (long_line_ == LongLine::Append) append(segment);
            if (ends_line) long_line_ = LongLine::None;
            continue;
        }
        const auto room = max_line_octets - std::min(max_line_octets, pending_.size());
        if (segment.size() > room) {
            // Too long to hold: decided by its start, the rest streamed (never copied whole).
            pending_.append(segment.substr(0, room));
            take_line(pending_, false);
            pending_.clear();
            if (long_line_ == LongLine::Append) append(segment.substr(room));
            if (ends_line) long_line_ = LongLine::None;
            continue;
        }
        pending_.append(segment);
        if (ends_line) {
            take_line(pending_, true);
            pending_.clear();
        }
    }
}

void MboxSplitter::finish() {
    if (!pending_.empty()) take_line(pending_, false);
    pending_.clear();
    long_line_ = LongLine::None;
    if (started_) emit();
    started_ = false;
    previous_blank_ = true;
}

std::vector<std::string> split_mbox(std::string_view mbox) {
    std::vector<std::string> out;
    MboxSplitter splitter([&](std::string m, bool) { out.push_back(std::move(m)); });
    splitter.feed(mbox);
    splitter.finish();
    return out;
}

void read_inputs(const BatchFile& file, const std::function<void(BatchInput&&)>& on_input) {
    if (!file.error.empty()) return on_input({file.name, {}, false, file.error});
    // O_NONBLOCK: if the path became a FIFO since it was listed, reading it must not hang.
    Fd fd{::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
    struct stat st {};
    if (fd.fd < 0 || ::fstat(fd.fd, &st) != 0)
        return on_input({file.name, {}, false, std::string("cannot read: ") + std::strerror(errno)});
    if (!S_ISREG(st.st_mode)) return on_input({file.name, {}, false, "not a regular file"});
    read_stream_inputs(fd.fd, file.name, on_input);
}

void read_stream_inputs(int fd, const std::string& name, const std::function<void(BatchInput&&)>& on_input) {
    // One read buffer for every file: a fresh 64 KiB string per file costs a memset and, in glibc, a
    // consolidation of the free lists (a large request) — more than reading a small bounce.
    thread_local std::unique_ptr<char[]> buffer(new char[batch_read_chunk]);
    const std::span<char> chunk(buffer.get(), batch_read_chunk);
    std::string single;  // a text that is not an mbox: at most max_input_octets + 1
    std::optional<MboxSplitter> mbox;
    bool first = true;
    for (;;) {
        const auto n = ::read(fd, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return on_input({name, {}, false, std::string("cannot read: ") + std::strerror(errno)});
        if (n == 0) break;
        const std::string_view got(chunk.data(), static_cast<std::size_t>(n));
        if (first && looks_like_mbox(got)) {
            mbox.emplace([&](std::string message, bool truncated) {
                on_input({name + "#" + std::to_string(mbox->messages()), std::move(message), truncated, {}});
            });
        }
        first = false;
        if (mbox) {
            mbox->feed(got);
            continue;
        }
        single.append(got.substr(0, max_input_octets + 1 - std::min(single.size(), max_input_octets + 1)));
        if (single.size() > max_input_octets) break;  // the rest is never read
    }
    if (mbox) return mbox->finish();
    const bool truncated = single.size() > max_input_octets;
    if (truncated) single.resize(max_input_octets);
    on_input({name, std::move(single), truncated, {}});
}

}  // namespace relaylab::diag
