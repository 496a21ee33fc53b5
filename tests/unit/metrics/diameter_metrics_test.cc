#include "metrics/diameter_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "diameter/stack.h"

namespace roamkey::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::uint32_t kDer = 268;
constexpr std::uint32_t kDlr = 8389000;

TEST(DiameterMetrics, CountsBothDirectionsPerCommandAndResultCode) {
  Registry r("visited-aaa");
  DiameterMetrics m(r, {{kDer, "DER"}, {kDlr, "DLR"}});
  m.request_received(kDer);
  m.request_received(kDer);
  m.answer_sent(kDer, 1001, false);
  m.answer_sent(kDer, 2001, false);
  m.request_sent(kDlr);
  m.answer_received(kDlr, diameter::AnswerStatus::Answered, 5401, true);
  m.request_sent(kDlr);
  m.answer_received(kDlr, diameter::AnswerStatus::TimedOut, 0, false);
  m.request_sent(kDlr);
  m.answer_received(kDlr, diameter::AnswerStatus::NotSent, 0, false);
  const auto text = r.serialize();
  EXPECT_THAT(text, HasSubstr("roamkey_diameter_requests_received_total{command=\"DER\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_diameter_answers_sent_total{command=\"DER\",result_code=\"1001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_diameter_answers_sent_total{command=\"DER\",result_code=\"2001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_diameter_requests_sent_total{command=\"DLR\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_diameter_answers_received_total{command=\"DLR\",result_code=\"5401\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_diameter_requests_unanswered_total{command=\"DLR\",reason=\"timeout\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_diameter_requests_unanswered_total{command=\"DLR\",reason=\"not_sent\"} 1\n"));
  // Every command has its zero series from the start, so that rates exist before the first request.
  EXPECT_THAT(text, HasSubstr("roamkey_diameter_requests_received_total{command=\"DLR\"} 0\n"));
}

TEST(DiameterMetrics, AnUnknownCommandCountsAsOther) {
  Registry r("x");
  DiameterMetrics m(r, {{kDer, "DER"}});
  m.request_received(280);  // DWR: never a handler's, but counted safely
  m.answer_sent(280, 2001, false);
  const auto text = r.serialize();
  EXPECT_THAT(text, HasSubstr("roamkey_diameter_requests_received_total{command=\"other\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("roamkey_diameter_answers_sent_total{command=\"other\",result_code=\"2001\"} 1\n"));
}

TEST(DiameterMetrics, ManyThreadsCountExactly) {
  Registry r("x");
  DiameterMetrics m(r, {{kDer, "DER"}});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) m.answer_sent(kDer, i % 2 ? 2001 : 4001, false);
    });
  for (auto& t : threads) t.join();
  const auto text = r.serialize();
  EXPECT_THAT(text, HasSubstr("{command=\"DER\",result_code=\"2001\"} 20000\n"));
  EXPECT_THAT(text, HasSubstr("{command=\"DER\",result_code=\"4001\"} 20000\n"));
}

}  // namespace
}  // namespace roamkey::metrics
