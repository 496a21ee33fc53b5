// Runs the home-aaa executable as an operator would, and checks output,
// exit codes (0 ok, 1 runtime/store, 2 usage) and that K never appears.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>

#include "crypto/bytes.h"
#include "crypto/secret.h"
#include "sqlite_subscriber_store.h"
#include "store_support.h"
#include "support/scratch_dir.h"
#include "support/test_pki.h"

namespace roamkey::home {
namespace {

const std::string kK = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kK2 = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f";

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class CliTest : public ::testing::Test {
 protected:
  std::string store() const { return (dir_ / "home.db").string(); }

  Outcome run(const std::string& args, const std::string& input = "") {
    const auto in = dir_.write("stdin", input);
    const std::string cmd = quote(ROAMKEY_HOME_AAA_BINARY) + " " + args + " <" + quote(in.string()) + " >" +
                            quote((dir_ / "stdout").string()) + " 2>" + quote((dir_ / "stderr").string());
    const int status = std::system(cmd.c_str());
    Outcome r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, roamkey::test::read_file(dir_ / "stdout"),
              roamkey::test::read_file(dir_ / "stderr")};
    EXPECT_EQ(r.out.find(kK), std::string::npos) << args;
    EXPECT_EQ(r.err.find(kK), std::string::npos) << args;
    EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.err;
    return r;
  }

  Outcome on_store(const std::string& args, const std::string& input = "") {
    return run("--store " + quote(store()) + " " + args, input);
  }

  void add_alice() {
    const auto key = dir_.write("alice.key", kK + "\n");
    ASSERT_EQ(on_store("subscriber add --nai alice@home.example --key-file " + quote(key.string()) +
                       " --realm visited.example")
                  .code,
              0);
  }

  roamkey::test::ScratchDir dir_;
};

TEST_F(CliTest, HelpExitsZero) {
  const auto r = run("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("subscriber"), std::string::npos);
  EXPECT_NE(r.out.find("delegations"), std::string::npos);
  const auto sub = run("subscriber add --help");
  EXPECT_EQ(sub.code, 0);
  EXPECT_NE(sub.out.find("--key-file"), std::string::npos);
}

TEST_F(CliTest, VersionAndUsageErrors) {
  const auto v = run("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out.rfind("home-aaa ", 0), 0u) << v.out;
  EXPECT_EQ(run("--no-such-option").code, 2);
  EXPECT_EQ(run("no-such-command").code, 2);
  const auto missing = run("subscriber show");
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("--nai"), std::string::npos) << missing.err;
  EXPECT_EQ(run("check-config").code, 2) << "check-config needs --config";
}

// A whole home-aaa configuration with working TLS credentials.
class CheckConfigTest : public CliTest {
 protected:
  std::filesystem::path config(const std::string& extra = "") {
    const auto cred = pki_.issue("aaa.home.example");
    return dir_.write("home.yaml",
                      "diameter:\n  identity: aaa.home.example\n  realm: home.example\n"
                      "  listen: {address: 127.0.0.1, tls_port: 5868}\n"
                      "  tls: {certificate: " +
                          cred.certificate.string() + ", private_key: " + cred.private_key.string() + ", ca: [" +
                          pki_.ca_certificate().string() +
                          "]}\n"
                          "store: {path: home.db}\n"
                          "roaming_partners: [{realm: visited.example, peers: [aaa.visited.example]}]\n" +
                          extra);
  }
  roamkey::test::TestPki pki_{dir_ / "pki", "Home CA"};
};

TEST_F(CheckConfigTest, UsableConfigurationIsOk) {
  const auto cfg = config();
  const auto r = run("--config " + quote(cfg.string()) + " check-config");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("home.yaml: OK"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(store())) << "check-config creates no store";
}

TEST_F(CheckConfigTest, EveryProblemIsReportedWithFileAndKey) {
  const auto other = pki_.issue("other.home.example");
  auto cfg = config("bogus_section: 1\ndelegation: {tsk_lifetim: 5}\nlog: {level: loud}\n");
  auto text = roamkey::test::read_file(cfg);
  text.replace(text.find("private_key: ") + 13, text.find(", ca:") - text.find("private_key: ") - 13,
               other.private_key.string());
  cfg = dir_.write("home.yaml", text);
  const auto r = run("--config " + quote(cfg.string()) + " check-config");
  EXPECT_EQ(r.code, 1);
  for (const char* expected : {"home.yaml: bogus_section: unknown section", "home.yaml: log.level: must be one of",
                               "home.yaml: diameter.tls.private_key: ", "does not match the certificate",
                               "home.yaml: delegation.tsk_lifetim: unknown key", "home.yaml: 4 problems"})
    EXPECT_NE(r.err.find(expected), std::string::npos) << expected << "\n" << r.err;
}

TEST_F(CheckConfigTest, StoreIsOpenedReadOnlyAndMustMatchTheMasterKey) {
  add_alice();  // a store with K in clear
  const auto master = dir_.write("master.key", std::string(64, 'a') + "\n");
  std::filesystem::permissions(master, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const auto sealed_cfg = config();
  auto text = roamkey::test::read_file(sealed_cfg);
  text.replace(text.find("store: {path: home.db}"), 22, "store: {path: home.db, master_key_file: master.key}");
  const auto cfg = dir_.write("sealed.yaml", text);
  ASSERT_EQ(run("--config " + quote(cfg.string()) + " store rekey").code, 0);
  const auto before = roamkey::test::read_file(store());
  EXPECT_EQ(run("--config " + quote(cfg.string()) + " check-config").code, 0);
  const auto wrong = dir_.write("wrong.key", std::string(64, 'b') + "\n");
  std::filesystem::permissions(wrong, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  text.replace(text.find("master.key"), 10, "wrong.key");
  const auto wrong_cfg = dir_.write("wrong.yaml", text);
  const auto r = run("--config " + quote(wrong_cfg.string()) + " check-config");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not match this store"), std::string::npos) << r.err;
  EXPECT_EQ(roamkey::test::read_file(store()), before) << "check-config changed the store";
  const auto none = run("--config " + quote(sealed_cfg.string()) + " check-config");
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.err.find("sealed under a master key: configure store.master_key_file"), std::string::npos) << none.err;
}

TEST_F(CliTest, AddShowListBarUnbarRemove) {
  add_alice();
  auto show = on_store("subscriber show --nai alice@HOME.example");
  EXPECT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("alice@home.example"), std::string::npos);
  EXPECT_NE(show.out.find("visited.example"), std::string::npos);
  EXPECT_NE(show.out.find("active"), std::string::npos);

  const auto json = on_store("subscriber show --json --nai alice@home.example");
  EXPECT_EQ(json.code, 0);
  EXPECT_NE(json.out.find("\"last_generation\": 0"), std::string::npos) << json.out;

  const auto key2 = dir_.write("bob.key", kK2);
  EXPECT_EQ(
      on_store("subscriber add --nai bob@home.example --key-file " + quote(key2.string()) + " --all-partners").code, 0);
  const auto list = on_store("subscriber list");
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find("alice@home.example\tactive\t0\t0\tvisited.example"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("bob@home.example\tactive\t0\t0\t*"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find(kK2), std::string::npos);
  const auto list_json = on_store("subscriber list --json");
  EXPECT_NE(list_json.out.find("{\"all_partners\":true"), std::string::npos) << list_json.out;

  EXPECT_EQ(on_store("subscriber bar --nai alice@home.example").code, 0);
  EXPECT_NE(on_store("subscriber show --nai alice@home.example").out.find("barred"), std::string::npos);
  EXPECT_EQ(on_store("subscriber unbar --nai alice@home.example").code, 0);
  EXPECT_NE(on_store("subscriber show --nai alice@home.example").out.find("active"), std::string::npos);

  EXPECT_EQ(on_store("subscriber roam --nai alice@home.example --realm a.example --realm b.example").code, 0);
  EXPECT_NE(on_store("subscriber show --nai alice@home.example").out.find("a.example, b.example"), std::string::npos);

  EXPECT_EQ(on_store("subscriber remove --nai alice@home.example").code, 0);
  EXPECT_EQ(on_store("subscriber show --nai alice@home.example").code, 1);
}

TEST_F(CliTest, AddTakesKeyAsHexOrFromStdin) {
  EXPECT_EQ(on_store("subscriber add --nai a@home.example --key " + kK).code, 0);
  EXPECT_EQ(on_store("subscriber add --nai b@home.example --key-file -", kK + "\n").code, 0);
  SqliteSubscriberStore s(store());
  EXPECT_EQ(crypto::to_hex(s.get_with_key("b@home.example")->k.view()), kK);
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  for (const std::string& args : std::vector<std::string>{
           "", "subscriber", "subscriber add --nai a@home.example", "subscriber add --key " + kK,
           "subscriber add --nai a@home.example --key " + kK + " --key-file x",
           "subscriber add --nai a@home.example --key " + kK.substr(2),
           "subscriber add --nai a@home.example --key " + kK + " --realm a.example --all-partners",
           "subscriber add --nai not-an-nai --key " + kK,
           "subscriber add --nai a@home.example --key " + kK + " --realm 'bad realm'",
           "subscriber roam --nai a@home.example", "subscriber frobnicate", "delegations", "subscriber list --bogus"}) {
    const auto r = on_store(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
  }
}

TEST_F(CliTest, NoStoreIsAUsageError) {
  const auto r = run("subscriber list");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--store"), std::string::npos);
}

TEST_F(CliTest, ReadingAMissingStoreFailsAndCreatesNothing) {
  const auto r = on_store("subscriber list");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no subscriber store"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(store()));
}

TEST_F(CliTest, RuntimeErrorsExitOne) {
  add_alice();
  EXPECT_EQ(on_store("subscriber show --nai nobody@home.example").code, 1);
  EXPECT_EQ(on_store("subscriber bar --nai nobody@home.example").code, 1);
  EXPECT_EQ(on_store("delegations --nai nobody@home.example").code, 1);
  const auto dup = on_store("subscriber add --nai alice@home.example --key " + kK2);
  EXPECT_EQ(dup.code, 1);
  EXPECT_NE(dup.err.find("already exists"), std::string::npos);
  EXPECT_EQ(dup.err.find(kK2), std::string::npos);
  const auto not_a_store =
      run("--store " + quote(dir_.write("x.txt", std::string(2048, 'x')).string()) + " subscriber list");
  EXPECT_EQ(not_a_store.code, 1);
  EXPECT_NE(not_a_store.err.find("not a RoamKey home store"), std::string::npos);
}

TEST_F(CliTest, ImportIsAllOrNothingAndReportsLines) {
  add_alice();
  const auto bad = dir_.write("bad.csv", "bob@home.example," + kK2 + "\ncarol@home.example,xyz\n");
  const auto r = on_store("subscriber import " + quote(bad.string()));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad.csv:2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing imported"), std::string::npos) << r.err;
  EXPECT_EQ(on_store("subscriber show --nai bob@home.example").code, 1);

  const auto clash = dir_.write("clash.csv", "bob@home.example," + kK2 + "\nalice@home.example," + kK2 + "\n");
  const auto c = on_store("subscriber import " + quote(clash.string()));
  EXPECT_EQ(c.code, 1);
  EXPECT_NE(c.err.find("clash.csv:2: subscriber already exists"), std::string::npos) << c.err;
  EXPECT_EQ(on_store("subscriber show --nai bob@home.example").code, 1);

  const auto ok = on_store("subscriber import -", "# batch\nbob@home.example," + kK2 +
                                                      ",*\n{\"nai\":\"carol@home.example\",\"k\":\"" + kK2 + "\"}\n");
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("imported 2"), std::string::npos);
  EXPECT_EQ(on_store("subscriber show --nai carol@home.example").code, 0);
}

TEST_F(CliTest, DelegationsListVectorsButNoKeys) {
  add_alice();
  {
    SqliteSubscriberStore s(store());
    const crypto::Bytes rand(16, 0xab);
    s.issue_vector({"alice@home.example", "visited.example", "aaa.visited.example", rand, 60,
                    Timestamp(std::chrono::seconds(1700000000))});
  }
  const auto r = on_store("delegations --nai alice@home.example");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("1\tabababababababababababababababab\tvisited.example\taaa.visited.example\t"
                       "2023-11-14T22:13:20Z\t2023-11-14T22:14:20Z"),
            std::string::npos)
      << r.out;
  const auto j = on_store("delegations --json --nai alice@home.example");
  EXPECT_NE(j.out.find("\"generation\":1"), std::string::npos) << j.out;
}

TEST_F(CliTest, StorePathComesFromTheConfiguration) {
  const auto cfg = dir_.write("home.yaml",
                              "store: {path: home.db}\n"
                              "roaming_partners: [{realm: visited.example, peers: [aaa.visited.example]}]\n");
  const auto r = run("--config " + quote(cfg.string()) + " subscriber add --nai a@home.example --key " + kK +
                     " --realm elsewhere.example");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("elsewhere.example is not a roaming partner"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(store()));
  // Global options may also follow the subcommand.
  EXPECT_EQ(run("subscriber show --nai a@home.example --config " + quote(cfg.string())).code, 0);

  const auto broken = dir_.write("broken.yaml", "store: {}\n");
  const auto b = run("--config " + quote(broken.string()) + " subscriber list");
  EXPECT_EQ(b.code, 1);
  EXPECT_NE(b.err.find("store.path: required"), std::string::npos) << b.err;
}

TEST_F(CliTest, RunNeedsAConfiguration) {
  EXPECT_EQ(run("run").code, 2);
  EXPECT_NE(run("run --config " + quote((dir_ / "absent.yaml").string())).code, 0);
}

// ---- issue 3: keys at rest, revocation, rotation --------------------------

const std::string kMaster = "8f8e8d8c8b8a898887868584838281807f7e7d7c7b7a79787776757473727170";
const std::string kNewMaster = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

class CliKeysTest : public CliTest {
 protected:
  CliKeysTest() {
    test::write_key_file(dir_ / "master.key", kMaster + "\n");
    test::write_key_file(dir_ / "new.key", kNewMaster + "\n");
    dir_.write("home.yaml", "store: {path: home.db, master_key_file: master.key}\n");
    dir_.write("plain.yaml", "store: {path: home.db}\n");
  }
  std::string config(const char* name = "home.yaml") const { return "--config " + quote((dir_ / name).string()); }
  Outcome with_key(const std::string& args, const std::string& input = "") { return run(config() + " " + args, input); }

  bool file_holds(const std::string& hex) const {
    const auto bytes = crypto::from_hex(hex);
    return test::store_files_contain(dir_ / "home.db", bytes);
  }
};

TEST_F(CliKeysTest, AddAndImportSealKUnderTheConfiguredMasterKey) {
  EXPECT_EQ(with_key("subscriber add --nai a@home.example --key " + kK).code, 0);
  EXPECT_EQ(with_key("subscriber import -", "b@home.example," + kK2 + ",*\n").code, 0);
  EXPECT_FALSE(file_holds(kK));
  EXPECT_FALSE(file_holds(kK2));
  const auto info = with_key("store info");
  EXPECT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find("K sealed:       2"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("K in clear:     0"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("(matches)"), std::string::npos) << info.out;
  SqliteSubscriberStore::Options o;
  o.key_protector = std::make_shared<MasterKeyProtector>(crypto::SecretBytes::from_hex(kMaster));
  SqliteSubscriberStore s(dir_ / "home.db", o);
  EXPECT_EQ(crypto::to_hex(s.get_with_key("b@home.example")->k.view()), kK2);
}

TEST_F(CliKeysTest, CommandsThatDoNotTouchKNeedNoMasterKey) {
  ASSERT_EQ(with_key("subscriber add --nai a@home.example --key " + kK).code, 0);
  EXPECT_EQ(on_store("subscriber list").code, 0);
  EXPECT_EQ(on_store("subscriber show --nai a@home.example").code, 0);
  EXPECT_EQ(on_store("subscriber bar --nai a@home.example").code, 0);
  const auto add = on_store("subscriber add --nai b@home.example --key " + kK2);
  EXPECT_EQ(add.code, 1);
  EXPECT_NE(add.err.find("configure store.master_key_file"), std::string::npos) << add.err;
  EXPECT_EQ(on_store("--master-key-file " + quote((dir_ / "master.key").string()) +
                     " subscriber add --nai b@home.example --key " + kK2)
                .code,
            0);
}

TEST_F(CliKeysTest, AWrongOrExposedMasterKeyIsAClearError) {
  ASSERT_EQ(with_key("subscriber add --nai a@home.example --key " + kK).code, 0);
  const auto wrong = run(config() + " --master-key-file " + quote((dir_ / "new.key").string()) +
                         " subscriber add --nai b@home.example --key " + kK2);
  EXPECT_EQ(wrong.code, 1);
  EXPECT_NE(wrong.err.find("master key does not match this store"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.err.find(kNewMaster), std::string::npos);

  test::write_key_file(dir_ / "master.key", kMaster, 0640);
  const auto exposed = with_key("subscriber add --nai b@home.example --key " + kK2);
  EXPECT_EQ(exposed.code, 1);
  EXPECT_NE(exposed.err.find("chmod 600"), std::string::npos) << exposed.err;
  EXPECT_NE(exposed.err.find("master.key"), std::string::npos) << exposed.err;
  EXPECT_EQ(exposed.err.find(kMaster), std::string::npos);
}

TEST_F(CliKeysTest, TheDaemonRefusesToStartWithAWrongOrExposedMasterKey) {
  ASSERT_EQ(with_key("subscriber add --nai a@home.example --key " + kK).code, 0);
  const std::string diameter = "diameter: {identity: aaa.home.example, realm: home.example}\n";
  dir_.write("wrong.yaml", diameter + "store: {path: home.db, master_key_file: new.key}\n");
  const auto wrong = run(config("wrong.yaml") + " run");
  EXPECT_EQ(wrong.code, 1);
  EXPECT_NE(wrong.err.find("master key does not match this store"), std::string::npos) << wrong.err;
  dir_.write("none.yaml", diameter + "store: {path: home.db}\n");
  const auto none = run(config("none.yaml") + " run");
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.err.find("configure store.master_key_file"), std::string::npos) << none.err;
  test::write_key_file(dir_ / "master.key", kMaster, 0604);
  dir_.write("exposed.yaml", diameter + "store: {path: home.db, master_key_file: master.key}\n");
  const auto exposed = run(config("exposed.yaml") + " run");
  EXPECT_EQ(exposed.code, 1);
  EXPECT_NE(exposed.err.find("chmod 600"), std::string::npos) << exposed.err;
  EXPECT_EQ(run(config() + " --store x.db run").code, 2);
}

TEST_F(CliKeysTest, RekeySealsAPlainStoreThenMovesToANewKey) {
  ASSERT_EQ(run(config("plain.yaml") + " subscriber add --nai a@home.example --key " + kK).code, 0);
  ASSERT_TRUE(file_holds(kK));
  const auto usage = run(config("plain.yaml") + " store rekey");
  EXPECT_EQ(usage.code, 2) << usage.err;

  const auto sealed = with_key("store rekey");
  EXPECT_EQ(sealed.code, 0) << sealed.err;
  EXPECT_NE(sealed.out.find("sealed 1 subscriber key(s)"), std::string::npos) << sealed.out;
  EXPECT_FALSE(file_holds(kK));

  const auto moved = with_key("store rekey --new-master-key-file " + quote((dir_ / "new.key").string()));
  EXPECT_EQ(moved.code, 0) << moved.err;
  EXPECT_NE(moved.out.find("now set store.master_key_file"), std::string::npos) << moved.out;
  EXPECT_FALSE(file_holds(kK));
  EXPECT_EQ(with_key("subscriber add --nai b@home.example --key " + kK2).code, 1);  // the old key is refused
  const auto now_new = run(config() + " --master-key-file " + quote((dir_ / "new.key").string()) + " store info");
  EXPECT_EQ(now_new.code, 0) << now_new.err;
  EXPECT_NE(now_new.out.find("K sealed:       1"), std::string::npos) << now_new.out;

  test::write_key_file(dir_ / "loose.key", kMaster, 0644);
  const auto loose = run(config() + " --master-key-file " + quote((dir_ / "new.key").string()) +
                         " store rekey --new-master-key-file " + quote((dir_ / "loose.key").string()));
  EXPECT_EQ(loose.code, 1);
  EXPECT_NE(loose.err.find("chmod 600"), std::string::npos) << loose.err;
}

TEST_F(CliKeysTest, RekeyHelpDocumentsTheProcedure) {
  const auto help = run("store rekey --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--new-master-key-file"), std::string::npos);
  EXPECT_NE(help.out.find("stop home-aaa"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("set store.master_key_file"), std::string::npos) << help.out;
  const auto top = run("--help");
  for (const char* cmd : {"revoke", "rotate", "store"}) EXPECT_NE(top.out.find(cmd), std::string::npos) << cmd;
}

class CliDelegationTest : public CliTest {
 protected:
  // A delegation as the daemon's DLR handling records it.
  void delegate(const std::string& realm, const std::string& host) {
    SqliteSubscriberStore s(store());
    const crypto::Bytes rand(16, 0xab);
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    ASSERT_TRUE(s.record_delegation({"alice@home.example", realm, host, rand, 3600, Timestamp(now)}));
  }
};

TEST_F(CliDelegationTest, RevokeQueuesADrrVisibleInDelegations) {
  add_alice();
  const auto nothing = on_store("revoke --nai alice@home.example");
  EXPECT_EQ(nothing.code, 0) << nothing.err;
  EXPECT_NE(nothing.out.find("no active delegation"), std::string::npos) << nothing.out;

  delegate("visited.example", "aaa.visited.example");
  auto d = on_store("delegations --nai alice@home.example");
  EXPECT_NE(d.out.find("active delegation: visited.example via aaa.visited.example"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("mobile holds:      unknown"), std::string::npos) << d.out;

  const auto r = on_store("revoke --nai alice@home.example --cause key-compromised");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("KEY_COMPROMISED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DRR queued to 1 host(s)"), std::string::npos) << r.out;

  d = on_store("delegations --nai alice@home.example");
  EXPECT_NE(d.out.find("revoked (KEY_COMPROMISED)"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("pending\taaa.visited.example\tKEY_COMPROMISED\t<=1\t0\t"), std::string::npos) << d.out;
  const auto j = on_store("delegations --json --nai alice@home.example");
  EXPECT_NE(j.out.find("\"revocations\":[{"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("\"state\":\"pending\""), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("\"attempts\":0"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("\"active\":false"), std::string::npos) << j.out;

  EXPECT_EQ(on_store("revoke --nai nobody@home.example").code, 1);
  EXPECT_EQ(on_store("revoke --nai alice@home.example --cause new-delegation").code, 2);
}

TEST_F(CliDelegationTest, BarringAndRemovalRevoke) {
  add_alice();
  delegate("visited.example", "aaa.visited.example");
  const auto bar = on_store("subscriber bar --nai alice@home.example");
  EXPECT_EQ(bar.code, 0);
  EXPECT_NE(bar.out.find("revoked its delegation to visited.example"), std::string::npos) << bar.out;
  EXPECT_NE(bar.out.find("SUBSCRIPTION_WITHDRAWN"), std::string::npos) << bar.out;
  EXPECT_EQ(on_store("subscriber unbar --nai alice@home.example").out.find("revoked"), std::string::npos);

  delegate("visited.example", "aaa.visited.example");
  const auto rm = on_store("subscriber remove --nai alice@home.example");
  EXPECT_EQ(rm.code, 0);
  EXPECT_NE(rm.out.find("revoked its delegation"), std::string::npos) << rm.out;
  SqliteSubscriberStore s(store());
  EXPECT_EQ(s.revocations("alice@home.example", 10).size(), 2u);
}

TEST_F(CliDelegationTest, RotateQueuesARequestForTheDaemon) {
  add_alice();
  const auto none = on_store("rotate --nai alice@home.example");
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.err.find("no active delegation"), std::string::npos) << none.err;
  EXPECT_EQ(on_store("rotate --nai nobody@home.example").code, 1);

  delegate("visited.example", "aaa.visited.example");
  const auto r = on_store("rotate --nai alice@home.example");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("queued as request #1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("aaa.visited.example"), std::string::npos) << r.out;
  const auto d = on_store("delegations --nai alice@home.example");
  EXPECT_NE(d.out.find("waiting for the daemon"), std::string::npos) << d.out;
  SqliteSubscriberStore s(store());
  EXPECT_EQ(s.open_operator_requests(10).size(), 1u);
}

TEST_F(CliDelegationTest, ShowReportsTheDelegationAndTheMobilesGeneration) {
  add_alice();
  delegate("visited.example", "aaa.visited.example");
  {
    SqliteSubscriberStore s(store());
    s.record_key_update({"alice@home.example", "visited.example", "aaa.visited.example", 1, KeyUpdateStatus::Updated,
                         Timestamp(std::chrono::seconds(1700000000))});
  }
  const auto show = on_store("subscriber show --nai alice@home.example");
  EXPECT_NE(show.out.find("delegation:      visited.example via aaa.visited.example, generation 1"), std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("mobile holds:    generation 1 (reported UPDATED 2023-11-14T22:13:20Z)"), std::string::npos)
      << show.out;
  const auto json = on_store("subscriber show --json --nai alice@home.example");
  EXPECT_NE(json.out.find("\"mobile_generation\": 1"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"visited_host\": \"aaa.visited.example\""), std::string::npos) << json.out;
  const auto d = on_store("delegations --nai alice@home.example");
  EXPECT_NE(d.out.find("1\tUPDATED\taaa.visited.example\t"), std::string::npos) << d.out;
}

}  // namespace
}  // namespace roamkey::home
