#include "service/reload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/scratch_dir.h"

namespace roamkey::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

config::DiameterConfig base() {
  config::DiameterConfig d;
  d.identity = "aaa.visited.example";
  d.realm = "visited.example";
  d.listen = config::ListenConfig{};
  d.connect = {{"aaa.home.example", "127.0.0.1", 5868, true}};
  return d;
}

config::TlsConfig tls(std::filesystem::path cert, std::filesystem::path key, std::vector<std::filesystem::path> ca) {
  config::TlsConfig t;
  t.certificate = std::move(cert);
  t.private_key = std::move(key);
  t.ca = std::move(ca);
  return t;
}

TEST(ListChange, NamesWhatWasAddedAndRemoved) {
  EXPECT_EQ(list_change({"a", "b"}, {"b", "a"}), "");
  EXPECT_EQ(list_change({"a"}, {"a", "c", "b"}), "added b, c");
  EXPECT_EQ(list_change({"a", "b"}, {"b"}), "removed a");
  EXPECT_EQ(list_change({"a"}, {"b"}), "added b; removed a");
}

TEST(CompareDiameter, SameConfigurationChangesNothing) {
  ReloadReport report;
  const auto changes = compare_diameter(base(), tls_fingerprint(base().tls), base(), report);
  EXPECT_THAT(changes.added_peers, IsEmpty());
  EXPECT_THAT(report.restart_needed, IsEmpty());
  EXPECT_TRUE(report.ok());
}

TEST(CompareDiameter, AnAddedPeerIsDialledWithoutRestart) {
  auto next = base();
  next.connect.push_back({"aaa2.home.example", "127.0.0.2", 3868, false});
  ReloadReport report;
  const auto changes = compare_diameter(base(), "", next, report);
  ASSERT_EQ(changes.added_peers.size(), 1u);
  EXPECT_EQ(changes.added_peers[0].identity, "aaa2.home.example");
  EXPECT_THAT(report.restart_needed, IsEmpty());
}

TEST(CompareDiameter, IdentityListenAndTimersNeedARestart) {
  auto next = base();
  next.identity = "other.visited.example";
  next.listen->tls_port = 5869;
  next.tc_timer = 5;
  ReloadReport report;
  (void)compare_diameter(base(), "", next, report);
  EXPECT_THAT(report.restart_needed, ElementsAre(HasSubstr("diameter.identity"), HasSubstr("diameter.listen"),
                                                 HasSubstr("diameter.tc_timer")));
}

TEST(CompareDiameter, ChangedOrRemovedPeerNeedsARestart) {
  auto changed = base();
  changed.connect[0].port = 3869;
  ReloadReport a;
  EXPECT_THAT(compare_diameter(base(), "", changed, a).added_peers, IsEmpty());
  EXPECT_THAT(a.restart_needed, ElementsAre(HasSubstr("aaa.home.example changed")));

  auto removed = base();
  removed.connect.clear();
  ReloadReport b;
  (void)compare_diameter(base(), "", removed, b);
  EXPECT_THAT(b.restart_needed, ElementsAre(HasSubstr("removed: still dialled")));
}

TEST(CompareDiameter, ReplacedTlsFileNeedsARestart) {
  test::ScratchDir dir;
  auto cfg = base();
  cfg.tls = tls(dir.write("cert.pem", "cert-1"), dir.write("key.pem", "key"), {dir.write("ca.pem", "ca")});
  const auto running = tls_fingerprint(cfg.tls);
  EXPECT_EQ(tls_fingerprint(cfg.tls), running) << "the same files digest the same";
  ReloadReport same;
  (void)compare_diameter(cfg, running, cfg, same);
  EXPECT_THAT(same.restart_needed, IsEmpty());

  dir.write("cert.pem", "cert-2");
  ReloadReport replaced;
  (void)compare_diameter(cfg, running, cfg, replaced);
  EXPECT_THAT(replaced.restart_needed, ElementsAre(HasSubstr("was replaced")));

  auto moved = cfg;
  moved.tls->certificate = dir.write("other.pem", "cert-1");
  ReloadReport renamed;
  (void)compare_diameter(cfg, running, moved, renamed);
  EXPECT_THAT(renamed.restart_needed, ElementsAre(HasSubstr("diameter.tls changed")));
}

TEST(TlsFingerprint, NoTlsIsEmptyAndAnUnreadableFileDiffers) {
  EXPECT_EQ(tls_fingerprint(std::nullopt), "");
  test::ScratchDir dir;
  const auto a = tls(dir.write("c.pem", "x"), dir / "missing.pem", {});
  const auto b = tls(dir.write("c.pem", "x"), dir / "other-missing.pem", {});
  EXPECT_NE(tls_fingerprint(a), tls_fingerprint(b));
}

TEST(CompareAdmin, AnyListenerChangeNeedsARestart) {
  config::AdminConfig running;
  running.port = 9100;
  auto next = running;
  ReloadReport none;
  compare_admin(running, next, none);
  EXPECT_THAT(none.restart_needed, IsEmpty());
  next.port = 9101;
  next.metrics = false;
  ReloadReport both;
  compare_admin(running, next, both);
  EXPECT_THAT(both.restart_needed, ElementsAre(HasSubstr("admin.listen"), HasSubstr("admin.metrics")));
}

}  // namespace
}  // namespace roamkey::service
