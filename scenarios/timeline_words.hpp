// The words of the timeline: one line per DNS query, MX lookup, attempt and notice, made from the
// typed events. Nothing here may depend on ports, paths or real time (reports compare byte for byte).
#pragma once

#include "log/events.hpp"
#include "scenarios/run_record.hpp"
#include "scenarios/world/dns_server.hpp"
#include "smtpclient/reply.hpp"

#include <string>
#include <vector>

namespace relaylab::scn {

// "553 malformed address" (lines joined by a space, as MTAs quote a reply).
std::string reply_text(const smtp::Reply& r);
// delivered | bounced | expired | pending (a deferred recipient is still pending).
std::string disposition_name(gw::Disposition d);
// Copies the last attempt's stage, reply, class, status and remote host into the record.
void fill_truth(RecipientRecord& r, const gw::ClassifiedOutcome& c);

std::string dns_query_line(const world::DnsQueryRecord& q);     // "dns: ? isp.example MX → answer NOERROR"
std::string mx_lookup_line(const dns::MxResult& r);            // "mx: isp.example found: 10 mx1... [127.0.0.21]"
std::string attempt_line(const gw::AttemptResult& a, TimePoint start);
std::vector<std::string> notice_lines(const NoticeRecord& n);  // header, subject, body lines, DSN fields

// "+0s", "+5m", "+1h30m": virtual time since the start.
std::string offset_text(TimePoint at, TimePoint start);

}  // namespace relaylab::scn
