#include "diagnosis/formats/reporters.hpp"

#include "diagnosis/text.hpp"

namespace relaylab::diag::formats {

using smtp::NetError;
using smtp::Stage;

// Each row from the reporter's documented or well-known wording (docs/readers.md lists the sources).
// Body markers are the reporter's own sentences, never a domain: a Postfix bounce about a docomo
// recipient names docomo.ne.jp too. Providers come first: their own MTAs may be Postfix or Exim.
const std::vector<ReporterFormat>& reporter_formats() {
    static const std::vector<ReporterFormat> rows = {
        // relaylab's own handset notices carry X-Remote-MTA-IP in their DSN; bounce_reader checks that.
        {"sendgrid", SourceKind::Dsn, {"This is an automatically generated message from SendGrid"}, {"sendgrid.net"}, {}},
        {"amazonses", SourceKind::Dsn,
         {"An error occurred while trying to deliver the mail to the following recipients"}, {"amazonses.com"}, {}},
        {"gmail", SourceKind::Dsn,
         {"The response from the remote server was:", "Google tried to deliver your message",
          "** Address not found **", "** Message not delivered **", "** Message blocked **",
          "Delivery to the following recipient failed permanently:", "Delivery to the following recipient has been delayed:"},
         {"googlemail.com", "@google.com", "@gmail.com"}, {"Delivery Status Notification"}},
        {"office365", SourceKind::Dsn,
         {"Your message couldn't be delivered", "Office 365"},
         {"onmicrosoft.com", "microsoftexchange"}, {}},
        {"outlook", SourceKind::Dsn, {}, {"@outlook.com", "@hotmail.com", "@live.com", "@msn.com"}, {}},
        {"exchange", SourceKind::Dsn,
         {"Delivery has failed to these recipients or groups", "Diagnostic information for administrators",
          "Your message did not reach some or all of the intended recipients", "Remote Server returned '",
          "Microsoft Exchange"},
         {}, {}},
        {"yahoo", SourceKind::Dsn,
         {"Sorry, we were unable to deliver your message to the following address"},
         {"yahoo.com", "yahoo.co.jp", "yahoo-inc.com"}, {}},
        {"docomo", SourceKind::Dsn, {}, {"docomo.ne.jp"}, {}},
        {"au", SourceKind::Dsn, {"Your mail sent on:", "The user(s) account is"},
         {"ezweb.ne.jp", "@au.com", "kddi.com", "auone-net.jp", "dion.ne.jp"}, {}},
        {"softbank", SourceKind::Dsn, {}, {"softbank.ne.jp", "softbank.jp", "vodafone.ne.jp", "disney.ne.jp"}, {}},
        {"biglobe", SourceKind::Dsn, {}, {"biglobe.ne.jp"}, {}},
        {"qmail", SourceKind::Dsn,
         {"This is the qmail-send program", "I'm afraid I wasn't able to deliver your message",
          "--- Below this line is a copy of the message."},
         {}, {}},
        {"courier", SourceKind::Dsn, {"running the Courier mail server", "Courier mail server at"}, {}, {}},
        {"opensmtpd", SourceKind::Dsn,
         {"This is the MAILER-DAEMON, please DO NOT REPLY", "An error has occurred while attempting to deliver a message",
          "Delivery to the following recipients failed"},
         {}, {}},
        {"postfix", SourceKind::PostfixBounce, {"This is the mail system at host", "X-Postfix-Queue-ID"}, {}, {}},
        {"exim", SourceKind::EximBounce,
         {"created automatically by mail delivery software", "The following address(es) failed",
          "has not yet been delivered to the following"},
         {}, {}},
        {"sendmail", SourceKind::SendmailBounce,
         {"Transcript of session follows", "The original message was received at",
          "The following addresses had permanent fatal errors"},
         {}, {}},
        {"domino", SourceKind::Dsn, {"------- Failure Reasons", "Lotus Domino", "Domino SMTP"}, {}, {}},
        // Mirapoint / Critical Path style, used by several Japanese ISPs ("Mail System Error - Returned Mail").
        {"mirapoint", SourceKind::Dsn,
         {"Each of the following recipients was rejected by a remote mail server",
          "This Message was undeliverable due to the following reason"},
         {}, {"Mail System Error - Returned Mail"}},
    };
    return rows;
}

bool from_mail_system(std::string_view from) {
    const auto from_l = lower(from);
    for (const std::string_view d : {"mailer-daemon", "postmaster", "mail delivery", "microsoftexchange", "no-reply@",
                                     "noreply@", "mail administrator", "mail router"})
        if (contains(from_l, d)) return true;
    return false;
}

const ReporterFormat* recognise(std::string_view from, std::string_view subject, std::string_view text) {
    // The reporter's own sentences first: a carrier's gateway that runs Postfix writes Postfix's words.
    for (const auto& r : reporter_formats())
        for (const auto m : r.body)
            if (contains(text, m)) return &r;
    // Then who sent it: only a mail system's address, so that a person's auto-reply is no bounce.
    if (!from_mail_system(from)) return nullptr;
    const auto from_l = lower(from);
    for (const auto& r : reporter_formats()) {
        bool from_hit = false;
        for (const auto m : r.from) from_hit = from_hit || contains(from_l, m);
        if (!from_hit) continue;
        if (r.subject.empty()) return &r;
        for (const auto m : r.subject)
            if (contains(subject, m)) return &r;
    }
    return nullptr;
}

const std::vector<Phrase>& phrases() {
    static const std::vector<Phrase> rows = {
        // Stages: Postfix "(in reply to … command)", Exim "after …", qmail's sentences, Yahoo's "[RCPT_TO]".
        {"in reply to mail from command", Meaning::Stage, Stage::Mail},
        {"in reply to rcpt to command", Meaning::Stage, Stage::Rcpt},
        {"in reply to end of data command", Meaning::Stage, Stage::Dot},
        {"in reply to data command", Meaning::Stage, Stage::Data},
        {"in reply to ehlo command", Meaning::Stage, Stage::Ehlo},
        {"in reply to helo command", Meaning::Stage, Stage::Helo},
        {"while receiving the initial server greeting", Meaning::Stage, Stage::Greeting},
        {"after pipelined mail from", Meaning::Stage, Stage::Mail},
        {"after mail from", Meaning::Stage, Stage::Mail},
        {"after pipelined rcpt to", Meaning::Stage, Stage::Rcpt},
        {"after rcpt to", Meaning::Stage, Stage::Rcpt},
        {"after end of data", Meaning::Stage, Stage::Dot},
        {"after pipelined data", Meaning::Stage, Stage::Data},
        {"after data", Meaning::Stage, Stage::Data},
        {"after ehlo", Meaning::Stage, Stage::Ehlo},
        {"after helo", Meaning::Stage, Stage::Helo},
        {"after initial connection", Meaning::Stage, Stage::Greeting},
        {"but sender was rejected", Meaning::Stage, Stage::Mail},
        {"does not like recipient", Meaning::Stage, Stage::Rcpt},
        {"failed on data command", Meaning::Stage, Stage::Data},
        {"failed after i sent the message", Meaning::Stage, Stage::Dot},
        {"but greeting failed", Meaning::Stage, Stage::Greeting},
        {"but my name was rejected", Meaning::Stage, Stage::Helo},
        {"[mail_from]", Meaning::Stage, Stage::Mail},
        {"[rcpt_to]", Meaning::Stage, Stage::Rcpt},
        {"[body]", Meaning::Stage, Stage::Dot},
        {"[end_of_data]", Meaning::Stage, Stage::Dot},
        {"in response to rcpt to", Meaning::Stage, Stage::Rcpt},
        {"in response to mail from", Meaning::Stage, Stage::Mail},
        {"in response to end of data", Meaning::Stage, Stage::Dot},
        {"in end of data", Meaning::Stage, Stage::Dot},
        {"in rcpt to", Meaning::Stage, Stage::Rcpt},
        {"in mail from", Meaning::Stage, Stage::Mail},
        {"(end of data)", Meaning::Stage, Stage::Dot},
        {"(rcpt to)", Meaning::Stage, Stage::Rcpt},
        {"(mail from)", Meaning::Stage, Stage::Mail},
        {"command: mail from", Meaning::Stage, Stage::Mail},
        {"command: rcpt to", Meaning::Stage, Stage::Rcpt},
        {"failed to connect", Meaning::Stage, Stage::Connect},
        // Japanese gateways' words for the stage ("after the body was sent", "command: …").
        {"本文送信後", Meaning::Stage, Stage::Dot},
        {"本文の送信完了後", Meaning::Stage, Stage::Dot},
        {"コマンド: mail from", Meaning::Stage, Stage::Mail},
        {"コマンド：mail from", Meaning::Stage, Stage::Mail},
        {"コマンド: rcpt to", Meaning::Stage, Stage::Rcpt},
        {"コマンド：rcpt to", Meaning::Stage, Stage::Rcpt},
        {"コマンド: data", Meaning::Stage, Stage::Data},
        // DNS.
        {"all relevant mx records point to non-existent hosts", Meaning::MxHostNx},
        {"mx records point to non-existent hosts", Meaning::MxHostNx},
        {"unrouteable address", Meaning::DnsNxDomain},
        {"unroutable address", Meaning::DnsNxDomain},
        {"host unknown", Meaning::DnsNxDomain},
        {"couldn't find any host named", Meaning::DnsNxDomain},
        {"couldn't find any host by that name", Meaning::DnsNxDomain},
        {"domain name not found", Meaning::DnsNxDomain},
        {"responded with code nxdomain", Meaning::DnsNxDomain},
        {"no such domain", Meaning::DnsNxDomain},
        {"domain does not exist", Meaning::DnsNxDomain},
        {"domain doesnt exist", Meaning::DnsNxDomain},
        {"domain doesn't exist", Meaning::DnsNxDomain},
        {"mx or srv record indicated no smtp service", Meaning::NullMx},
        {"does not accept mail (nullmx)", Meaning::NullMx},
        {"null mx", Meaning::NullMx},
        {"host lookup did not complete", Meaning::DnsTemporary},
        {"responded with code servfail", Meaning::DnsTemporary},
        {"temporary failure in name resolution", Meaning::DnsTemporary},
        {"temporary dns error", Meaning::DnsTemporary},
        // Connections.
        {"connection refused", Meaning::Net, std::nullopt, NetError::ConnectRefused},
        {"wasn't able to establish an smtp connection", Meaning::Net, std::nullopt, NetError::ConnectRefused},
        {"connection timed out", Meaning::Net, std::nullopt, NetError::ConnectTimeout},
        {"no route to host", Meaning::Net, std::nullopt, NetError::Unreachable},
        {"network is unreachable", Meaning::Net, std::nullopt, NetError::Unreachable},
        {"connection reset", Meaning::Net, std::nullopt, NetError::Reset},
        {"lost connection", Meaning::Net, std::nullopt, NetError::Closed},
        {"smtp timeout", Meaning::Net, std::nullopt, NetError::Timeout},
        // Expiry: the reporter gave up after retrying.
        {"retry timeout exceeded", Meaning::Expired},
        {"retry time not reached for any host after a long failure period", Meaning::Expired},
        {"cannot send message for", Meaning::Expired},
        {"been in the queue too long", Meaning::Expired},
        {"i'm not going to try again", Meaning::Expired},
        {"message expired", Meaning::Expired},
        {"delivery time expired", Meaning::Expired},
        {"too long in the queue", Meaning::Expired},
        {"could not be delivered within", Meaning::Expired},
        {"was not delivered within", Meaning::Expired},
        {"delivery attempts timed out", Meaning::Expired},
        // Japanese carriers' and ISPs' words: "could not deliver within the set time", "delivery deadline".
        {"一定時間内に配送できません", Meaning::Expired},
        {"一定時間内に配信できません", Meaning::Expired},
        {"一定時間内に送信できません", Meaning::Expired},
        {"一定時間内にお届けできません", Meaning::Expired},
        {"一定期間内に配送できません", Meaning::Expired},
        {"配送期限", Meaning::Expired},
        {"送信期限", Meaning::Expired},
        // Delay warnings.
        {"delivery attempts will continue", Meaning::Delayed},
        {"could not send message for past", Meaning::Delayed},
        {"has not yet been delivered", Meaning::Delayed},
        {"will continue trying", Meaning::Delayed},
        {"will keep trying", Meaning::Delayed},
        {"will retry", Meaning::Delayed},
        {"this is a warning message only", Meaning::Delayed},
        {"delivery to the following recipient has been delayed", Meaning::Delayed},
        {"no action is required on your part", Meaning::Delayed},
    };
    return rows;
}

const std::vector<std::string_view>& reply_markers() {
    static const std::vector<std::string_view> rows = {
        "remote host said:", "said:", "the response from the remote server was:", "the response was:",
        "remote server returned '", "remote server returned", "server replied:", "error:", "(reason:", "reason:",
        "diagnostic-code: smtp;", "reported error:", "response:",
        "the other server returned was:", "returned '", "応答:", "応答：", "エラー内容:", "エラー内容：",
    };
    return rows;
}

const std::vector<std::string_view>& recipient_labels() {
    static const std::vector<std::string_view> rows = {
        "intended recipient(s)", "intended recipient", "could not be delivered to", "original recipient",
        "final recipient", "failed recipient", "recipient address", "recipients", "recipient", "address", "to",
        "宛先", "受信者", "受取人", "送信先",
    };
    return rows;
}

const std::vector<std::string_view>& recipient_lead_ins() {
    static const std::vector<std::string_view> rows = {
        "wasn't delivered to ", "was not delivered to ", "couldn't be delivered to ", "could not be delivered to ",
        "delivery to ", "your message to ", "message to ", "delivered to ",
    };
    return rows;
}

const std::vector<std::string_view>& returned_message_markers() {
    static const std::vector<std::string_view> rows = {
        "below this line is a copy of the message", "this is a copy of the message", "copy of the original message",
        "original message headers", "original message follows", "----- original message", "original message header",
        "header of the original message", "headers of the original message", "returned mail follows",
        "content-type: message/rfc822", "the original message was:", "------ original message", "------- returned message",
        "元のメールのヘッダ", "元のメッセージのヘッダ", "送信されたメールのヘッダ",
    };
    return rows;
}

}  // namespace relaylab::diag::formats
