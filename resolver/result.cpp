#include "resolver/result.hpp"

#include <array>
#include <utility>

namespace relaylab::dns {

namespace {
constexpr std::array<std::pair<Status, std::string_view>, 11> kNames{{
    {Status::Found, "found"},
    {Status::NullMx, "null_mx"},
    {Status::NxDomain, "nxdomain"},
    {Status::NoData, "nodata"},
    {Status::ServFail, "servfail"},
    {Status::Refused, "refused"},
    {Status::Timeout, "timeout"},
    {Status::BadName, "bad_name"},
    {Status::BadAnswer, "bad_answer"},
    {Status::ConnRefused, "conn_refused"},
    {Status::Error, "error"},
}};
}  // namespace

std::string_view to_string(Status s) {
    for (const auto& [status, name] : kNames)
        if (status == s) return name;
    return "error";
}

std::optional<Status> status_from_string(std::string_view s) {
    for (const auto& [status, name] : kNames)
        if (name == s) return status;
    return std::nullopt;
}

bool is_temporary(Status s) {
    switch (s) {
        // The name's owner said something definite: retrying will not change it.
        case Status::Found:
        case Status::NullMx:
        case Status::NxDomain:
        case Status::NoData:
        case Status::BadName:
            return false;
        // The resolver could not learn the answer (RFC 5321 §5.1: queue and retry). A malformed
        // answer counts here too, as in Postfix: it is usually a passing server fault.
        case Status::ServFail:
        case Status::Refused:
        case Status::Timeout:
        case Status::BadAnswer:
        case Status::ConnRefused:
        case Status::Error:
            return true;
    }
    return true;
}

}  // namespace relaylab::dns
