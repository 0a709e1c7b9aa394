# The failure causes the capture scripts provoke, and the truth about each one.
#
# Every case is one message from a handset of the carrier (sender domain ezweb.ne.jp) to a remote
# domain whose DNS (relaylab sim-dns) and mail exchanger (relaylab sim-smtp) are scripted here, so
# the label below is what the remote really did, not what any reader makes of the bounce.
#
# Keys of a case:
#   name      file stem of the captured evidence (<name>.eml, <name>-delayed.eml, ...)
#   domain    the recipient domain (default ispNN.example, NN = the case's number)
#   mx        the MX host name (default mx1.<domain>)
#   dns       "mx" (MX + A, the scripted remote listens), "nxdomain", "nullmx", "mx-noaddress",
#             "servfail", "refused" (MX + A, nothing listens)
#   sender    local part of the sender (default "taro")
#   rcpts     local parts of the recipients
#   notify    NOTIFY= parameter for every RCPT TO (RFC 3461), or None
#   body_kb   size of the message body in KB (default 1)
#   remote    the sim-smtp script (docs/world-smtp.md); hostname is filled in
#   did       what the remote (or DNS) did, in words, for made_by
#   failure / delayed / delivered: the label of the report of that kind, one entry per recipient
#             (reason, status, stage); "recipient" is filled in. A kind a case does not list is not
#             expected from it.
#   per_mta   {mta: {kind: [entries]}} where one MTA's behaviour makes the truth differ (for
#             instance Postfix refusing a message over the remote's SIZE before sending MAIL FROM)

#
# Labels follow docs/corpus.md: the failure report of a message that expired in the queue is
# "expired", 4.4.7 unless the last attempt's cause is a specific network one (4.4.1, 4.4.2,
# 4.4.3); its delay warnings carry the cause of the deferrals. "stage" is the command the report
# names; an MTA whose reports never name it (OpenSMTPD) gets null (the driver's names_stage).

SENDER_DOMAIN = "ezweb.ne.jp"


def one(reason, status, stage):
    return [{"reason": reason, "status": status, "stage": stage}]


# Exim's reports on a connection or DNS failure say no more than "retry timeout exceeded" (the
# failure) or the address alone (the warning, Status 4.0.0): the evidence holds no cause.
EXIM_SAYS_ONLY_EXPIRED = {"failure": one("expired", "4.4.7", None),
                          "delayed": one("onhold", "4.0.0", None)}


CASES = [
    {"name": "sender-malformed-553-pipelined", "sender": "p..q.",
     "rcpts": ["yamada"],
     "remote": {"malformed_sender": {"reply": "553 malformed address"},
                "quoted_sender": {"reply": "553 malformed address"}},
     "did": "answers 553 malformed address (no enhanced code) to MAIL FROM for the local part "
            "p..q., quoted or not; it offers PIPELINING",
     "failure": one("rejected", "5.1.7", "mail")},

    {"name": "sender-malformed-553", "sender": "xxx.......",
     "rcpts": ["suzuki"],
     "remote": {"capabilities": ["SIZE 10240000", "8BITMIME"],
                "malformed_sender": {"reply": "553 malformed address"},
                "quoted_sender": {"reply": "553 malformed address"}},
     "did": "answers 553 malformed address to MAIL FROM for the local part xxx......., quoted "
            "or not; no PIPELINING, no ENHANCEDSTATUSCODES",
     "failure": one("rejected", "5.1.7", "mail")},

    {"name": "sender-syntax-501-5.1.7", "sender": "q.",
     "rcpts": ["tanaka"],
     "remote": {"malformed_sender": {"reply": "501 5.1.7 Bad sender address syntax"},
                "quoted_sender": {"reply": "501 5.1.7 Bad sender address syntax"}},
     "did": "answers 501 5.1.7 Bad sender address syntax to MAIL FROM for the local part q.",
     "failure": one("rejected", "5.1.7", "mail")},

    {"name": "userunknown-550-5.1.1", "rcpts": ["nobody"],
     "remote": {"rcpt": {"reply": "550 5.1.1 <nobody@isp04.example>: Recipient address rejected: "
                                  "User unknown in local recipient table"}},
     "did": "answers 550 5.1.1 User unknown to RCPT TO",
     "failure": one("userunknown", "5.1.1", "rcpt")},

    {"name": "mailboxfull-452-4.2.2-expired", "rcpts": ["hanako"],
     "remote": {"rcpt": {"reply": "452 4.2.2 <hanako@isp05.example>: Mailbox full, try again later"}},
     "did": "answers 452 4.2.2 Mailbox full to RCPT TO on every attempt until the message expires",
     "failure": one("expired", "4.4.7", "rcpt"),
     "delayed": one("mailboxfull", "4.2.2", "rcpt")},

    {"name": "mailboxfull-552-5.2.2", "rcpts": ["jiro"],
     "remote": {"rcpt": {"reply": "552 5.2.2 <jiro@isp06.example>: Mailbox full (quota exceeded)"}},
     "did": "answers 552 5.2.2 Mailbox full to RCPT TO",
     "failure": one("mailboxfull", "5.2.2", "rcpt")},

    {"name": "disabled-550-5.2.1", "rcpts": ["saburo"],
     "remote": {"rcpt": {"reply": "550 5.2.1 <saburo@isp07.example>: Mailbox disabled, "
                                  "not accepting messages"}},
     "did": "answers 550 5.2.1 Mailbox disabled to RCPT TO",
     "failure": one("suspend", "5.2.1", "rcpt")},

    {"name": "hasmoved-551-5.1.6", "rcpts": ["shiro"],
     "remote": {"rcpt": {"reply": "551 5.1.6 User has moved; please try <shiro@newisp.example>"}},
     "did": "answers 551 5.1.6 User has moved; please try <...> to RCPT TO",
     "failure": one("hasmoved", "5.1.6", "rcpt")},

    {"name": "authfailure-550-5.7.26-multiline", "domain": "gmail.example",
     "mx": "gmail-smtp-in.l.gmail.example", "rcpts": ["goro.sato"],
     "remote": {"dot": {"reply": [
         "550-5.7.26 This mail has been blocked because the sender is unauthenticated.",
         "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.",
         "550-5.7.26",
         "550-5.7.26  Authentication results:",
         "550-5.7.26  DKIM = did not pass",
         "550-5.7.26  SPF [ezweb.ne.jp] with ip: [127.0.0.1] = did not pass",
         "550 5.7.26 Please read the sender guidelines of the receiving service. x17si2 - gsmtp"]}},
     "did": "answers a seven-line 550-5.7.26 (sender unauthenticated, SPF or DKIM) after the "
            "final dot, Gmail-like",
     "failure": one("authfailure", "5.7.26", "dot")},

    {"name": "norelaying-554-5.7.1", "rcpts": ["rokuro"],
     "remote": {"rcpt": {"reply": "554 5.7.1 <rokuro@isp10.example>: Relay access denied"}},
     "did": "answers 554 5.7.1 Relay access denied to RCPT TO",
     "failure": one("norelaying", "5.7.1", "rcpt")},

    {"name": "spam-554-5.7.1", "rcpts": ["nanako"],
     "remote": {"dot": {"reply": "554 5.7.1 Message rejected as spam (score 14.2, required 5.0)"}},
     "did": "answers 554 5.7.1 Message rejected as spam after the final dot",
     "failure": one("spamdetected", "5.7.1", "dot")},

    {"name": "virus-554-5.7.0", "rcpts": ["hachiro"],
     "remote": {"dot": {"reply": "554 5.7.0 Message rejected: virus found in attachment "
                                 "(Win.Test.EICAR_HDB-1)"}},
     "did": "answers 554 5.7.0 virus found after the final dot",
     "failure": one("virusdetected", "5.7.0", "dot")},

    {"name": "mesgtoobig-552-5.3.4", "rcpts": ["kuro"], "body_kb": 40,
     "remote": {"capabilities": ["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"],
                "max_message_bytes": 20000},
     "did": "does not announce SIZE, reads the 40 KB message and answers 552 5.3.4 after the "
            "final dot (limit 20000 octets)",
     "failure": one("mesgtoobig", "5.3.4", "dot")},

    {"name": "mesgtoobig-size-5.3.4", "rcpts": ["juro"], "body_kb": 40,
     "remote": {"capabilities": ["PIPELINING", "SIZE 20000", "8BITMIME", "ENHANCEDSTATUSCODES"]},
     "did": "announces SIZE 20000 for a 40 KB message (it would answer 552 5.3.4 to MAIL FROM "
            "with SIZE= over the limit)",
     "failure": one("mesgtoobig", "5.3.4", "mail"),
     # Postfix compares the message with the SIZE announced in EHLO and gives up without MAIL
     # FROM ("message size N exceeds size limit M of server"): no SMTP command was refused.
     "per_mta": {"postfix": {"failure": one("mesgtoobig", "5.3.4", None)}}},

    {"name": "requireptr-550-5.7.25", "rcpts": ["akiko"],
     "remote": {"rcpt": {"reply": "550 5.7.25 [127.0.0.1] The IP address sending this message "
                                  "does not have a PTR record"}},
     "did": "answers 550 5.7.25 (no PTR record for the client address) to RCPT TO",
     "failure": one("requireptr", "5.7.25", "rcpt")},

    {"name": "toomanyconn-421-4.7.0-expired", "rcpts": ["emiko"],
     "remote": {"greeting": {"reply": "421 4.7.0 mx1.isp16.example Too many concurrent SMTP "
                                      "connections from this IP; try again later"}},
     "did": "greets every connection with 421 4.7.0 Too many concurrent SMTP connections until "
            "the message expires",
     "failure": one("expired", "4.4.7", "greeting"),
     "delayed": one("toomanyconn", "4.7.0", "greeting")},

    {"name": "speeding-450-4.7.1-expired", "rcpts": ["fumiko"],
     "remote": {"rcpt": {"reply": "450 4.7.1 <fumiko@isp17.example>: Recipient address rejected: "
                                  "Rate limit exceeded for 127.0.0.1, try again later"}},
     "did": "answers 450 4.7.1 Rate limit exceeded to RCPT TO until the message expires",
     "failure": one("expired", "4.4.7", "rcpt"),
     "delayed": one("speeding", "4.7.1", "rcpt")},

    {"name": "blocked-greeting-554-5.7.1", "rcpts": ["haruko"],
     "remote": {"greeting": {"reply": "554 5.7.1 Service unavailable; Client host [127.0.0.1] "
                                      "blocked using zen.spamhaus.org"}},
     "did": "greets with 554 5.7.1 Service unavailable; Client host blocked using a DNSBL",
     "failure": one("blocked", "5.7.1", "greeting")},

    {"name": "helo-rejected-550-5.7.1", "rcpts": ["ikuko"],
     "remote": {"ehlo": {"reply": "550 5.7.1 Helo command rejected: Host not found"},
                "helo": {"reply": "550 5.7.1 Helo command rejected: Host not found"}},
     "did": "answers 550 5.7.1 Helo command rejected: Host not found to EHLO and to HELO",
     "failure": one("blocked", "5.7.1", "helo")},

    {"name": "hostunknown-nxdomain", "dns": "nxdomain", "rcpts": ["junko"],
     "did": "the recipient domain does not exist (sim-dns answers NXDOMAIN)",
     "failure": one("hostunknown", "5.1.2", None),
     # Postfix words it "Host or domain name not found. Name service error for name=... type=A":
     # the design's rule gives 5.4.4 for that wording.
     "per_mta": {"postfix": {"failure": one("hostunknown", "5.4.4", None)}}},

    {"name": "notaccept-nullmx", "dns": "nullmx", "rcpts": ["keiko"],
     "did": "the recipient domain publishes a null MX (MX 0 ., RFC 7505)",
     "failure": one("notaccept", "5.1.10", None),
     # Sendmail 8.17 does not implement RFC 7505: it reports "Host unknown (Name server:
     # <domain>: no data known)", 5.1.2, and that is all the evidence says.
     "per_mta": {"sendmail": {"failure": one("hostunknown", "5.1.2", None)}}},

    {"name": "hostunknown-mx-noaddress", "dns": "mx-noaddress", "rcpts": ["kumiko"],
     "did": "the recipient domain's only MX host has no address (NXDOMAIN for its A/AAAA)",
     "failure": one("hostunknown", "5.4.4", None),
     # Sendmail: "Host unknown (Name server: <mx host>: host not found)", 5.1.2.
     "per_mta": {"sendmail": {"failure": one("hostunknown", "5.1.2", None)}}},

    {"name": "servfail-expired", "dns": "servfail", "rcpts": ["mariko"],
     "did": "every DNS query for the recipient domain gets SERVFAIL until the message expires",
     "failure": one("expired", "4.4.3", None),
     "delayed": one("networkerror", "4.4.3", None),
     "per_mta": {"exim": EXIM_SAYS_ONLY_EXPIRED}},

    {"name": "connrefused-expired", "dns": "refused", "rcpts": ["naoko"],
     "did": "the MX host's address refuses TCP connections (nothing listens) until the message "
            "expires",
     "failure": one("expired", "4.4.1", "connect"),
     "delayed": one("networkerror", "4.4.1", "connect"),
     "per_mta": {"exim": EXIM_SAYS_ONLY_EXPIRED}},

    {"name": "greeting-timeout-expired", "rcpts": ["reiko"],
     "remote": {"greeting": {"action": "silent"}, "idle_timeout": "1h"},
     "did": "accepts the TCP connection and never sends a greeting, on every attempt until the "
            "message expires",
     "failure": one("expired", "4.4.2", "greeting"),
     "delayed": one("networkerror", "4.4.2", "greeting"),
     # Sendmail: "reply: read error", "Connection timed out with <host>": no stage named.
     "per_mta": {"exim": EXIM_SAYS_ONLY_EXPIRED,
                 "sendmail": {"failure": one("expired", "4.4.2", None),
                              "delayed": one("networkerror", "4.4.2", None)}}},

    {"name": "docomo-filtered-550-unknown-user", "domain": "docomo.ne.jp",
     "mx": "mfsmax.docomo.ne.jp", "rcpts": ["hanako.yamada"],
     "remote": {"greeting": {"reply": "220 mfsmax.docomo.ne.jp ESMTP"},
                "capabilities": ["PIPELINING", "SIZE 10485760", "8BITMIME"],
                "dot": {"reply": "550 Unknown user hanako.yamada@docomo.ne.jp"}},
     "did": "is a docomo-like MX (mfsmax.docomo.ne.jp) whose recipient's reception filter refuses "
            "the sender: it accepts RCPT TO and answers 550 Unknown user after the final dot",
     "failure": one("filtered", "5.7.1", "dot")},

    {"name": "multi-recipient-mixed", "rcpts": ["ichiro", "jiro2", "saburo2", "shiro2"],
     "remote": {"recipients": {
         "ichiro@isp27.example": {"reply": "550 5.1.1 <ichiro@isp27.example>: Recipient address "
                                           "rejected: User unknown"},
         "jiro2@isp27.example": {"reply": "552 5.2.2 <jiro2@isp27.example>: Mailbox full"},
         "saburo2@isp27.example": {"reply": "550 5.2.1 <saburo2@isp27.example>: Account disabled"}}},
     "did": "answers RCPT TO per recipient: ichiro 550 5.1.1 User unknown, jiro2 552 5.2.2 "
            "Mailbox full, saburo2 550 5.2.1 Account disabled, shiro2 250 (delivered)",
     "failure": [{"reason": "userunknown", "status": "5.1.1", "stage": "rcpt"},
                 {"reason": "mailboxfull", "status": "5.2.2", "stage": "rcpt"},
                 {"reason": "suspend", "status": "5.2.1", "stage": "rcpt"}]},

    {"name": "delivered-notify-success", "rcpts": ["natsuko"], "notify": "SUCCESS,FAILURE",
     "remote": {},
     "did": "accepts the message (250 after the final dot); it does not announce DSN, so the "
            "relay itself reports the success the sender asked for with NOTIFY=SUCCESS",
     "delivered": one("delivered", "2.0.0", None)},

    {"name": "authfailure-spf-550-5.7.23", "rcpts": ["nobuko"],
     "remote": {"rcpt": {"reply": "550 5.7.23 SPF validation failed: 127.0.0.1 is not allowed to "
                                  "send mail for ezweb.ne.jp"}},
     "did": "answers 550 5.7.23 SPF validation failed to RCPT TO",
     "failure": one("authfailure", "5.7.23", "rcpt")},

    {"name": "badreputation-550-5.7.1-mail", "rcpts": ["sachiko"],
     "remote": {"mail": {"reply": "550 5.7.1 Mail from 127.0.0.1 refused: the sending IP address "
                                  "has a poor reputation"}},
     "did": "answers 550 5.7.1 (the sending IP address has a poor reputation) to MAIL FROM",
     "failure": one("badreputation", "5.7.1", "mail")},

    {"name": "systemerror-451-4.3.0-expired", "rcpts": ["tomoko"],
     "remote": {"rcpt": {"reply": "451 4.3.0 <tomoko@isp31.example>: Temporary lookup failure"}},
     "did": "answers 451 4.3.0 Temporary lookup failure to RCPT TO until the message expires",
     "failure": one("expired", "4.4.7", "rcpt"),
     "delayed": one("systemerror", "4.3.0", "rcpt")},

    # Appended after the first Postfix capture: numbers (and so addresses) of the cases above
    # stay as they were.
    {"name": "speeding-421-4.7.28-mail-expired", "domain": "gmail2.example",
     "mx": "gmail-smtp-in.l.gmail2.example", "rcpts": ["yoko.ito"],
     "remote": {"mail": {"reply": [
         "421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating",
         "421-4.7.28 from your IP address. To protect our users from spam, mail sent from",
         "421 4.7.28 your IP address has been temporarily rate limited. x18si3 - gsmtp"]}},
     "did": "answers a three-line 421-4.7.28 (unusual rate of mail from your IP address, "
            "temporarily rate limited; Gmail-like) to MAIL FROM and closes, on every attempt "
            "until the message expires",
     "failure": one("expired", "4.4.7", "mail"),
     "delayed": one("speeding", "4.7.28", "mail")},

    {"name": "sender-rejected-553-5.1.8-mail", "rcpts": ["michiko"],
     "remote": {"mail": {"reply": "553 5.1.8 <taro@ezweb.ne.jp>: Sender address rejected: "
                                  "Domain not found"}},
     "did": "answers 553 5.1.8 Sender address rejected: Domain not found to MAIL FROM for a "
            "well-formed sender",
     "failure": one("rejected", "5.1.8", "mail")},
]


# OpenSMTPD 6.8 retries what the others refuse for good (a 5xx greeting, a refused HELO, a null
# MX, an MX host without address), warning "Network error on destination MXs" or "No MX found
# for domain" (Status 4.0.0); its only report on an expired message is a notice worded as a delay
# ("Envelope expired", Action delayed, Status 4.4.7) that names no cause. The labels hold what
# that evidence can support: the expiry, and "onhold" where a warning's words hide the cause.
OPENSMTPD_EXPIRED = one("expired", "4.4.7", None)
OPENSMTPD = {
    "toomanyconn-421-4.7.0-expired": {"delayed": one("onhold", "4.0.0", None)},
    "blocked-greeting-554-5.7.1": {"failure": OPENSMTPD_EXPIRED,
                                   "delayed": one("onhold", "4.0.0", None)},
    "helo-rejected-550-5.7.1": {"failure": OPENSMTPD_EXPIRED,
                                "delayed": one("onhold", "4.0.0", None)},
    "notaccept-nullmx": {"failure": OPENSMTPD_EXPIRED, "delayed": one("onhold", "4.0.0", None)},
    "hostunknown-mx-noaddress": {"failure": OPENSMTPD_EXPIRED,
                                 "delayed": one("hostunknown", "4.4.4", None)},
    # OpenSMTPD, like Postfix, compares the message with the SIZE the remote announced and gives
    # up before MAIL FROM ("message too large for peer").
    "mesgtoobig-size-5.3.4": {"failure": one("mesgtoobig", "5.3.4", None)},
}


def numbered():
    """The cases with their number (1-based) and defaults filled in."""
    out = []
    for i, c in enumerate(CASES, start=1):
        c = dict(c)
        c["n"] = i
        c.setdefault("domain", "isp%02d.example" % i)
        c.setdefault("mx", "mx1." + c["domain"])
        c.setdefault("dns", "mx")
        c.setdefault("sender", "taro")
        c.setdefault("notify", None)
        c.setdefault("body_kb", 1)
        c.setdefault("remote", None if c["dns"] != "mx" else {})
        c["per_mta"] = dict(c.get("per_mta", {}))
        ose = dict(c["per_mta"].get("opensmtpd", {}))
        if c["name"].endswith("-expired"):
            ose["failure"] = OPENSMTPD_EXPIRED
        ose.update(OPENSMTPD.get(c["name"], {}))
        if ose:
            c["per_mta"]["opensmtpd"] = ose
        out.append(c)
    return out
