// The Debian packages (scripts/package.sh) end to end on this machine: built from a clean copy of
// the tree, installed with dpkg, the program and its default configuration working, the service
// unit verified by systemd-analyze, then removed (configuration and user kept) and purged
// (nothing left). Needs root and dpkg; it refuses to run over a bssap-probe already installed.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "shell.hpp"
#include "test_support.hpp"

namespace t = bssap::test;
namespace fs = std::filesystem;

namespace {

std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

bool installed(const std::string& pkg) {
  return t::sh("dpkg-query -W -f='${Status}' " + pkg + " 2>/dev/null | grep -q 'install ok installed'").status == 0;
}
bool known_to_dpkg(const std::string& pkg) {
  return t::sh("dpkg-query -W " + pkg + " >/dev/null 2>&1").status == 0;
}

// Purges what the test installed, whatever happened in between.
struct purge_at_exit {
  bool armed = false;
  ~purge_at_exit() {
    if (armed) (void)t::sh("dpkg --purge bssap-probe-tools bssap-probe >/dev/null 2>&1");
  }
};

}  // namespace

TEST_CASE("package: built from a clean tree, installed on this machine, removed and purged cleanly") {
  if (::geteuid() != 0) BSSAP_SKIP_OR_FAIL("installing a package needs root");
  for (const char* tool : {"dpkg", "dpkg-deb", "lintian", "help2man", "go-md2man", "fakeroot", "git", "adduser"})
    if (!t::have_command(tool)) BSSAP_SKIP_OR_FAIL(tool << " is missing (bash scripts/setup.sh)");
  if (known_to_dpkg("bssap-probe") || known_to_dpkg("bssap-probe-tools"))
    BSSAP_SKIP_OR_FAIL("bssap-probe is already known to dpkg on this machine: the test would replace it");
  if (t::sh("getent passwd bssap").status == 0) BSSAP_SKIP_OR_FAIL("a user bssap exists already");

  // A clean tree: the files git knows (tracked, and new ones not ignored), no build folder.
  const fs::path work = fs::temp_directory_path() / ("bssap-pkg-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::create_directories(work / "src");
  const auto copy = t::sh("cd " + q(t::source_dir()) +
                          " && git ls-files -z --cached --others --exclude-standard | "
                          "tar --null --ignore-failed-read -T - -cf - | tar -C " +
                          q(work / "src") + " -xf -");
  INFO(copy.output);
  REQUIRE(copy.status == 0);
  REQUIRE(!fs::exists(work / "src" / "build"));  // nothing built yet
  // ../shared beside the copy, as beside the checkout (tests and examples refer to it).
  fs::create_symlink(t::source_dir().parent_path() / "shared", work / "shared");

  // The build folder where package.sh puts it in the copy, the same place relative to the sources
  // as in the checkout, so that ccache (CCACHE_BASEDIR) hits what an earlier build compiled.
  const auto built = t::sh("BSSAP_PKG_OUT=" + q(work / "pkg") + " bash " + q(work / "src" / "scripts" / "package.sh"));
  INFO(built.output);
  REQUIRE(built.status == 0);
  const fs::path probe_deb = work / "pkg" / ("bssap-probe_" BSSAP_VERSION "_amd64.deb");
  const fs::path tools_deb = work / "pkg" / ("bssap-probe-tools_" BSSAP_VERSION "_amd64.deb");
  REQUIRE(fs::exists(probe_deb));
  REQUIRE(fs::exists(tools_deb));

  // What dpkg-shlibdeps found and what the package holds.
  const std::string depends = t::sh("dpkg-deb -f " + q(probe_deb) + " Depends").output;
  CHECK_THAT(depends, Catch::Contains("libpcap0.8") && Catch::Contains("libc6") && Catch::Contains("adduser") &&
                          Catch::Contains("libsqlite3-0") && Catch::Contains("libyaml-cpp"));
  CHECK_THAT(t::sh("dpkg-deb -I " + q(probe_deb) + " conffiles").output,
             Catch::Contains("/etc/bssap-probe/probe.yaml") && Catch::Contains("/etc/logrotate.d/bssap-probe"));
  const std::string contents = t::sh("dpkg-deb -c " + q(probe_deb)).output;
  for (const char* f :
       {"./usr/sbin/bssap-probe", "./etc/bssap-probe/probe.yaml", "./lib/systemd/system/bssap-probe@.service",
        "./etc/logrotate.d/bssap-probe", "./usr/share/man/man8/bssap-probe.8.gz",
        "./usr/share/man/man8/bssap-probe-check-config.8.gz", "./usr/share/man/man5/probe.yaml.5.gz",
        "./usr/share/doc/bssap-probe/examples/probe.yaml",
        "./usr/share/doc/bssap-probe/examples/campaigns/mms-new-handset.yaml", "./var/lib/bssap-probe/"}) {
    INFO(f);
    CHECK_THAT(contents, Catch::Contains(f));
  }
  CHECK_THAT(t::sh("dpkg-deb -c " + q(tools_deb)).output,
             Catch::Contains("./usr/bin/bssap-synth") && Catch::Contains("./usr/share/man/man1/bssap-synth.1.gz"));
  CHECK(t::sh("ldd " + q(work / "src" / "build" / "pkg-release" / "bin" / "bssap-probe") + " | grep -q libwireshark")
            .status != 0);

  // Installed.
  purge_at_exit guard;
  guard.armed = true;
  const auto inst = t::sh("dpkg -i " + q(probe_deb) + " " + q(tools_deb));
  INFO(inst.output);
  REQUIRE(inst.status == 0);
  REQUIRE(installed("bssap-probe"));
  REQUIRE(t::sh("getent passwd bssap").status == 0);
  CHECK(t::sh("stat -c %U:%G:%a /var/lib/bssap-probe").output == "bssap:bssap:750\n");
  CHECK(t::sh("stat -c %U:%G:%a /var/log/bssap-probe").output == "bssap:bssap:750\n");
  for (const char* m :
       {"man8/bssap-probe.8.gz", "man8/bssap-probe-live.8.gz", "man5/probe.yaml.5.gz", "man1/bssap-synth.1.gz"})
    CHECK(fs::exists(fs::path("/usr/share/man") / m));
  // The logrotate snippet parses (debug mode: nothing is rotated).
  if (t::have_command("logrotate")) {
    const auto lr = t::sh("logrotate --debug /etc/logrotate.d/bssap-probe");
    INFO(lr.output);
    CHECK(lr.status == 0);
    CHECK_THAT(lr.output, Catch::Contains("/var/log/bssap-probe/*.jsonl"));
  } else {
    BSSAP_SKIP_OR_FAIL("logrotate is missing (bash scripts/setup.sh)");
  }
  // The default configuration validates, as the service's user.
  const auto cc = t::sh(
      "setpriv --reuid=bssap --regid=bssap --clear-groups /usr/sbin/bssap-probe check-config "
      "/etc/bssap-probe/probe.yaml");
  INFO(cc.output);
  CHECK(cc.status == 0);
  CHECK_THAT(cc.output, Catch::Contains("configuration OK"));
  // The installed unit (binary and man pages present).
  if (t::have_command("systemd-analyze")) {
    const auto verify = t::sh("systemd-analyze verify bssap-probe@eth0.service");
    INFO(verify.output);
    CHECK(verify.status == 0);
    CHECK(verify.output.empty());
  } else {
    BSSAP_SKIP_OR_FAIL("systemd-analyze is missing");
  }

  // Removed: the programs go, the configuration (edited) and the user stay.
  { std::ofstream(("/etc/bssap-probe/probe.yaml"), std::ios::app) << "# edited by the administrator\n"; }
  const auto removed = t::sh("dpkg -r bssap-probe-tools bssap-probe");
  INFO(removed.output);
  REQUIRE(removed.status == 0);
  CHECK(!fs::exists("/usr/sbin/bssap-probe"));
  CHECK(!fs::exists("/usr/bin/bssap-synth"));
  CHECK(!fs::exists("/lib/systemd/system/bssap-probe@.service"));
  CHECK_THAT(t::slurp("/etc/bssap-probe/probe.yaml"), Catch::Contains("edited by the administrator"));
  CHECK(t::sh("getent passwd bssap").status == 0);

  // Purged: nothing left, not even the user.
  const auto purged = t::sh("dpkg -P bssap-probe-tools bssap-probe");
  INFO(purged.output);
  REQUIRE(purged.status == 0);
  guard.armed = false;
  CHECK(!known_to_dpkg("bssap-probe"));
  CHECK(!fs::exists("/etc/bssap-probe"));
  CHECK(!fs::exists("/etc/logrotate.d/bssap-probe"));
  CHECK(!fs::exists("/var/lib/bssap-probe"));
  CHECK(!fs::exists("/var/log/bssap-probe"));
  CHECK(t::sh("getent passwd bssap").status != 0);
  CHECK(t::sh("getent group bssap").status != 0);
  // Every file the packages shipped is gone.
  for (const auto& deb : {probe_deb, tools_deb}) {
    const auto listing = t::sh("dpkg-deb --fsys-tarfile " + q(deb) + " | tar -t | grep -v '/$'");
    std::istringstream in(listing.output);
    std::string line;
    while (std::getline(in, line)) {
      INFO(line);
      CHECK(!fs::exists(fs::path("/") / line.substr(line.rfind("./", 0) == 0 ? 2 : 0)));
    }
  }
  fs::remove_all(work);
}
