#pragma once
// Test doubles for the EAP-TSK state machines: scripted nonces, a stand-in for
// the home domain, and a driver that runs an Authenticator against a Peer.

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/kdf.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "eaptsk/authenticator.h"
#include "eaptsk/peer.h"

namespace roamkey::eaptsk::test {

using crypto::from_hex;
using crypto::to_hex;

// Hands out the scripted values in order, then (unless strict) a counter, so
// that every run of a test sees the same nonces.
class ScriptedRandom final : public crypto::RandomSource {
 public:
  explicit ScriptedRandom(std::vector<Bytes> script = {}, bool strict = false, std::uint8_t seed = 0x40)
      : script_(script.begin(), script.end()), strict_(strict), counter_(seed) {}

  void fill(std::span<std::uint8_t> out) override {
    if (!script_.empty()) {
      const Bytes next = script_.front();
      script_.pop_front();
      if (next.size() != out.size()) throw std::runtime_error("scripted random value has the wrong size");
      std::copy(next.begin(), next.end(), out.begin());
      return;
    }
    if (strict_) throw std::runtime_error("scripted random exhausted");
    for (auto& b : out) b = counter_++;
  }

  bool exhausted() const { return script_.empty(); }

 private:
  std::deque<Bytes> script_;
  bool strict_;
  std::uint8_t counter_;
};

inline const std::string kNai = "alice@home.example";
inline const std::string kRealm = "Visited.Example";
inline const Bytes kK = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

// Plays the home domain: issues vectors for K and computes HOME_AUTH.
struct FakeHome {
  Bytes k = kK;
  std::string realm = kRealm;

  Vector vector(std::uint32_t generation, std::uint8_t rand_fill = 0xa0) const {
    Vector v;
    v.rand = Bytes(16, rand_fill);
    v.generation = generation;
    v.tsk = crypto::derive_tsk(k, v.rand, realm, generation);
    return v;
  }

  Bytes home_auth(const NeedHomeAuth& need) const {
    return crypto::home_auth(k, need.host_challenge, realm, need.mn_auth);
  }
};

template <typename T>
const T& as(const Action& action) {
  if (!std::holds_alternative<T>(action)) throw std::runtime_error("unexpected action kind");
  return std::get<T>(action);
}

// The decoded EAP-TSK request inside a SendRequest action.
inline Packet request_of(const Action& action) {
  const auto decoded = decode(as<SendRequest>(action).packet);
  if (!decoded) throw std::runtime_error("authenticator sent an undecodable request");
  return *decoded.packet;
}

// Runs a whole conversation. Hooks let a test answer NeedVector /
// NeedHomeAuth differently or tamper with packets on the way.
struct Driver {
  Driver(Authenticator& a, Peer& p) : auth(a), peer(p) {}

  Authenticator& auth;
  Peer& peer;
  FakeHome home;
  std::uint32_t generation = 7;
  std::function<Action(Authenticator&, const NeedVector&)> on_need_vector;
  std::function<std::optional<Bytes>(const NeedHomeAuth&)> on_need_home_auth;
  std::function<void(Bytes&)> to_peer = [](Bytes&) {};    // tamper with server packets
  std::function<void(Bytes&)> to_server = [](Bytes&) {};  // tamper with peer packets

  std::vector<Bytes> requests;   // what the server sent, in order
  std::vector<Bytes> responses;  // what the peer sent, in order
  std::vector<NeedVector> vector_requests;

  // Returns the terminal action (Success or Failure), or the last action when
  // the peer went silent.
  Action run() {
    Bytes first = peer.identity_response(0);
    responses.push_back(first);
    Action action = auth.on_response(first);
    for (int guard = 0; guard < 64; ++guard) {
      if (std::holds_alternative<Success>(action) || std::holds_alternative<Failure>(action)) {
        Bytes final_packet = std::holds_alternative<Success>(action) ? std::get<Success>(action).packet
                                                                     : std::get<Failure>(action).packet;
        to_peer(final_packet);
        requests.push_back(final_packet);
        peer.handle(final_packet);
        return action;
      }
      if (const auto* need = std::get_if<NeedVector>(&action)) {
        vector_requests.push_back(*need);
        action = on_need_vector ? on_need_vector(auth, *need) : auth.provide_vector(home.vector(generation));
        continue;
      }
      if (const auto* need = std::get_if<NeedHomeAuth>(&action)) {
        action = auth.provide_home_auth(on_need_home_auth ? on_need_home_auth(*need)
                                                          : std::optional<Bytes>(home.home_auth(*need)));
        continue;
      }
      Bytes request = std::get<SendRequest>(action).packet;
      to_peer(request);
      requests.push_back(request);
      PeerStep step = peer.handle(request);
      if (!step.response) return action;  // peer silent
      to_server(*step.response);
      responses.push_back(*step.response);
      action = auth.on_response(*step.response);
    }
    throw std::runtime_error("conversation does not end");
  }
};

// The K_AUT both sides derive for the given conversation inputs.
inline crypto::SecretBytes k_aut_for(const Vector& v, ByteView nonce_p, ByteView nonce_s, const std::string& nai = kNai,
                                     const std::string& realm = kRealm) {
  return crypto::derive_session_keys(v.tsk, nonce_p, nonce_s, nai, realm).k_aut;
}

}  // namespace roamkey::eaptsk::test
