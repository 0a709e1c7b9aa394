#include "diagnosis/explanation.hpp"

#include "diagnosis/verdict.hpp"
#include "address/address.hpp"

namespace relaylab::diag {

namespace {

using gw::FailureClass;
using gw::Language;
using FC = FailureClass;

struct Words {
    const char* en;
    const char* ja;
    std::string in(Language l) const { return l == Language::Ja ? ja : en; }
};

// RFC 3463 §3.1–§3.9 subject.detail texts (the ones a bounce commonly carries).
struct StatusWords {
    int subject, detail;
    Words words;
};
constexpr StatusWords status_words[] = {
    {0, 0, {"Other undefined status (says nothing about the cause)", "その他の未定義の状態（原因を何も示さない）"}},
    {1, 0, {"Other address status", "アドレスに関するその他の状態"}},
    {1, 1, {"Bad destination mailbox address (no such mailbox)", "宛先メールボックスのアドレスが不正（そのメールボックスはない）"}},
    {1, 2, {"Bad destination system address (the domain is not found)", "宛先システムのアドレスが不正（ドメインが見つからない）"}},
    {1, 3, {"Bad destination mailbox address syntax", "宛先メールボックスのアドレス構文が不正"}},
    {1, 6, {"Destination mailbox has moved", "宛先メールボックスは移転した"}},
    {1, 7, {"Bad sender's mailbox address syntax", "送信者のメールボックスのアドレス構文が不正"}},
    {1, 8, {"Bad sender's system address", "送信者のシステムのアドレスが不正"}},
    {1, 10, {"Recipient address has null MX (RFC 7505)", "宛先アドレスのドメインは null MX（RFC 7505）"}},
    {2, 0, {"Other or undefined mailbox status", "メールボックスに関するその他の状態"}},
    {2, 1, {"Mailbox disabled, not accepting messages", "メールボックスは無効で受信しない"}},
    {2, 2, {"Mailbox full", "メールボックスが満杯"}},
    {3, 4, {"Message too big for system", "メッセージがシステムにとって大きすぎる"}},
    {4, 1, {"No answer from host", "ホストから応答がない"}},
    {4, 2, {"Bad connection", "接続不良"}},
    {4, 3, {"Directory server failure (DNS)", "ディレクトリサーバー（DNS）の障害"}},
    {4, 4, {"Unable to route (no mail host for the domain)", "経路を決められない（ドメインにメールホストがない）"}},
    {4, 6, {"Routing loop detected", "配送経路のループを検出"}},
    {4, 7, {"Delivery time expired", "配送期限切れ"}},
    {5, 0, {"Other or undefined protocol status", "プロトコルに関するその他の状態"}},
    {5, 2, {"Syntax error", "構文エラー"}},
    {6, 0, {"Other or undefined media error (content refused)", "内容に関するその他のエラー（内容の拒否）"}},
    {7, 0, {"Other or undefined security status", "セキュリティに関するその他の状態"}},
    {7, 1, {"Delivery not authorized, message refused (policy)", "配送は許可されていない（方針による拒否）"}},
    {1, 4, {"Destination mailbox address ambiguous", "宛先メールボックスのアドレスがあいまい"}},
    {2, 3, {"Message length exceeds administrative limit", "メールの大きさが管理上の上限を超えている"}},
    {2, 4, {"Mailing list expansion problem", "メーリングリストの展開の問題"}},
    {3, 0, {"Other or undefined mail system status", "メールシステムに関するその他の状態"}},
    {3, 1, {"Mail system full", "メールシステムの記憶域が満杯"}},
    {3, 2, {"System not accepting network messages", "システムはネットワークからのメールを受け付けていない"}},
    {3, 5, {"System incorrectly configured", "システムの設定の誤り"}},
    {4, 0, {"Other or undefined network or routing status", "ネットワークまたは経路に関するその他の状態"}},
    {4, 5, {"Mail system congestion", "メールシステムの輻輳"}},
    {5, 1, {"Invalid command", "不正なコマンド"}},
    {5, 3, {"Too many recipients", "宛先が多すぎる"}},
    {6, 1, {"Media not supported", "サポートされないメディア"}},
    {7, 4, {"Security features not supported", "セキュリティ機能が使えない"}},
    {7, 5, {"Cryptographic failure", "暗号処理の失敗"}},
    {7, 8, {"Authentication credentials invalid", "認証情報が不正"}},
    {7, 10, {"Encryption needed", "暗号化が必要"}},
    {7, 13, {"User account disabled", "ユーザーのアカウントは無効"}},
    {7, 20, {"No passing DKIM signature found (RFC 7372)", "合格する DKIM 署名がない（RFC 7372）"}},
    {7, 21, {"No acceptable DKIM signature found (RFC 7372)", "受け入れられる DKIM 署名がない（RFC 7372）"}},
    {7, 22, {"No valid author-matched DKIM signature found (RFC 7372)", "作成者と一致する有効な DKIM 署名がない（RFC 7372）"}},
    {7, 23, {"SPF validation failed (RFC 7372)", "SPF の検証に失敗（RFC 7372）"}},
    {7, 24, {"SPF validation error (RFC 7372)", "SPF の検証でエラー（RFC 7372）"}},
    {7, 25, {"Reverse DNS validation failed (RFC 7372)", "逆引き DNS の検証に失敗（RFC 7372）"}},
    {7, 26, {"Multiple authentication checks failed (RFC 7372)", "複数の認証検査に失敗（RFC 7372）"}},
    {7, 27, {"Sender address has null MX (RFC 7505)", "送信者のアドレスのドメインは null MX（RFC 7505）"}},
};

struct CodeWords {
    int code;
    Words words;
};
// RFC 5321 §4.2.2 (the texts there, shortened).
constexpr CodeWords code_words[] = {
    {421, {"Service not available, closing transmission channel", "サービスを利用できない。接続を閉じる"}},
    {450, {"Requested mail action not taken: mailbox unavailable (temporary)", "要求は実行されなかった: メールボックスを利用できない（一時的）"}},
    {451, {"Requested action aborted: local error in processing (temporary)", "要求は中止された: 処理中のエラー（一時的）"}},
    {452, {"Requested action not taken: insufficient system storage (temporary)", "要求は実行されなかった: 記憶域の不足（一時的）"}},
    {500, {"Syntax error, command unrecognized", "構文エラー。コマンドを認識できない"}},
    {501, {"Syntax error in parameters or arguments", "パラメーターまたは引数の構文エラー"}},
    {503, {"Bad sequence of commands", "コマンドの順序が不正"}},
    {550, {"Requested action not taken: mailbox unavailable", "要求は実行されなかった: メールボックスを利用できない"}},
    {551, {"User not local", "ユーザーはここにいない"}},
    {552, {"Requested mail action aborted: exceeded storage allocation", "要求は中止された: 記憶域の割り当てを超えた"}},
    {553, {"Requested action not taken: mailbox name not allowed (e.g. mailbox syntax incorrect)",
           "要求は実行されなかった: メールボックス名は許されない（例: 構文が不正）"}},
    {554, {"Transaction failed (or, as a greeting, no SMTP service here)", "トランザクションは失敗した（接続時の応答なら、ここに SMTP サービスはない）"}},
};

struct ClassWords {
    FailureClass failure;
    Words cause;
    Words todo;
};
constexpr ClassWords class_words[] = {
    {FC::DnsNxdomain, {"The recipient's domain does not exist in the DNS: most often a typo after the @.", "宛先のドメインが DNS に存在しません。多くは @ 以後の入力誤りです。"},
     {"Check the part after the @ and send again.", "@ 以後を確認して送り直してください。"}},
    {FC::BadDomain, {"The recipient's domain is not a valid domain name.", "宛先のドメインは正しいドメイン名ではありません。"},
     {"Check the part after the @ and send again.", "@ 以後を確認して送り直してください。"}},
    {FC::DnsNodata, {"The domain exists but publishes no mail server (no MX) and no address (A/AAAA).", "ドメインは存在しますが、メールサーバー（MX）もアドレス（A/AAAA）もありません。"},
     {"The recipient's domain owner must publish an MX record; the sender can do nothing but tell them.", "受信側のドメイン管理者が MX を設定する必要があります。"}},
    {FC::NullMx, {"The domain declares with a null MX (RFC 7505) that it accepts no mail at all.", "ドメインは null MX（RFC 7505）でメールを一切受け付けないと宣言しています。"},
     {"Use another address for this recipient.", "この宛先には別のアドレスを使ってください。"}},
    {FC::MxNoAddress, {"The domain's MX names a mail server whose own name does not resolve: the receiving side's DNS is broken.", "ドメインの MX が指すメールサーバー名が DNS で引けません。受信側の DNS の誤りです。"},
     {"The recipient's DNS administrator must fix the MX target.", "受信側の DNS 管理者が MX の指す名前を直す必要があります。"}},
    {FC::DnsTemporary, {"The DNS lookup failed temporarily (SERVFAIL or timeout): the domain's name servers, or the gateway's resolver, are failing.", "DNS の問い合わせが一時的に失敗しました（SERVFAIL かタイムアウト）。ドメインのネームサーバーかゲートウェイのリゾルバーの障害です。"},
     {"Wait for the retries; if it persists, check the domain's name servers (dig +trace) and the gateway's resolver.", "再送を待ってください。続くなら、ドメインのネームサーバー（dig +trace）とゲートウェイのリゾルバーを調べてください。"}},
    {FC::ConnectFailed, {"No TCP connection to the receiving server: it is down, overloaded or firewalled.", "受信側サーバーに TCP 接続できません。停止、過負荷、またはファイアウォールです。"},
     {"Wait for the retries; the receiving side must check its server and firewall.", "再送を待ってください。受信側がサーバーとファイアウォールを確認する必要があります。"}},
    {FC::GreetingRejected, {"The receiving server refused the session before any address was given: it refuses the gateway (block list, overload), not the message.", "受信側サーバーがアドレスを受け取る前に接続を拒否しました。メールではなくゲートウェイを拒否しています（ブロックリスト、過負荷）。"},
     {"The gateway's operators must ask the receiving side why it refuses their IP address.", "ゲートウェイの運用者が受信側に IP アドレスを拒否する理由を問い合わせてください。"}},
    {FC::HeloRejected, {"The receiving server refused the gateway's EHLO/HELO name.", "受信側サーバーがゲートウェイの EHLO/HELO 名を拒否しました。"},
     {"The gateway's operators must make its host name resolve and match its IP address.", "ゲートウェイの運用者がホスト名を DNS で正しく引けるようにしてください。"}},
    {FC::SenderRejected, {"The receiving server refused the sender's address at MAIL FROM, before it saw any recipient: nothing is wrong with the recipient or the DNS.", "受信側サーバーが MAIL FROM で送信元アドレスを拒否しました。宛先や DNS には問題はありません。"},
     {"Ask the receiving side why it refuses the sender; or change the sender address.", "受信側に送信元を拒否する理由を問い合わせるか、送信元アドレスを変えてください。"}},
    {FC::RecipientUnknown, {"The receiving server says the mailbox does not exist.", "受信側サーバーによると、そのメールボックスは存在しません。"},
     {"Check the part before the @ with the recipient.", "@ より前を宛先の方に確認してください。"}},
    {FC::RecipientRejected, {"The receiving server refused this recipient (policy, quota or a disabled mailbox), not the whole message.", "受信側サーバーがこの宛先を拒否しました（方針、容量、無効なメールボックス）。"},
     {"Read the reply: a full mailbox (5.2.2) clears when the recipient deletes mail; policy refusals need the receiving side.", "応答を読んでください。満杯（5.2.2）は宛先が整理すれば解消します。方針による拒否は受信側に問い合わせが必要です。"}},
    {FC::DataRejected, {"The receiving server refused to take the message text (reply to DATA).", "受信側サーバーがメール本文の受け取りを拒否しました（DATA への応答）。"},
     {"Ask the receiving side; the refusal is about this session, not an address.", "受信側に問い合わせてください。アドレスではなくこのセッションへの拒否です。"}},
    {FC::MessageRejected, {"The receiving server read the whole message and refused it (content or format policy).", "受信側サーバーがメール全体を受け取った後で拒否しました（内容や形式の方針）。"},
     {"Change the content (attachments, format) or ask the receiving side what its filter objects to.", "内容（添付や形式）を変えるか、受信側にフィルターの理由を問い合わせてください。"}},
    {FC::MessageTooLarge, {"The message is bigger than the receiving server accepts.", "メールが受信側サーバーの受け付ける大きさを超えています。"},
     {"Send smaller attachments.", "添付ファイルを小さくして送ってください。"}},
    {FC::ProtocolError, {"The receiving server's answers were not valid SMTP.", "受信側サーバーの応答が SMTP として不正でした。"},
     {"The receiving side must fix its server (or the proxy in front of it).", "受信側がサーバー（または前段のプロキシー）を直す必要があります。"}},
    {FC::TemporaryFailure, {"The receiving server failed temporarily (a 4xx reply or a broken connection); greylisting answers 450/451 to a first attempt on purpose.", "受信側サーバーが一時的に失敗しました（4xx 応答か接続断）。グレイリスティングは初回に意図的に 450/451 を返します。"},
     {"Wait for the retries.", "再送を待ってください。"}},
    {FC::MailLoop, {"The route for the domain leads back to the gateway itself.", "ドメインへの配送経路がゲートウェイ自身に戻っています。"},
     {"The gateway's operators must fix the MX or the routing table.", "ゲートウェイの運用者が MX か経路の設定を直してください。"}},
    {FC::LocalError, {"The gateway itself failed.", "ゲートウェイ自身が失敗しました。"},
     {"The gateway's operators must look at its log.", "ゲートウェイの運用者がログを調べてください。"}},
    {FC::Expired, {"The gateway gave up after retrying for the queue lifetime.", "ゲートウェイは配送期限まで再送した後、配送をあきらめました。"},
     {"Find out why the last attempts failed (below) and send again once it is fixed.", "最後の試行が失敗した理由（下記）を確かめ、解消してから送り直してください。"}},
    {FC::MailboxFull, {"The recipient's mailbox is full (over quota).", "宛先のメールボックスが満杯（容量超過）です。"},
     {"The recipient must free space; then send again. Nothing is wrong with the message or the sender.", "宛先の方が容量を空ける必要があります。その後に送り直してください。送信者とメールに問題はありません。"}},
    {FC::MailboxDisabled, {"The recipient's account is disabled or suspended.", "宛先のアカウントは停止・休止されています。"},
     {"The recipient must reactivate the account or give another address.", "宛先の方がアカウントを再開するか、別のアドレスを伝える必要があります。"}},
    {FC::RecipientMoved, {"The recipient's mailbox has moved to another address.", "宛先のメールボックスは別のアドレスに移転しました。"},
     {"Send to the new address if the reply names one.", "応答に新しいアドレスがあれば、そちらに送ってください。"}},
    {FC::RecipientFilter, {"The recipient's reception filter (designated senders, junk-mail settings) refused this sender; the mailbox exists.", "宛先の方の受信設定（指定受信・迷惑メールフィルター）がこの送信者を拒否しました。メールボックスは存在します。"},
     {"The recipient must allow the sender's address in their reception settings.", "宛先の方が受信設定で送信者のアドレスを許可する必要があります。"}},
    {FC::AuthFailure, {"The sending domain's authentication (SPF, DKIM, DMARC; RFC 7372) failed at the receiving server: the carrier's own set-up, not the handset.", "受信側で送信ドメインの認証（SPF・DKIM・DMARC、RFC 7372）に失敗しました。端末ではなく携帯電話会社側の設定の問題です。"},
     {"The carrier must fix its SPF record and DKIM signing; the handset user can do nothing.", "携帯電話会社が SPF レコードと DKIM 署名を直す必要があります。端末の利用者にできることはありません。"}},
    {FC::IpBlocklisted, {"The gateway's IP address is on a block list the receiving side uses.", "ゲートウェイの IP アドレスが受信側の使うブロックリストに載っています。"},
     {"The carrier must have its IP address delisted.", "携帯電話会社がブロックリストからの削除を申請する必要があります。"}},
    {FC::BadReputation, {"The receiving side refuses the gateway's IP address or domain for its poor reputation.", "受信側は、ゲートウェイの IP アドレスまたはドメインの評判が低いとして拒否しています。"},
     {"The carrier must restore its sending reputation.", "携帯電話会社が送信元の評判を回復させる必要があります。"}},
    {FC::PtrRequired, {"The gateway's IP address has no reverse DNS (PTR), or it does not match.", "ゲートウェイの IP アドレスに逆引き（PTR）がないか、一致しません。"},
     {"The carrier must set up the PTR record of its sending IP address.", "携帯電話会社が送信 IP アドレスの PTR レコードを設定する必要があります。"}},
    {FC::RateLimited, {"The receiving side limits how fast it takes mail from the gateway.", "受信側が、ゲートウェイからのメールの受け取りの速さを制限しています。"},
     {"The carrier must send more slowly; send again later.", "携帯電話会社が送信の速さを落とす必要があります。時間をおいて送り直してください。"}},
    {FC::TooManyConnections, {"The gateway opened too many sessions (or gave too many recipients) at once.", "ゲートウェイの同時接続（または一度の宛先）が多すぎます。"},
     {"The carrier must open fewer connections at once.", "携帯電話会社が同時接続数を減らす必要があります。"}},
    {FC::RelayingDenied, {"The server is not the recipient domain's mail server and refuses to relay: the domain's MX points to the wrong host.", "このサーバーは宛先ドメインのメールサーバーではなく、中継を拒否しました。ドメインの MX が誤ったホストを指しています。"},
     {"The recipient domain's administrator must fix its MX.", "宛先ドメインの管理者が MX を直す必要があります。"}},
    {FC::SpamDetected, {"The receiving side's filter judged the message to be spam.", "受信側のフィルターがメールを迷惑メールと判定しました。"},
     {"The sender should change the text, links or number of recipients; a false positive needs the recipient's provider.", "送信者が本文・リンク・宛先の数を見直してください。誤判定なら宛先のプロバイダーへの連絡が必要です。"}},
    {FC::VirusDetected, {"The receiving side found malware in the message.", "受信側がメールにマルウェアを検出しました。"},
     {"The sender must check the attachments and scan the handset.", "送信者が添付ファイルを確かめ、端末を検査する必要があります。"}},
    {FC::ExceedsLimit, {"The message is larger than this recipient's mailbox accepts.", "メールが宛先のメールボックスの受け取れる大きさを超えています。"},
     {"Send smaller attachments.", "添付ファイルを小さくして送ってください。"}},
    {FC::ContentError, {"The receiving side refused the message's content or format (attachments, encoding).", "受信側がメールの内容または形式（添付・文字コード）を拒否しました。"},
     {"Remove the attachment or change the format, then send again.", "添付を外すか形式を変えて送り直してください。"}},
    {FC::NotRfcCompliant, {"The receiving side refused the message's header as not RFC 5322 compliant.", "受信側が、メールのヘッダーが RFC 5322 に合わないとして拒否しました。"},
     {"The carrier must fix the header its gateway writes.", "携帯電話会社がゲートウェイの作るヘッダーを直す必要があります。"}},
    {FC::TlsRequired, {"The receiving server takes mail only over TLS (STARTTLS).", "受信側サーバーは TLS（STARTTLS）でしかメールを受け付けません。"},
     {"The carrier must use TLS on the gateway's outbound connections.", "携帯電話会社がゲートウェイの送信で TLS を使う必要があります。"}},
    {FC::StartTlsFailed, {"The TLS handshake (STARTTLS) with the receiving server failed.", "受信側サーバーとの TLS ハンドシェイク（STARTTLS）に失敗しました。"},
     {"The carrier must check its TLS set-up (or the receiving side its certificate).", "携帯電話会社が TLS の設定を確かめる必要があります（受信側の証明書の問題なら受信側の管理者）。"}},
    {FC::SecurityError, {"The receiving server requires authentication or another security condition the gateway did not meet.", "受信側サーバーは、ゲートウェイが満たさない認証などのセキュリティ条件を求めています。"},
     {"The carrier must fix the gateway's sending set-up.", "携帯電話会社がゲートウェイの送信設定を直す必要があります。"}},
    {FC::NotAccepting, {"The host or domain accepts no mail at all.", "そのホストまたはドメインはメールを一切受け付けません。"},
     {"Use another address for this recipient.", "この宛先には別のアドレスを使ってください。"}},
    {FC::SystemError, {"The receiving system failed.", "受信側のシステムに障害が起きています。"},
     {"The receiving side's administrator must fix it; send again later.", "受信側の管理者が直す必要があります。時間をおいて送り直してください。"}},
    {FC::SystemFull, {"The receiving system is out of storage.", "受信側のシステムの記憶域が不足しています。"},
     {"The receiving side's administrator must free storage; send again later.", "受信側の管理者が記憶域を空ける必要があります。時間をおいて送り直してください。"}},
    {FC::SyntaxError, {"The receiving server did not understand a command.", "受信側サーバーがコマンドを理解できませんでした。"},
     {"The carrier must find out why the gateway and the server disagree.", "携帯電話会社がゲートウェイと受信側の食い違いを調べる必要があります。"}},
    {FC::MailerError, {"The receiving side's local delivery program failed.", "受信側のメールボックスへの配達プログラムが失敗しました。"},
     {"The receiving side's administrator must fix it.", "受信側の管理者が直す必要があります。"}},
    {FC::PolicyViolation, {"The receiving side refused the message by a site policy that names no finer cause.", "受信側が、より細かい理由を示さない独自の方針で拒否しました。"},
     {"Ask the receiving side's administrator why.", "受信側の管理者に理由を問い合わせてください。"}},
    {FC::Smtputf8NotOffered, {"An address is UTF-8 (RFC 6531) and the receiving server does not offer SMTPUTF8, so it cannot be sent there.", "アドレスに UTF-8 の文字があり（RFC 6531）、受信側サーバーが SMTPUTF8 を提示しないため送れません。"},
     {"The receiving side's administrator must enable SMTPUTF8; meanwhile, send from an ASCII-only address.", "受信側の管理者が SMTPUTF8 を有効にする必要があります。それまでは英数字（ASCII）だけのアドレスから送ってください。"}},
    {FC::TlsNotOffered, {"The carrier requires TLS for this destination and its server does not offer STARTTLS.", "携帯電話会社はこの宛先に TLS を求めていますが、受信側サーバーが STARTTLS を提示しません。"},
     {"The receiving side's administrator must offer STARTTLS (or the carrier review its TLS setting for the destination).", "受信側の管理者が STARTTLS を提供する必要があります（または携帯電話会社がこの宛先の TLS 設定を見直します）。"}},
    {FC::StartTlsRefused, {"The receiving server offers STARTTLS but refused to start it.", "受信側サーバーは STARTTLS を提示しながら、開始を断りました。"},
     {"The receiving side's administrator must fix its TLS set-up.", "受信側の管理者が TLS の設定を直す必要があります。"}},
    {FC::TlsHandshakeFailed, {"The TLS handshake with the receiving server failed.", "受信側サーバーとの TLS ハンドシェイクに失敗しました。"},
     {"The receiving side's administrator must fix its TLS set-up (the carrier checks its logs too).", "受信側の管理者が TLS の設定を直す必要があります（携帯電話会社も記録を確かめます）。"}},
    {FC::TlsCertUntrusted, {"The receiving server's certificate does not chain to a trusted authority, and the carrier requires a verified one.", "受信側サーバーの証明書は信頼できる認証局のものではなく、携帯電話会社は確認できる証明書を求めています。"},
     {"The receiving side's administrator must use a certificate from a trusted authority.", "受信側の管理者が信頼できる認証局の証明書を使う必要があります。"}},
    {FC::TlsCertExpired, {"The receiving server's certificate has expired (or is not yet valid).", "受信側サーバーの証明書の有効期限が切れています（またはまだ有効ではありません）。"},
     {"The receiving side's administrator must renew its certificate.", "受信側の管理者が証明書を更新する必要があります。"}},
    {FC::TlsCertWrongName, {"The receiving server's certificate is for another name than its MX host name.", "受信側サーバーの証明書は MX のホスト名とは別の名前のものです。"},
     {"The receiving side's administrator must use a certificate for its MX host name.", "受信側の管理者が MX のホスト名に合った証明書を使う必要があります。"}},
    {FC::Delayed, {"Delivery is delayed; the reporting server keeps retrying.", "配送が遅れています。報告したサーバーは再送を続けています。"},
     {"Nothing yet; a failure report follows if it gives up.", "まだ対処は不要です。あきらめた場合は失敗の報告が届きます。"}},
    {FC::AutoReply, {"An automatic reply (vacation notice, RFC 3834): the message was delivered.", "自動応答（不在通知など、RFC 3834）です。メールは届いています。"},
     {"Nothing.", "対処は不要です。"}},
    {FC::AbuseFeedback, {"An abuse report (ARF, RFC 5965): a recipient marked the message as spam.", "迷惑メールの苦情報告（ARF、RFC 5965）です。受信者がメールを迷惑メールとして報告しました。"},
     {"The carrier must look into the reported sender.", "携帯電話会社が報告された送信者を調べる必要があります。"}},
    {FC::Delivered, {"The message was delivered.", "メールは配送されました。"}, {"Nothing.", "対処は不要です。"}},
};

// The class's name in Japanese, for --lang ja (English output uses the class's own snake_case name).
struct ClassLabel {
    FailureClass failure;
    const char* ja;
};
constexpr ClassLabel class_labels[] = {
    {FC::Delivered, "配送済み"},
    {FC::DnsNxdomain, "宛先ドメインが存在しない"},
    {FC::DnsNodata, "宛先ドメインにメールサーバーがない"},
    {FC::BadDomain, "宛先ドメイン名が不正"},
    {FC::NullMx, "宛先ドメインは null MX"},
    {FC::MxNoAddress, "MX ホストが引けない"},
    {FC::DnsTemporary, "DNS の一時的な障害"},
    {FC::ConnectFailed, "接続できない"},
    {FC::GreetingRejected, "接続時に拒否"},
    {FC::HeloRejected, "EHLO/HELO の拒否"},
    {FC::SenderRejected, "送信元アドレスの拒否"},
    {FC::RecipientUnknown, "宛先のメールボックスがない"},
    {FC::RecipientRejected, "宛先の拒否"},
    {FC::DataRejected, "DATA の拒否"},
    {FC::MessageRejected, "メールの拒否"},
    {FC::MessageTooLarge, "メールが大きすぎる"},
    {FC::ProtocolError, "プロトコルエラー"},
    {FC::TemporaryFailure, "一時的なエラー"},
    {FC::MailLoop, "配送ループ"},
    {FC::LocalError, "ゲートウェイ内部のエラー"},
    {FC::Expired, "配送期限切れ"},
    {FC::MailboxFull, "メールボックス満杯"},
    {FC::MailboxDisabled, "メールボックス停止"},
    {FC::RecipientMoved, "宛先の移転"},
    {FC::RecipientFilter, "宛先の受信設定による拒否"},
    {FC::AuthFailure, "送信ドメイン認証の失敗"},
    {FC::IpBlocklisted, "IP アドレスのブロック"},
    {FC::BadReputation, "送信元の評判による拒否"},
    {FC::PtrRequired, "逆引き（PTR）の不備"},
    {FC::RateLimited, "送信量の制限"},
    {FC::TooManyConnections, "同時接続の超過"},
    {FC::RelayingDenied, "中継拒否"},
    {FC::SpamDetected, "迷惑メール判定"},
    {FC::VirusDetected, "ウイルス検出"},
    {FC::ExceedsLimit, "宛先の大きさ制限の超過"},
    {FC::ContentError, "内容・形式の拒否"},
    {FC::NotRfcCompliant, "ヘッダーの規格違反"},
    {FC::TlsRequired, "TLS が必要"},
    {FC::StartTlsFailed, "STARTTLS の失敗"},
    {FC::SecurityError, "セキュリティ条件による拒否"},
    {FC::NotAccepting, "メールを受け付けない宛先"},
    {FC::SystemError, "受信側のシステム障害"},
    {FC::SystemFull, "受信側の記憶域不足"},
    {FC::SyntaxError, "コマンドの構文エラー"},
    {FC::MailerError, "受信側の配達プログラムの失敗"},
    {FC::PolicyViolation, "受信側の方針による拒否"},
    {FC::Smtputf8NotOffered, "SMTPUTF8 非対応の宛先"},
    {FC::TlsNotOffered, "STARTTLS を提示しない宛先"},
    {FC::StartTlsRefused, "STARTTLS の拒否"},
    {FC::TlsHandshakeFailed, "TLS ハンドシェイクの失敗"},
    {FC::TlsCertUntrusted, "信頼できない証明書"},
    {FC::TlsCertExpired, "期限切れの証明書"},
    {FC::TlsCertWrongName, "名前の違う証明書"},
    {FC::Delayed, "配送遅延"},
    {FC::AutoReply, "自動応答"},
    {FC::AbuseFeedback, "迷惑メールの苦情報告"},
};

// Who must act, in words (gw::Actor).
Words actor_words(gw::Actor a) {
    switch (a) {
    case gw::Actor::HandsetUser: return {"the handset user (the sender)", "端末の利用者（送信者）"};
    case gw::Actor::Carrier: return {"the carrier running the gateway", "携帯電話会社（ゲートウェイの運用者）"};
    case gw::Actor::Recipient: return {"the recipient", "宛先の方"};
    case gw::Actor::RemoteAdmin: return {"the receiving side's administrator", "受信側の管理者"};
    case gw::Actor::Nobody: break;
    }
    return {"nobody", "なし（対処は不要）"};
}

const ClassWords* words_for(FailureClass f) {
    for (const auto& w : class_words)
        if (w.failure == f) return &w;
    return nullptr;
}

std::string peer(const Finding& f) {
    if (f.remote_host.empty() && f.remote_ip.empty()) return {};
    if (f.remote_ip.empty()) return f.remote_host;
    return (f.remote_host.empty() ? std::string("?") : f.remote_host) + " [" + f.remote_ip + "]";
}

// The SMTP step a reply answered: the command's name (MAIL FROM, RCPT TO, DATA, EHLO stay as the
// protocol writes them); in Japanese, the steps that are no command are said in Japanese.
std::string command_label(smtp::Stage s, Language lang) {
    if (lang == Language::Ja) {
        switch (s) {
        case smtp::Stage::Dot:
        case smtp::Stage::Done: return "本文の送信完了（end of DATA）";
        case smtp::Stage::Connect: return "接続";
        case smtp::Stage::Greeting: return "接続直後の挨拶（greeting）";
        default: break;
        }
    }
    return std::string(smtp::command_words(s));
}

std::string what_failed(const Finding& f, const gw::Classification& c, Language lang) {
    const bool ja = lang == Language::Ja;
    if (f.dns_status) {
        const std::string st(gw::dns_status_name(*f.dns_status));
        const std::string what = f.mx_host_lookup ? (ja ? "MX ホストのアドレス検索" : "the MX host's address lookup")
                                                  : (ja ? "ドメインの MX 検索" : "the domain's MX lookup");
        return ja ? "DNS: " + what + "（" + f.dns_name + "）が " + st + " になりました。"
                  : "DNS: " + what + " for " + (f.dns_name.empty() ? "?" : f.dns_name) + " ended in " + st + ".";
    }
    std::string out;
    const auto where = peer(f);
    const std::string stage = c.stage ? command_label(*c.stage, lang) : std::string("?");
    if (f.net) {
        const std::string err(smtp::to_string(*f.net));
        out = ja ? "接続: " + where + " との " + stage + " の段階で " + err + "。" : "connection: " + err + " with " + where + " at " + stage + ".";
    } else if (f.reply && c.stage) {
        out = ja ? "受信側 " + where + " が " + stage + " に応答: " + f.reply->one_line()
                 : "the remote " + where + " answered " + stage + " with: " + f.reply->one_line();
    } else if (f.reply) {
        // The evidence does not say which command the reply answered.
        out = ja ? "受信側" + (where.empty() ? std::string() : " " + where) + " の応答（どのコマンドへの応答かは不明）: " + f.reply->one_line()
                 : "the remote" + (where.empty() ? std::string() : " " + where) + " replied (to a command the input does not name): " +
                       f.reply->one_line();
    } else if (!f.diagnostic_text.empty()) {
        out = (ja ? "報告したサーバーの言葉: " : "the reporting server's words: ") + f.diagnostic_text.substr(0, 500);
    } else if (!f.reported_status.empty()) {
        out = (ja ? "報告にはステータス " : "the report gives only the status ") + f.reported_status +
              (ja ? " だけがあり、応答も段階もありません。" : ", with no reply and no stage.");
    }
    if (c.failure == FC::AutoReply || c.failure == FC::AbuseFeedback || c.failure == FC::Delivered) {
        if (out.empty()) out = c.failure == FC::Delivered ? (ja ? "配送成功の報告です。" : "a report of successful delivery.")
                               : c.failure == FC::AutoReply ? (ja ? "自動応答のメールです。" : "an automatic reply.")
                                                            : (ja ? "苦情報告（ARF）です。" : "an abuse feedback report (ARF).");
    }
    if (out.empty()) {
        // The evidence names the recipient and the verdict, nothing more (an Exim "** … retry timeout
        // exceeded" line): say so rather than print an empty line.
        out = c.expired ? (ja ? "配送期限切れ: 報告したサーバーは再試行をあきらめました（入力には応答も段階もありません）。"
                              : "the message expired: the reporting server gave up retrying (the input names no reply and no stage).")
                        : (ja ? "入力は失敗を報告していますが、応答・段階・ステータスはありません。"
                              : "the input reports a failure but names no reply, stage or status.");
    }
    if (f.stage_inferred) out += ja ? "（段階はステータスから推定）" : " (stage inferred from the status)";
    return out;
}

std::string meaning(const Finding& f, const gw::Classification& c, Language lang) {
    const bool ja = lang == Language::Ja;
    if (c.status.klass == 0)
        return ja ? "これは失敗の報告ではないため、RFC 3463 のステータスはありません。" : "this is not a failure report, so it has no RFC 3463 status.";
    std::string out = "RFC 3463 " + c.status.str() + ": " + status_meaning(c.status, lang);
    out += c.status.klass == 5 ? (ja ? "（恒久的な失敗）" : " (permanent failure)")
                               : c.status.klass == 4 ? (ja ? "（一時的な失敗）" : " (persistent transient failure)") : "";
    if (f.reply) out += (ja ? "。RFC 5321 " : ". RFC 5321 ") + std::to_string(f.reply->code) + ": " + reply_code_meaning(f.reply->code, lang);
    return out + (ja ? "。" : ".");
}

std::string likely_cause(const Finding& f, const gw::Classification& c, Language lang) {
    const bool ja = lang == Language::Ja;
    const auto failure = (c.expired || c.failure == FC::Delayed) && c.last_temporary ? *c.last_temporary : c.failure;
    std::string out;
    // The expiry (or delay) first, then the last temporary failure behind it, if the input names one.
    if (c.expired && failure != FC::Expired) out = words_for(FC::Expired)->cause.in(lang) + " ";
    if (c.failure == FC::Delayed && c.last_temporary && failure != FC::Delayed)
        out = words_for(FC::Delayed)->cause.in(lang) + " ";
    if (const auto* w = words_for(failure)) out += w->cause.in(lang);
    if (failure == FC::SenderRejected && !f.sender.empty()) {
        const auto check = gw::check_address(f.sender);
        if (check.verdict != gw::AddressVerdict::DotAtom || check.was_quoted)
            out += (ja ? " " : " Most likely: ") + gw::explain_local_part(check, lang) + (ja ? "" : ".");
        else
            out += ja ? " 送信元アドレスの形式は正しいので、受信側の方針（SPF、評判、送信元ドメイン）による拒否です。"
                      : " The sender's address is well-formed, so it is the receiving side's policy (SPF, reputation, the sender's domain).";
    }
    return out;
}

std::string what_to_do(const Finding& f, const gw::Classification& c, Language lang) {
    const bool ja = lang == Language::Ja;
    const auto failure = (c.expired || c.failure == FC::Delayed) && c.last_temporary ? *c.last_temporary : c.failure;
    if (failure == FC::SenderRejected && !f.sender.empty()) {
        const auto check = gw::check_address(f.sender);
        if (check.verdict == gw::AddressVerdict::QuotedOnly && !check.was_quoted)
            return ja ? "(1) ゲートウェイがローカルパートを引用符で囲んで送る（MAIL FROM:<" + check.quoted_form +
                            ">、Postfix の smtp_quote_rfc821_envelope=yes と同じ）、(2) ドットが先頭・末尾・連続しないアドレスに変更する、(3) 受信側がこの形式のアドレスを受け付ける。"
                      : "(1) the gateway sends the local part quoted, MAIL FROM:<" + check.quoted_form +
                            "> (Postfix does so by default, smtp_quote_rfc821_envelope=yes); (2) the sender changes to an address without leading, trailing or doubled dots; (3) the receiving side relaxes its check.";
    }
    if ((c.expired || c.failure == FC::Delayed) && failure != c.failure) {
        if (const auto* w = words_for(failure)) return w->todo.in(lang);
    }
    if (const auto* w = words_for(c.failure)) return w->todo.in(lang);
    return {};
}

}  // namespace

std::string status_meaning(const gw::DsnStatus& s, Language lang) {
    for (const auto& w : status_words)
        if (w.subject == s.subject && w.detail == s.detail) return w.words.in(lang);
    return lang == Language::Ja ? "（この詳細コードの説明はありません）" : "(no description for this detail code)";
}

std::string reply_code_meaning(int code, Language lang) {
    for (const auto& w : code_words)
        if (w.code == code) return w.words.in(lang);
    if (code >= 500) return lang == Language::Ja ? "恒久的な否定応答" : "Permanent negative completion reply";
    if (code >= 400) return lang == Language::Ja ? "一時的な否定応答" : "Transient negative completion reply";
    return lang == Language::Ja ? "肯定応答" : "Positive reply";
}

std::string class_label(FailureClass f, Language lang) {
    const std::string id(gw::to_string(f));
    if (lang != Language::Ja) return id;
    for (const auto& l : class_labels)
        if (l.failure == f) return std::string(l.ja) + "（" + id + "）";
    return id;
}

std::string actor_label(gw::Actor a, Language lang) { return actor_words(a).in(lang); }

Explanation explain(const Finding& finding, Language lang) {
    Explanation e;
    e.finding = finding;
    const bool ja = lang == Language::Ja;
    const auto verdict = classify_finding(finding);
    if (!verdict) {
        e.what_failed = ja ? "判断できません: この入力からは、失敗した段階と理由を読み取れませんでした。"
                           : "cannot tell: this input does not say at which stage delivery failed and why.";
        if (finding.reply && !finding.stage)
            e.notes.push_back(ja ? "応答は読めましたが、どのコマンドへの応答かが分かりません。"
                                 : "a reply was found, but not which command it answered.");
        return e;
    }
    const auto& c = *verdict;
    e.classification = c;
    e.what_failed = what_failed(finding, c, lang);
    e.meaning = meaning(finding, c, lang);
    e.likely_cause = likely_cause(finding, c, lang);
    e.what_to_do = what_to_do(finding, c, lang);
    if (!finding.reported_status.empty() && finding.reported_status != c.status.str()) {
        e.notes.push_back(ja ? "入力のステータスは " + finding.reported_status + " ですが、段階と応答からは " + c.status.str() +
                                   "（" + status_meaning(c.status, lang) + "）が正確です。"
                             : "the input's status is " + finding.reported_status + "; from the stage and the reply, " +
                                   c.status.str() + " (" + status_meaning(c.status, lang) + ") is the accurate one.");
    }
    if (c.failure == FC::SenderRejected || (c.expired && c.last_temporary == FC::SenderRejected))
        e.notes.push_back(ja ? "「Host Unknown」（ホストが見つかりません）はこの失敗の正しい説明ではありません。"
                             : "\"Host unknown\" is never the right name for this failure: MTAs use it for a domain that does not resolve.");
    return e;
}

namespace {

// The readers note what they found in English (the JSON keeps it so); under --lang ja the text
// says the same in Japanese. Quoted evidence (field names, replies, the reporter's words) stays as written.
std::string found_line(const std::string& line, Language lang) {
    if (lang != Language::Ja) return line;
    static constexpr std::pair<std::string_view, std::string_view> prefixes[] = {
        {"a message/delivery-status part (RFC 3464)", "配送状態の部分（message/delivery-status、RFC 3464）"},
        {"remote reply: ", "受信側の応答: "},
        {"transcript: ", "SMTP の記録: "},
        {"network: ", "ネットワーク: "},
        {"expired: ", "期限切れ: "},
        {"greeting: ", "接続時の応答: "},
        {"connection: ", "接続: "},
        {"DNS result inferred from Status ", "Status から推定した DNS の結果: "},
        {"connection failure inferred from Status ", "Status から推定した接続の失敗: "},
        {"status (#", "ステータス (#"},
        {"status 5.4.4, as Postfix reports these words", "ステータス 5.4.4（Postfix がこの文言に付けるもの）"},
        {"a reply: ", "応答: "},
        {"a status code: ", "ステータスコード: "},
        {"reason not recognised: ", "理由は読み取れません: "},
        {"reason kind not recognised: ", "理由の種類は読み取れません: "},
        {"an abuse feedback report (RFC 5965): ", "迷惑メールの報告（RFC 5965）: "},
        {"an auto-reply (RFC 3834): ", "自動応答（RFC 3834）: "},
        {"no bounce, log line, reply, status code or relaylab JSON line recognised",
         "エラーメール、ログ行、応答、ステータスコード、relaylab の JSON 行のどれとも読み取れませんでした"},
    };
    for (const auto& [en, ja] : prefixes)
        if (std::string_view(line).starts_with(en)) return std::string(ja) + line.substr(en.size());
    return line;
}

}  // namespace

std::string render_text(const Explanation& e, Language lang) {
    const bool ja = lang == Language::Ja;
    std::string out;
    out += (ja ? "入力: " : "input: ") + std::string(to_string(e.finding.source)) + "\n";
    if (!e.finding.sender.empty()) out += (ja ? "送信元: " : "sender: ") + e.finding.sender + "\n";
    if (!e.finding.recipient.empty()) out += (ja ? "宛先: " : "recipient: ") + e.finding.recipient + "\n";
    if (e.can_tell()) {
        const auto& c = *e.classification;
        out += (ja ? "分類: " : "class: ") + class_label(c.failure, lang);
        if (c.last_temporary) out += (ja ? "（原因: " : " (cause: ") + class_label(*c.last_temporary, lang) + (ja ? "）" : ")");
        out += ", " + (c.status.klass ? c.status.str() : std::string(ja ? "ステータスなし" : "no status")) + "\n";
        out += (ja ? "理由（Sisimai の名前）: " : "reason (Sisimai's name): ") + std::string(gw::to_string(c.reason)) + "\n";
        out += (ja ? "対処する人: " : "who must act: ") + actor_label(gw::who_acts(c), lang) + "\n\n";
        out += (ja ? "何が失敗したか: " : "what failed: ") + e.what_failed + "\n";
        out += (ja ? "意味: " : "what it means: ") + e.meaning + "\n";
        out += (ja ? "考えられる原因: " : "likely cause: ") + e.likely_cause + "\n";
        out += (ja ? "対処: " : "what to do: ") + e.what_to_do + "\n";
    } else {
        out += "\n" + e.what_failed + "\n";
    }
    if (!e.notes.empty()) out += "\n";
    for (const auto& n : e.notes) out += (ja ? "注: " : "note: ") + n + "\n";
    if (!e.finding.found.empty()) {
        out += ja ? "\n読み取れた内容:\n" : "\nfound:\n";
        for (const auto& f : e.finding.found) out += "  " + found_line(f, lang) + "\n";
    }
    return out;
}

nlohmann::json to_json(const Explanation& e) {
    const auto& f = e.finding;
    nlohmann::json j{{"source", to_string(f.source)}, {"can_tell", e.can_tell()}, {"sender", f.sender}, {"recipient", f.recipient}};
    j["stage"] = f.stage ? nlohmann::json(gw::stage_name(*f.stage)) : nlohmann::json();
    j["stage_inferred"] = f.stage_inferred;
    j["remote"] = {{"host", f.remote_host}, {"ip", f.remote_ip}};
    j["reply"] = f.reply ? nlohmann::json(f.reply->one_line()) : nlohmann::json();
    j["dns"] = f.dns_status ? nlohmann::json{{"name", f.dns_name}, {"status", gw::dns_status_name(*f.dns_status)}} : nlohmann::json();
    j["net_error"] = f.net ? nlohmann::json(smtp::to_string(*f.net)) : nlohmann::json();
    j["reported_status"] = f.reported_status;
    if (!e.classification) {
        j["reason"] = gw::to_string(untold_reason(f));
        j["status"] = f.reported_status;
    }
    if (e.classification) {
        const auto& c = *e.classification;
        j["class"] = gw::to_string(c.failure);
        j["reason"] = gw::to_string(c.reason);
        j["status"] = c.status.str();
        j["permanent"] = c.permanent;
        j["actor"] = gw::to_string(gw::who_acts(c));
        j["rule"] = c.rule;
        j["last_class"] = c.last_temporary ? nlohmann::json(gw::to_string(*c.last_temporary)) : nlohmann::json();
    }
    j["what_failed"] = e.what_failed;
    j["meaning"] = e.meaning;
    j["likely_cause"] = e.likely_cause;
    j["what_to_do"] = e.what_to_do;
    j["notes"] = e.notes;
    j["found"] = f.found;
    return j;
}

}  // namespace relaylab::diag
