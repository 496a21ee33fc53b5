#pragma once
// The embedded freeDiameter node of one RoamKey process: configuration,
// dictionary, peers, request dispatch, outgoing requests and shutdown.
// freeDiameter allows one instance per process (notes sec. 1), so there is
// at most one Stack.
//
// Threads: request handlers and answer callbacks run on freeDiameter's
// dispatch threads (AppServThreads); timers run on one Asio thread owned
// here. Handlers must never block waiting for another Diameter answer
// (notes sec. 5): they keep the PendingRequest and answer later.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "diameter/duplicate_cache.h"
#include "diameter/message.h"
#include "diameter/traffic_observer.h"

namespace roamkey::diameter {

struct StackOptions {
  std::string program;  // for logs: "home-aaa"
  config::DiameterConfig diameter;
  std::string diameter_log_level = "warn";  // level of freeDiameter's own messages
  // Identities allowed to open a connection to us. The certificate they
  // present must name the same identity (notes sec. 4, security gap).
  std::vector<std::string> accepted_peers;
  // Load Debian's dict_nasreq and dict_eap for Diameter EAP (RFC 4072).
  bool eap_dictionaries = true;
  // Block SIGTERM/SIGINT in every thread so that wait_for_signal() gets them.
  bool handle_signals = true;
  // Window and bounds of duplicate detection, shared by every command that
  // asks for it (RequestOptions::detect_duplicates).
  DuplicatePolicy duplicates;
};

// One Diameter peer as freeDiameter knows it (RFC 6733 sec. 5.6 peer states).
struct PeerStatus {
  std::string identity;
  std::string state;  // "OPEN", "CLOSED", "WAITCNXACK", "SUSPECT", "REOPEN", ... (freeDiameter's STATE_ names)
  bool open = false;  // can carry requests now
  // When this process last saw the state change (its start if never).
  std::chrono::system_clock::time_point since;
};

struct RequestOptions {
  // A repeat of a request seen within the window (same Origin-Host and
  // End-to-End-Identifier, T flag or not) gets the first answer again and
  // the handler does not run (protocol.md sec. 3; duplicate_cache.h).
  bool detect_duplicates = false;
};

// A received request we owe an answer to. Destroying it unanswered answers
// DIAMETER_UNABLE_TO_COMPLY, so that no request is ever silently dropped
// (notes sec. 7.3).
class PendingRequest {
 public:
  // Takes a finished answer. The default hands it to freeDiameter
  // (fd_msg_send); tests pass one that keeps it.
  using AnswerSender = std::function<void(Message answer)>;

  explicit PendingRequest(Message request, AnswerSender send = {})
      : request_(std::move(request)), send_(std::move(send)) {}
  PendingRequest(PendingRequest&&) noexcept = default;
  PendingRequest& operator=(PendingRequest&&) noexcept;
  PendingRequest(const PendingRequest&) = delete;
  PendingRequest& operator=(const PendingRequest&) = delete;
  ~PendingRequest();

  const Message& request() const { return request_; }
  bool answered() const { return !request_; }

  // Builds the answer (Session-Id, Origin-Host/Realm, Result-Code or
  // Experimental-Result, Error-Message on failure), lets `fill` add the
  // command's own AVPs, and sends it.
  void answer(const Outcome& outcome, const std::function<void(AvpSink&)>& fill = {});

 private:
  friend class DuplicateDetector;
  Message start_answer(bool protocol_error);
  void deliver(Message answer);
  // Answers a repeat with the AVPs the first request was answered with.
  void answer_again(const RememberedAnswer& remembered);
  // Lets a repeat go unanswered: its first request's answer serves it.
  void drop() { request_ = Message(); }

  Message request_;
  AnswerSender send_;
  // Set on the first of possible repeats: records the answer for them.
  std::shared_ptr<DuplicateTicket> duplicate_ticket_;
};

enum class AnswerStatus { Answered, TimedOut, NotSent };

struct Answer {
  AnswerStatus status = AnswerStatus::NotSent;
  Message message;  // set when Answered
  AnswerResult result;
  std::string error;  // for TimedOut / NotSent

  bool is_success() const { return status == AnswerStatus::Answered && result.is_success(); }
  std::string describe() const;  // "2001", "5401 (experimental) ...", "timed out"
};

using RequestHandler = std::function<void(PendingRequest)>;
using AnswerHandler = std::function<void(Answer)>;

// True once shutdown began: nothing may be sent any more.
bool stopping();

class Stack {
 public:
  // Initialises the core, loads dictionaries, applies the configuration.
  // Throws std::runtime_error (after logging freeDiameter's own reason).
  explicit Stack(StackOptions options);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // Advertises an application in CER/CEA (vendor-specific when vendor != 0).
  void advertise(std::string_view application_name, std::string_view vendor_name = {});
  void on_request(const CommandDef& command, RequestHandler handler, RequestOptions request_options = {});
  // Before start(): told of every request and answer from then on (metrics).
  // Must outlive the Stack.
  void observe_traffic(TrafficObserver* observer);
  // Opens listeners and starts connecting to peers; logs "ready".
  void start();

  // Sends a request; `on_answer` runs exactly once: with the answer, on
  // timeout, or when it could not be sent. Never blocks on the network.
  void send(Message request, std::chrono::milliseconds timeout, AnswerHandler on_answer);

  bool peer_open(const std::string& identity) const;
  bool wait_peer_open(const std::string& identity, std::chrono::milliseconds timeout) const;
  // Every peer: configured ones and those that connected to us, by identity.
  std::vector<PeerStatus> peers() const;
  // Listening with every handler registered, and not shutting down.
  bool serving() const;

  // Blocks until SIGTERM, SIGINT, SIGHUP (reload) or SIGUSR1 (reopen the
  // log file); returns the signal number.
  int wait_for_signal();

  // What a reload may change (docs/operations.md, "Reload"); from any thread.
  // The peers this node dials: diameter.connect and those a reload added.
  std::shared_ptr<const std::vector<config::PeerConfig>> connect_peers() const;
  bool dials(std::string_view identity) const;  // case-insensitive (RFC 6733 sec. 4.3.1)
  // Dials `peer` from now on, as a ConnectPeer of the configuration would
  // be (freeDiameter's fd_peer_add). Throws std::runtime_error.
  void add_connect_peer(const config::PeerConfig& peer);
  // The identities allowed to connect to us from the next CER on.
  void set_accepted_peers(std::vector<std::string> identities);
  // The level of freeDiameter's own messages (log.diameter_level).
  void set_diameter_log_level(std::string_view level);
  // Disconnects peers (DPR) and stops the core. Idempotent.
  void shutdown();

  boost::asio::io_context& timers() { return timers_; }
  const StackOptions& options() const { return options_; }
  std::uint32_t vendor_id() const { return vendor_id_; }

 private:
  struct Registration;
  void sweep_duplicates_later();

  StackOptions options_;
  std::uint32_t vendor_id_ = 0;
  std::unique_ptr<DuplicateDetector> duplicates_;  // created by the first command that asks for it
  std::vector<std::unique_ptr<Registration>> registrations_;
  boost::asio::io_context timers_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> timers_guard_;
  std::unique_ptr<boost::asio::steady_timer> duplicate_sweep_;  // used on the timer thread only
  std::thread timer_thread_;
  std::atomic<bool> started_{false};
  bool stopped_ = false;
  std::atomic<std::shared_ptr<const std::vector<config::PeerConfig>>> connect_;
};

}  // namespace roamkey::diameter
