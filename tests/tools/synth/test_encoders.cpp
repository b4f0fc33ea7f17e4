// Encoder pieces against published vectors.
// Vectors: RFC 3720 B.4 (CRC32c), RFC 1071 3 (Internet checksum example), TS 24.008 10.5.1.3 /
// 10.5.1.4 (LAI, mobile identity layouts, checked against Wireshark's decoding), TS 23.003 B.2
// (Luhn check digit; IMEI 49015420323751-8 is the textbook example), the USSD string "*100#" as
// handsets send it (aa 18 0c 36 02, also used by tests/decoders/test_gsm7.cpp), RANAP messages
// of the public osmo-iuh Iu-CS captures.
#include <array>
#include <functional>
#include <vector>

#include "checksum.hpp"
#include "encode.hpp"
#include "ranap.hpp"
#include "synth_test_util.hpp"

namespace bs = bssap::synth;

namespace {
std::vector<std::uint8_t> bytes_of(const std::function<void(bs::wbuf&)>& f) {
  std::array<std::uint8_t, 256> buf{};
  bs::wbuf w(buf.data(), buf.size());
  f(w);
  REQUIRE_FALSE(w.overflow);
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(w.n)};
}
}  // namespace

TEST_CASE("crc32c matches the RFC 3720 B.4 vectors", "[synth]") {
  std::array<std::uint8_t, 32> zeros{};
  std::array<std::uint8_t, 32> ones{};
  ones.fill(0xFF);
  std::array<std::uint8_t, 32> ascending{};
  for (std::size_t i = 0; i < 32; ++i) ascending[i] = static_cast<std::uint8_t>(i);
  CHECK(bs::crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
  CHECK(bs::crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
  CHECK(bs::crc32c(ascending.data(), ascending.size()) == 0x46DD794Eu);
  // Odd lengths go through the byte tail.
  CHECK(bs::crc32c(ascending.data(), 31) != bs::crc32c(ascending.data(), 32));
}

TEST_CASE("internet checksum of the RFC 1071 example", "[synth]") {
  const std::array<std::uint8_t, 8> data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(bs::ones_sum(data.data(), data.size()) == 0xddf2u);
  CHECK(bs::fold(bs::ones_sum(data.data(), data.size())) == 0x220du);
}

TEST_CASE("PLMN and mobile identity encodings", "[synth]") {
  CHECK(bytes_of([](bs::wbuf& w) { bs::put_plmn(w, "460", "00"); }) == std::vector<std::uint8_t>{0x64, 0xF0, 0x00});
  CHECK(bytes_of([](bs::wbuf& w) { bs::put_plmn(w, "310", "260"); }) == std::vector<std::uint8_t>{0x13, 0x00, 0x62});
  // IMSI, odd number of digits: odd/even flag set, no filler.
  CHECK(bytes_of([](bs::wbuf& w) { bs::put_identity_digits(w, bs::id_kind::imsi, "460001234567890"); }) ==
        std::vector<std::uint8_t>{0x49, 0x06, 0x00, 0x21, 0x43, 0x65, 0x87, 0x09});
  // IMEISV, 16 digits: even, 0xF filler in the last high nibble.
  CHECK(bytes_of([](bs::wbuf& w) { bs::put_identity_digits(w, bs::id_kind::imeisv, "3532811012345601"); }) ==
        std::vector<std::uint8_t>{0x33, 0x35, 0x82, 0x11, 0x10, 0x32, 0x54, 0x06, 0xF1});
  CHECK(bytes_of([](bs::wbuf& w) { bs::put_bcd(w, "10086"); }) == std::vector<std::uint8_t>{0x01, 0x80, 0xF6});
}

TEST_CASE("IMEI check digit (Luhn)", "[synth]") {
  CHECK(bs::luhn_digit("49015420323751") == '8');
  CHECK(bs::luhn_digit("35209900176148") == '1');  // TS 23.003 example IMEI 35-209900-176148-1
}

TEST_CASE("USSD strings are packed as handsets send them", "[synth]") {
  CHECK(bytes_of([](bs::wbuf& w) { bs::put_ussd_string(w, "*100#"); }) ==
        std::vector<std::uint8_t>{0xaa, 0x18, 0x0c, 0x36, 0x02});
  // 7 septets leave 7 spare bits: TS 23.038 6.1.2.3.1 fills them with CR (0x0D << 1 = 0x1A).
  const auto seven = bytes_of([](bs::wbuf& w) { bs::put_ussd_string(w, "*123*1#"); });
  REQUIRE(seven.size() == 7);
  CHECK((seven[6] >> 1) == 0x0D);
}

TEST_CASE("command-line values: PLMNs and the scenario mix", "[synth]") {
  bs::plmn p;
  CHECK(bs::parse_plmn("460-00", p));
  CHECK(p.mnc_len == 2);
  CHECK(bs::parse_plmn("310-260", p));
  CHECK(p.mnc_len == 3);
  CHECK_FALSE(bs::parse_plmn("46000", p));
  CHECK_FALSE(bs::parse_plmn("460-0", p));
  CHECK_FALSE(bs::parse_plmn("4a0-00", p));
  bs::scenario_mix m;
  std::string error;
  CHECK(bs::parse_mix("lu=1,call_mo=0,reject=10", m, error));
  CHECK(m.lu == 1);
  CHECK(m.call_mo == 0);
  CHECK(m.reject == 10);
  CHECK_FALSE(bs::parse_mix("teleport=3", m, error));
  CHECK(error.find("unknown mix name") != std::string::npos);
  CHECK_FALSE(bs::parse_mix("lu=x", m, error));
  CHECK_FALSE(bs::parse_mix("reject=101", m, error));
  CHECK(bs::scenario_mix{}.cref == 15);
  CHECK(bs::parse_mix("cref=250", m, error));
  CHECK(m.cref == 250);
  CHECK_FALSE(bs::parse_mix("cref=1001", m, error));
  CHECK(error.find("per mille") != std::string::npos);
  const auto d = bs::default_config();
  REQUIRE(d.home_plmns.size() == 3);
  CHECK(std::string(d.home_plmns[2].mcc, 3) + std::string(d.home_plmns[2].mnc, 2) == "46007");
}

TEST_CASE("RANAP in aligned PER equals what real RNCs and MSCs send (osmo-iuh Iu-CS captures)", "[synth][iucs]") {
  // The octets of the public osmo-iuh MobileOriginatingCall capture's RANAP messages (also in
  // ../shared/pcaps/real/), which Wireshark decodes without complaint.
  bs::config cfg = bs::default_config();
  cfg.iface = bs::interface_kind::iucs;
  bs::network net;
  net.cells.push_back({0x4001, 0x8195, 0});
  std::vector<bs::subscriber> subs(1);
  const std::string_view imsi = "123456780000000";
  for (std::size_t i = 0; i < imsi.size(); ++i) subs[0].imsi[i] = imsi[i];
  subs[0].imsi_len = static_cast<std::uint8_t>(imsi.size());
  const bs::world_view w{&cfg, &net, &subs};
  const bs::conn_ctx c{};
  auto ranap = [&](bs::mk kind, bs::dir d) {
    bs::msg m;
    m.kind = kind;
    m.d = d;
    return bytes_of([&](bs::wbuf& out) { bs::put_ranap(m, c, w, out); });
  };
  using v = std::vector<std::uint8_t>;
  // CommonID (TS 25.413 9.1.47): PermanentNAS-UE-ID iMSI, TBCD 21 43 65 87 00 00 00 f0.
  CHECK(ranap(bs::mk::common_id, bs::dir::down) == v{0x00, 0x0f, 0x40, 0x10, 0x00, 0x00, 0x01, 0x00, 0x17, 0x40,
                                                     0x09, 0x50, 0x21, 0x43, 0x65, 0x87, 0x00, 0x00, 0x00, 0xf0});
  // Iu-ReleaseCommand, cause nAS normal-release (83); Iu-ReleaseComplete without IEs.
  CHECK(ranap(bs::mk::clear_cmd, bs::dir::down) ==
        v{0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x04, 0x40, 0x01, 0x22});
  CHECK(ranap(bs::mk::clear_complete, bs::dir::up) == v{0x20, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00});
  // SecurityModeComplete: UIA1 (0), UEA1 (1).
  CHECK(ranap(bs::mk::cipher_complete, bs::dir::up) ==
        v{0x20, 0x06, 0x00, 0x0d, 0x00, 0x00, 0x02, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x05, 0x40, 0x01, 0x10});
  // DirectTransfer from the MSC: NAS-PDU (CM Service Accept 05 21) and SAPI sapi-0.
  CHECK(ranap(bs::mk::cm_serv_accept, bs::dir::down) == v{0x00, 0x14, 0x40, 0x0f, 0x00, 0x00, 0x02, 0x00, 0x10, 0x40,
                                                          0x03, 0x02, 0x05, 0x21, 0x00, 0x3b, 0x40, 0x01, 0x00});
  // SecurityModeCommand: the fixed parts around the keys (IntegrityProtectionInformation,
  // EncryptionInformation: no extension bit, 1 algorithm; KeyStatus new).
  const auto smc = ranap(bs::mk::cipher_cmd, bs::dir::down);
  REQUIRE(smc.size() == 56);
  CHECK(v(smc.begin(), smc.begin() + 13) ==
        v{0x00, 0x06, 0x00, 0x34, 0x00, 0x00, 0x03, 0x00, 0x0c, 0x00, 0x12, 0x00, 0x00});
  CHECK(v(smc.begin() + 29, smc.begin() + 35) == v{0x00, 0x0b, 0x40, 0x12, 0x00, 0x80});
  CHECK(v(smc.begin() + 51, smc.end()) == v{0x00, 0x4b, 0x00, 0x01, 0x40});
}
