#include "diameter/stack.h"

#include <netdb.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "diameter/conf_render.h"
#include "diameter/dictionary.h"
#include "diameter/fd_includes.h"
#include "diameter/listen_address.h"
#include "diameter/observer.h"
#include "diameter/peer_acl.h"

#ifndef ROAMKEY_FD_EXTENSION_DIR
#define ROAMKEY_FD_EXTENSION_DIR "/usr/lib/freeDiameter"
#endif

namespace roamkey::diameter {

namespace {

std::atomic<bool> g_stopping{false};
std::atomic<bool> g_instance{false};
std::atomic<std::uint32_t> g_vendor_id{0};
std::atomic<TrafficObserver*> g_traffic{nullptr};

TrafficObserver* traffic() {
  return g_traffic.load(std::memory_order_relaxed);
}

void block_signals() {
  sigset_t all;
  sigfillset(&all);
  // Threads inherit the mask; only wait_for_signal() takes SIGTERM/SIGINT
  // (the freeDiameterd pattern, notes sec. 5 "SIGTERM").
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

timespec realtime_after(std::chrono::milliseconds d) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  const auto ns = static_cast<long long>(ts.tv_nsec) + std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  ts.tv_sec += static_cast<time_t>(ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return ts;
}

// Writes the generated configuration to an anonymous memory file, which
// freeDiameter reads by path (notes sec. 1 "Configuration source"). Nothing
// touches the disk, so no stale file can leak the TLS key paths.
class ConfFile {
 public:
  explicit ConfFile(const std::string& text) {
    fd_ = memfd_create("roamkey-fd.conf", MFD_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
    std::size_t off = 0;
    while (off < text.size()) {
      const auto n = ::write(fd_, text.data() + off, text.size() - off);
      if (n <= 0)
        throw std::runtime_error(std::string("writing the freeDiameter configuration: ") + std::strerror(errno));
      off += static_cast<std::size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~ConfFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  ConfFile(const ConfFile&) = delete;
  ConfFile& operator=(const ConfFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// Exactly-once completion of an outgoing request: freeDiameter calls either
// the answer or the expiry callback, but silently drops answers that break
// the answer ABNF (notes sec. 7.3), so a timer backs both up.
struct InFlight {
  AnswerHandler handler;
  std::uint32_t command_code = 0;
  std::atomic<bool> done{false};
  void complete(Answer a) {
    if (done.exchange(true)) return;
    if (auto* t = traffic()) t->answer_received(command_code, a.status, a.result.code, a.result.experimental);
    try {
      handler(std::move(a));
    } catch (const std::exception& e) {
      spdlog::error("answer handler failed: {}", e.what());
    }
  }
};
using InFlightBox = std::shared_ptr<InFlight>;

void on_answer(void* data, msg** ans) {
  auto* box = static_cast<InFlightBox*>(data);
  Answer a;
  a.status = AnswerStatus::Answered;
  a.message = Message(*ans);
  *ans = nullptr;  // ours now; the core must not pass it on (notes sec. 7.2)
  a.result = a.message.result();
  (*box)->complete(std::move(a));
  delete box;
}

void on_expire(void* data, DiamId_t, size_t, msg**) {
  auto* box = static_cast<InFlightBox*>(data);
  Answer a;
  a.status = AnswerStatus::TimedOut;
  a.error = "no answer before the deadline";
  (*box)->complete(std::move(a));
  delete box;  // leaving *req set lets the core free the request
}

std::string_view own_identity() {
  const char* id = fd_g_config->cnf_diamid;
  return id == nullptr ? std::string_view("") : std::string_view(id, fd_g_config->cnf_diamid_len);
}

std::string_view own_realm() {
  const char* realm = fd_g_config->cnf_diamrlm;
  return realm == nullptr ? std::string_view("") : std::string_view(realm, fd_g_config->cnf_diamrlm_len);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

bool stopping() {
  return g_stopping.load();
}

// ---- PendingRequest -------------------------------------------------------

PendingRequest& PendingRequest::operator=(PendingRequest&& o) noexcept {
  if (this != &o) {
    if (!answered() && !stopping()) {
      try {
        answer(Outcome::base(ResultCode::UnableToComply, "request abandoned"));
      } catch (const std::exception& e) {
        spdlog::error("could not answer an abandoned request: {}", e.what());
      }
    }
    request_ = std::move(o.request_);
    send_ = std::move(o.send_);
    duplicate_ticket_ = std::move(o.duplicate_ticket_);
  }
  return *this;
}

PendingRequest::~PendingRequest() {
  if (answered() || stopping()) return;
  try {
    answer(Outcome::base(ResultCode::UnableToComply, "request not handled"));
  } catch (const std::exception& e) {
    spdlog::error("could not answer an abandoned request: {}", e.what());
  }
}

void PendingRequest::answer(const Outcome& outcome, const std::function<void(AvpSink&)>& fill) {
  static const AvpDef result_code = AvpDef::named("Result-Code");
  static const AvpDef experimental = AvpDef::named("Experimental-Result");
  static const AvpDef experimental_code = AvpDef::named("Experimental-Result-Code");
  static const AvpDef vendor_id = AvpDef::named("Vendor-Id");
  static const AvpDef error_message = AvpDef::named("Error-Message");
  static const AvpDef origin_host = AvpDef::named("Origin-Host");
  static const AvpDef origin_realm = AvpDef::named("Origin-Realm");

  if (answered()) throw MessageError("request already answered");
  // Leaving this function without complete() forgets the request for
  // duplicate detection (duplicate_cache.h).
  const auto ticket = std::move(duplicate_ticket_);
  // RFC 6733 sec. 7.1.3: protocol errors (3xxx) set the E bit and use the
  // generic error answer.
  const bool protocol_error = !outcome.experimental && outcome.code >= 3000 && outcome.code < 4000;
  const auto command = request_.command_code();
  Message ans = start_answer(protocol_error);
  auto avps = ans.avps();
  if (outcome.experimental) {
    avps.group(experimental).add(vendor_id, g_vendor_id.load()).add(experimental_code, outcome.code);
  } else {
    avps.add(result_code, outcome.code);
  }
  // What fd_msg_add_origin() adds, without its dependence on
  // fd_core_parseconf() having run, so that answers can be built in unit
  // tests of the dispatch path (duplicate_detector_test.cc).
  avps.add(origin_host, own_identity()).add(origin_realm, own_realm());
  if (fill && !protocol_error) fill(avps);
  const bool failure = !(outcome.is_success() || (!outcome.experimental && outcome.code == 1001));
  if (failure && !outcome.reason.empty()) avps.add(error_message, outcome.reason);
  if (auto* t = traffic()) t->answer_sent(command, outcome.code, outcome.experimental);
  if (!ticket) {
    deliver(std::move(ans));
    return;
  }
  std::optional<RememberedAnswer> remembered;
  try {
    remembered = RememberedAnswer::of(ans);
  } catch (const std::exception& e) {
    spdlog::warn("an answer cannot be kept for duplicate detection ({}); repeats will be handled anew", e.what());
  }
  // Recorded even when sending fails: the handler has done its work, and a
  // retry must find that answer rather than do it again.
  const auto record = [&] {
    if (remembered) ticket->complete(std::move(*remembered));
  };
  try {
    deliver(std::move(ans));
  } catch (...) {
    record();
    throw;
  }
  record();
}

Message PendingRequest::start_answer(bool protocol_error) {
  ::msg* m = request_.release();
  if (fd_msg_new_answer_from_req(fd_g_config->cnf_dict, &m, protocol_error ? MSGFL_ANSW_ERROR : 0) != 0) {
    fd_msg_free(m);
    throw MessageError("cannot create an answer");
  }
  return Message(m);  // owns the answer and, through it, the request
}

void PendingRequest::deliver(Message answer) {
  if (send_) {
    send_(std::move(answer));
    return;
  }
  ::msg* raw = answer.release();
  if (int rc = fd_msg_send(&raw, nullptr, nullptr); rc != 0) {
    if (raw != nullptr) fd_msg_free(raw);
    throw MessageError("cannot send the answer (error " + std::to_string(rc) + ")");
  }
}

void PendingRequest::answer_again(const RememberedAnswer& remembered) {
  if (answered()) throw MessageError("request already answered");
  // fd_msg_new_answer_from_req gives the repeat its own Session-Id and
  // Proxy-Info (RFC 6733 sec. 6.2); the rest is the first answer's.
  const auto command = request_.command_code();
  Message ans = start_answer(remembered.protocol_error);
  auto avps = ans.avps();
  remembered.avps.write_to(avps);
  if (auto* t = traffic()) {
    const auto r = ans.result();
    t->answer_sent(command, r.code, r.experimental);
  }
  deliver(std::move(ans));
}

std::string Answer::describe() const {
  switch (status) {
    case AnswerStatus::TimedOut: return "timed out: " + error;
    case AnswerStatus::NotSent: return "not sent: " + error;
    case AnswerStatus::Answered: break;
  }
  std::string s = std::to_string(result.code);
  if (result.experimental) s += " (experimental)";
  s += " " + std::string(result_code_name(result.code, result.experimental));
  if (!result.error_message.empty()) s += ": " + result.error_message;
  return s;
}

// ---- Stack ----------------------------------------------------------------

struct Stack::Registration {
  RequestHandler handler;
  std::string name;
  std::uint32_t code = 0;
  DuplicateDetector* duplicates = nullptr;  // set when the command asked for it
  disp_hdl* hdl = nullptr;

  static int dispatch(msg** m, avp*, session*, void* opaque, enum disp_action*) {
    auto* self = static_cast<Registration*>(opaque);
    if (auto* t = traffic()) t->request_received(self->code);
    PendingRequest req{Message(*m)};
    *m = nullptr;  // we answer ourselves, possibly later (notes sec. 5)
    if (self->duplicates != nullptr && !self->duplicates->screen(req, self->name)) return 0;
    // Only std::exception: freeDiameter cancels slow dispatch threads at
    // shutdown and the forced unwind must pass (notes sec. 7.7).
    try {
      self->handler(std::move(req));
    } catch (const std::exception& e) {
      spdlog::error("{} handler failed: {}", self->name, e.what());
    }
    return 0;
  }
};

Stack::Stack(StackOptions options)
    : options_(std::move(options)),
      connect_(std::make_shared<const std::vector<config::PeerConfig>>(options_.diameter.connect)) {
  if (g_instance.exchange(true)) throw std::logic_error("freeDiameter allows one Stack per process");
  // A peer closing its socket must surface as EPIPE on the write, not kill
  // the process (the CLI does not block signals like the daemons do).
  ::signal(SIGPIPE, SIG_IGN);
  if (options_.handle_signals) block_signals();
  route_core_log(options_.diameter_log_level);

  if (int rc = fd_core_initialize(); rc != 0)
    throw std::runtime_error("freeDiameter initialisation failed (error " + std::to_string(rc) + ")");

  std::vector<std::filesystem::path> extensions;
  if (options_.eap_dictionaries) {
    // dict_eap depends on dict_nasreq, which must come first (notes sec. 2).
    extensions.emplace_back(std::filesystem::path(ROAMKEY_FD_EXTENSION_DIR) / "dict_nasreq.fdx");
    extensions.emplace_back(std::filesystem::path(ROAMKEY_FD_EXTENSION_DIR) / "dict_eap.fdx");
  }
  for (const auto& e : extensions)
    if (!std::filesystem::exists(e))
      throw std::runtime_error("freeDiameter extension " + e.string() + " not found (install freediameter-extensions)");

  try {
    const ConfFile conf(render_conf({options_.diameter, extensions}));
    if (int rc = fd_core_parseconf(conf.path().c_str()); rc != 0)
      throw std::runtime_error("freeDiameter rejected the configuration (error " + std::to_string(rc) +
                               "; see the [fd] messages above: certificate, key, CA or address)");
    if (options_.diameter.listen) configure_listen_address(options_.diameter.listen->address);
    const auto dict = load_dictionary(options_.diameter.dictionary);
    vendor_id_ = dict.vendor_id();
    g_vendor_id.store(vendor_id_);
  } catch (...) {
    // parseconf may already have started threads (notes sec. 1).
    fd_core_shutdown();
    fd_core_wait_shutdown_complete();
    stopped_ = true;
    throw;
  }

  register_hooks();
  auto accepted = options_.accepted_peers;
  install_peer_acl(std::move(accepted), options_.diameter.listen && options_.diameter.listen->tcp_port != 0);

  timers_guard_.emplace(timers_.get_executor());
  timer_thread_ = std::thread([this] { timers_.run(); });
}

Stack::~Stack() {
  try {
    shutdown();
  } catch (const std::exception& e) {
    spdlog::error("shutdown: {}", e.what());
  }
}

void Stack::advertise(std::string_view application_name, std::string_view vendor_name) {
  dictionary* d = fd_g_config->cnf_dict;
  const std::string app_name(application_name);
  dict_object* app = nullptr;
  if (fd_dict_search(d, DICT_APPLICATION, APPLICATION_BY_NAME, app_name.c_str(), &app, ENOENT) != 0)
    throw std::runtime_error("application \"" + app_name + "\" is not in the dictionary");
  dict_object* vendor = nullptr;
  if (!vendor_name.empty()) {
    const std::string v(vendor_name);
    if (fd_dict_search(d, DICT_VENDOR, VENDOR_BY_NAME, v.c_str(), &vendor, ENOENT) != 0)
      throw std::runtime_error("vendor \"" + v + "\" is not in the dictionary");
  }
  if (int rc = fd_disp_app_support(app, vendor, 1, 0); rc != 0)
    throw std::runtime_error("cannot advertise " + app_name + " (error " + std::to_string(rc) + ")");
}

void Stack::on_request(const CommandDef& command, RequestHandler handler, RequestOptions request_options) {
  auto reg = std::make_unique<Registration>();
  reg->handler = std::move(handler);
  reg->name = command.name();
  reg->code = command.code();
  if (request_options.detect_duplicates) {
    if (!duplicates_) {
      duplicates_ = std::make_unique<DuplicateDetector>(options_.duplicates);
      duplicate_sweep_ = std::make_unique<boost::asio::steady_timer>(timers_);
      boost::asio::post(timers_, [this] { sweep_duplicates_later(); });
    }
    reg->duplicates = duplicates_.get();
  }
  disp_when when{};
  when.command = command.model();
  if (int rc = fd_disp_register(&Registration::dispatch, DISP_HOW_CC, &when, reg.get(), &reg->hdl); rc != 0)
    throw std::runtime_error("cannot register a handler for " + command.name());
  registrations_.push_back(std::move(reg));
}

void Stack::observe_traffic(TrafficObserver* observer) {
  g_traffic.store(observer);
}

// Lookups already ignore expired entries; the sweep frees their memory and
// wipes the answers they hold soon after the window.
void Stack::sweep_duplicates_later() {
  using std::chrono::seconds;
  const auto period =
      std::clamp(std::chrono::duration_cast<seconds>(options_.duplicates.window / 8), seconds(1), seconds(30));
  duplicate_sweep_->expires_after(period);
  duplicate_sweep_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    duplicates_->sweep();
    sweep_duplicates_later();
  });
}

void Stack::start() {
  if (int rc = fd_core_start(); rc != 0)
    throw std::runtime_error("freeDiameter could not start (error " + std::to_string(rc) +
                             "): is the port already in use?");
  started_ = true;
  const auto& d = options_.diameter;
  if (!d.listen) {
    spdlog::info("{} ready: {} (no listener)", options_.program, d.identity);
    return;
  }
  std::vector<std::uint16_t> ports;
  if (d.listen->tls_port != 0) ports.push_back(d.listen->tls_port);
  if (d.listen->tcp_port != 0) ports.push_back(d.listen->tcp_port);
  // freeDiameter's server threads call listen() right after fd_core_start.
  std::vector<BoundSocket> bound;
  std::string problem;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    bound.clear();
    for (auto& b : listening_sockets())
      if (std::find(ports.begin(), ports.end(), b.port) != ports.end()) bound.push_back(std::move(b));
    problem = compare_bound(bound, d.listen->address, ports);
    if (problem.empty() || std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (true);
  if (!problem.empty()) throw std::runtime_error("the Diameter listener is not what diameter.listen says: " + problem);
  // What the sockets report, not what the configuration says.
  std::string where;
  for (const auto& b : bound)
    where += (where.empty() ? "" : ", ") + to_string(b) + (b.port == d.listen->tls_port ? " (TLS)" : " (TCP)");
  spdlog::info("{} ready: {} listening on {}", options_.program, d.identity, where);
}

void Stack::send(Message request, std::chrono::milliseconds timeout, AnswerHandler on_answer_cb) {
  auto state = std::make_shared<InFlight>();
  state->handler = std::move(on_answer_cb);
  state->command_code = request.command_code();
  if (auto* t = traffic()) t->request_sent(state->command_code);
  if (stopping()) {
    // Never inline (the caller may hold a lock the handler takes); after
    // shutdown the timer thread is gone and the request simply ends.
    boost::asio::post(timers_, [state] { state->complete(Answer{AnswerStatus::NotSent, {}, {}, "shutting down"}); });
    return;
  }
  auto* box = new InFlightBox(state);
  const timespec deadline = realtime_after(timeout);
  ::msg* m = request.release();
  if (int rc = fd_msg_send_timeout(&m, on_answer, box, on_expire, &deadline); rc != 0) {
    if (m != nullptr) fd_msg_free(m);
    delete box;
    // Never complete on the caller's thread: it may hold a lock the handler takes.
    boost::asio::post(timers_, [state, rc] {
      state->complete(
          Answer{AnswerStatus::NotSent, {}, {}, "freeDiameter refused the request (error " + std::to_string(rc) + ")"});
    });
    return;
  }
  // Backstop for answers the core drops without calling back (notes sec. 7.3).
  auto timer = std::make_shared<boost::asio::steady_timer>(timers_, timeout + std::chrono::seconds(1));
  timer->async_wait([state, timer](const boost::system::error_code& ec) {
    if (ec) return;
    state->complete(Answer{AnswerStatus::TimedOut, {}, {}, "no usable answer (dropped or late)"});
  });
}

bool Stack::peer_open(const std::string& identity) const {
  peer_hdr* peer = nullptr;
  const std::string id = lower(identity);
  if (fd_peer_getbyid(const_cast<char*>(id.c_str()), id.size(), 1, &peer) != 0 || peer == nullptr) return false;
  return fd_peer_get_state(peer) == STATE_OPEN;
}

bool Stack::serving() const {
  return started_ && !stopping();
}

std::vector<PeerStatus> Stack::peers() const {
  std::vector<PeerStatus> out;
  if (pthread_rwlock_rdlock(&fd_g_peers_rw) != 0) return out;
  for (fd_list* li = fd_g_peers.next; li != &fd_g_peers; li = li->next) {
    auto* peer = static_cast<peer_hdr*>(li->o);
    if (peer == nullptr || peer->info.pi_diamid == nullptr) continue;
    PeerStatus p;
    p.identity = lower(peer->info.pi_diamid);
    const int state = fd_peer_get_state(peer);
    std::string name = STATE_STR(state);
    if (name.rfind("STATE_", 0) == 0) name.erase(0, 6);
    p.state = std::move(name);
    p.open = state == STATE_OPEN;
    out.push_back(std::move(p));
  }
  pthread_rwlock_unlock(&fd_g_peers_rw);
  for (auto& p : out) p.since = peer_open_since(p.identity, p.open);
  return out;
}

bool Stack::wait_peer_open(const std::string& identity, std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!peer_open(identity)) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int Stack::wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

std::shared_ptr<const std::vector<config::PeerConfig>> Stack::connect_peers() const {
  return connect_.load();
}

bool Stack::dials(std::string_view identity) const {
  const auto peers = connect_.load();
  const auto wanted = lower(std::string(identity));
  return std::any_of(peers->begin(), peers->end(),
                     [&](const config::PeerConfig& p) { return lower(p.identity) == wanted; });
}

void Stack::add_connect_peer(const config::PeerConfig& peer) {
  // What fdd.y does for "ConnectPeer = ID { ConnectTo = ADDR; Port = P;
  // No_SCTP; [No_TLS;] };" (conf_render.cc renders the same at start-up).
  peer_info info{};
  info.config.pic_flags.persist = PI_PRST_ALWAYS;
  info.config.pic_flags.pro4 = PI_P4_TCP;
  if (!peer.tls) info.config.pic_flags.sec |= PI_SEC_NONE;
  info.config.pic_port = peer.port;
  fd_list_init(&info.pi_endpoints, nullptr);
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* ai = nullptr;
  if (int rc = getaddrinfo(peer.address.c_str(), nullptr, &hints, &ai); rc != 0)
    throw std::runtime_error("diameter.connect: " + peer.identity + ": address " + peer.address + ": " +
                             gai_strerror(rc));
  const int merged = fd_ep_add_merge(&info.pi_endpoints, ai->ai_addr, ai->ai_addrlen, EP_FL_CONF | EP_ACCEPTALL);
  freeaddrinfo(ai);
  const auto free_endpoints = [&info] {
    while (!FD_IS_LIST_EMPTY(&info.pi_endpoints)) {
      fd_list* li = info.pi_endpoints.next;
      fd_list_unlink(li);
      free(li);
    }
  };
  if (merged != 0) {
    free_endpoints();
    throw std::runtime_error("diameter.connect: " + peer.identity + ": cannot use address " + peer.address);
  }
  std::string identity = peer.identity;
  info.pi_diamid = identity.data();
  // fd_peer_add copies the identity and takes the endpoints.
  const int rc = fd_peer_add(&info, "reload", nullptr, nullptr);
  free_endpoints();
  if (rc == EEXIST) throw std::runtime_error("diameter.connect: " + peer.identity + " is already a peer");
  if (rc != 0)
    throw std::runtime_error("diameter.connect: " + peer.identity + ": freeDiameter refused the peer (error " +
                             std::to_string(rc) + ")");
  auto next = std::make_shared<std::vector<config::PeerConfig>>(*connect_.load());
  next->push_back(peer);
  connect_.store(std::move(next));
}

void Stack::set_accepted_peers(std::vector<std::string> identities) {
  replace_accepted_peers(std::move(identities));
}

void Stack::set_diameter_log_level(std::string_view level) {
  route_core_log(level);
}

void Stack::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  g_stopping.store(true);
  timers_guard_.reset();
  timers_.stop();
  if (timer_thread_.joinable()) timer_thread_.join();
  // Sends DPR to every open peer, then tears the core down (notes sec. 5).
  fd_core_shutdown();
  fd_core_wait_shutdown_complete();
  spdlog::info("{} stopped", options_.program);
}

}  // namespace roamkey::diameter
