// Many inputs in one run (`relaylab explain --jsonl`, `relaylab triage`): the files that a list of
// paths names — a file, a folder walked recursively (a Maildir: its cur/ and new/), an mbox split
// into its messages — each handed over as bounded text under the name a report shows ("path", or
// "path#N" for the Nth message of an mbox, from 1). Deterministic: a folder's entries in byte order.
// Bounded: each message is cut at max_input_octets; a folder reached twice (a symlink loop) is read once.
#pragma once

#include "diagnosis/finding.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::diag {

// Folders nested deeper than this are not walked (an error entry says where it stopped).
inline constexpr std::size_t max_batch_depth = 64;
// Files listed for one path argument; beyond it an error entry says the listing was cut.
inline constexpr std::size_t max_batch_files = 1'000'000;
// Bytes read from a file at a time.
inline constexpr std::size_t batch_read_chunk = 64 * 1024;

// One file to read, or a path that could not be listed (error set, path may not exist).
struct BatchFile {
    std::filesystem::path path;
    std::string name;   // as the report shows it: the argument joined with the relative path
    std::string error;  // "no such file or directory", "not a regular file", ...
};

// One message to diagnose, or one that could not be read.
struct BatchInput {
    std::string name;        // "path" or "path#N"
    std::string text;        // at most max_input_octets
    bool truncated = false;  // the message was longer: only its start is in text
    std::string error;       // set: nothing could be read (text is empty)
};

// The files under each path, in order: arguments as given, a folder's entries sorted by name.
// Names starting with '.' inside a folder are skipped (dot files, Maildir++ sub-folders); a folder
// holding cur/ and new/ is a Maildir, and only those two are read (tmp/ holds deliveries in progress).
std::vector<BatchFile> list_inputs(const std::vector<std::string>& paths);

// Reads one listed file: a file whose first line starts with "From " is an mbox (RFC 4155) and
// gives one input per message; any other file gives one input. Never throws.
void read_inputs(const BatchFile& file, const std::function<void(BatchInput&&)>& on_input);
// The same on an open descriptor (stdin: name "-"); reads until end of file, keeps it open.
void read_stream_inputs(int fd, const std::string& name, const std::function<void(BatchInput&&)>& on_input);

// Splits an mbox into messages as its bytes arrive (sans I/O: feed any chunks, then finish()).
// A separator is a line starting with "From " at the start or after an empty line (RFC 4155);
// body lines quoted as ">From ", ">>From "… lose one '>' (mboxrd; also right for mboxo's ">From ").
// Text before the first separator, unless blank, is a message of its own: nothing is dropped silently.
class MboxSplitter {
public:
    using Sink = std::function<void(std::string message, bool truncated)>;
    explicit MboxSplitter(Sink sink, std::size_t max_message_octets = max_input_octets);
    void feed(std::string_view bytes);
    void finish();
    std::size_t messages() const { return emitted_; }

private:
    void take_line(std::string_view line, bool complete);
    void append(std::string_view bytes);
    void emit();

    Sink sink_;
    std::size_t max_message_;
    std::string message_;
    // A line longer than max_line_octets: its rest goes to the message, or is a separator's rest.
    enum class LongLine { None, Append, Discard };

    std::string pending_;  // the start of a line not yet complete (at most max_line_octets)
    LongLine long_line_ = LongLine::None;
    bool previous_blank_ = true;  // the file's start counts as after an empty line
    bool started_ = false;        // a separator was seen or text arrived
    bool truncated_ = false;
    std::size_t emitted_ = 0;
};

// The messages of a whole mbox, for callers that hold it in memory.
std::vector<std::string> split_mbox(std::string_view mbox);
// Whether text (a file's start) is an mbox: its first line starts with "From ".
bool looks_like_mbox(std::string_view start);

}  // namespace relaylab::diag
