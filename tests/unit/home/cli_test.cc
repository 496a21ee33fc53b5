// Runs the home-aaa executable as an operator would, and checks output,
// exit codes (0 ok, 1 runtime/store, 2 usage) and that K never appears.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>

#include "crypto/secret.h"
#include "sqlite_subscriber_store.h"
#include "temp_dir.h"

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
    Outcome r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, test::read_file(dir_ / "stdout"),
          test::read_file(dir_ / "stderr")};
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

  test::TempDir dir_;
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
  EXPECT_EQ(on_store("subscriber add --nai bob@home.example --key-file " + quote(key2.string()) + " --all-partners")
                .code,
            0);
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
  for (const std::string& args : std::vector<std::string>{"", "subscriber", "subscriber add --nai a@home.example", "subscriber add --key " + kK,
        "subscriber add --nai a@home.example --key " + kK + " --key-file x",
        "subscriber add --nai a@home.example --key " + kK.substr(2),
        "subscriber add --nai a@home.example --key " + kK + " --realm a.example --all-partners",
        "subscriber add --nai not-an-nai --key " + kK, "subscriber add --nai a@home.example --key " + kK + " --realm 'bad realm'",
        "subscriber roam --nai a@home.example", "subscriber frobnicate", "delegations",
        "subscriber list --bogus"}) {
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
  const auto not_a_store = run("--store " + quote(dir_.write("x.txt", std::string(2048, 'x')).string()) +
                               " subscriber list");
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

}  // namespace
}  // namespace roamkey::home
