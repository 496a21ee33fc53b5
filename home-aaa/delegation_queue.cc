#include "delegation_queue.h"

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace roamkey::home {

using diameter::Outcome;
using diameter::ResultCode;

DelegationQueue::DelegationQueue(const DelegationService& service, Transaction transaction, Options options)
    : service_(service), transaction_(std::move(transaction)), options_(options) {
  if (options_.max_batch == 0) options_.max_batch = 1;
  writer_ = std::thread([this] { run(); });
}

DelegationQueue::~DelegationQueue() {
  stop();
}

void DelegationQueue::submit(DelegationRequest request, Done done) {
  std::string refused;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      refused = "home-aaa is shutting down";
    } else if (queue_.size() >= options_.max_queued) {
      refused = std::to_string(queue_.size()) + " DLRs already wait for the store";
    } else {
      queue_.push_back({std::move(request), std::move(done), Clock::now()});
    }
    if (!refused.empty()) ++stats_.refused_busy;
  }
  if (!refused.empty()) {
    done(DelegationResult{Outcome::base(ResultCode::TooBusy, refused), std::nullopt});
    return;
  }
  wake_.notify_one();
}

void DelegationQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

DelegationQueue::Stats DelegationQueue::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::size_t DelegationQueue::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void DelegationQueue::run() {
  std::vector<Item> batch;
  for (;;) {
    batch.clear();
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to answer
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    handle(batch);
  }
}

void DelegationQueue::handle(std::vector<Item>& batch) {
  const auto began = Clock::now();
  const auto& sinks = options_.sinks;
  if (sinks.queue_wait != nullptr)
    for (const auto& item : batch)
      sinks.queue_wait->observe(std::chrono::duration<double>(began - item.queued_at).count());
  metrics::observe(sinks.batch_size, static_cast<double>(batch.size()));
  std::vector<DelegationResult> results(batch.size());
  bool committed = true;
  try {
    // DelegationService::delegate turns its own failures into 5012; a
    // failed one rolled back only its own savepoint.
    transaction_([&] {
      for (std::size_t i = 0; i < batch.size(); ++i) results[i] = service_.delegate(batch[i].request);
    });
  } catch (const std::exception& e) {
    committed = false;
    for (auto& r : results)
      r = DelegationResult{Outcome::base(ResultCode::UnableToComply, std::string("store commit failed: ") + e.what()),
                           std::nullopt};
  }
  metrics::observe(sinks.commit, std::chrono::duration<double>(Clock::now() - began).count());
  {
    std::lock_guard lock(mutex_);
    ++stats_.batches;
    stats_.requests += batch.size();
    if (!committed) ++stats_.commit_failures;
    if (batch.size() > stats_.largest_batch) stats_.largest_batch = batch.size();
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
}

}  // namespace roamkey::home
