// libwireshark 4.0 in process: the tshark single-pass loop (tshark.c process_packet_single_pass)
// reduced to one frame from a buffer. The tree is built invisible and "primed" with the fields we
// read, as tshark -T fields does, so dissectors fill exactly those.
#include "bssap/epan/dissector.hpp"
#include "capture_frames.hpp"

#include <array>
#include <cstring>
#include <mutex>
#include <stdexcept>

extern "C" {
#include <epan/addr_resolv.h>
#include <epan/column-info.h>
#include <epan/column-utils.h>
#include <epan/column.h>
#include <epan/epan.h>
#include <epan/epan_dissect.h>
#include <epan/frame_data.h>
#include <epan/prefs.h>
#include <epan/proto.h>
#include <epan/timestamp.h>
#include <epan/tvbuff.h>
#include <wiretap/pcap-encap.h>
#include <wiretap/wtap.h>
#include <wsutil/filesystem.h>
#include <wsutil/privileges.h>
#include <wsutil/wslog.h>
}

// The frame provider epan asks for earlier frames' time stamps (frame.time_delta ...).
struct packet_provider_data {
  const frame_data* ref = nullptr;
  const frame_data* prev_dis = nullptr;
};

namespace bssap::epan {

namespace {

using tshark_diff::fields;

const nstime_t* frame_ts(packet_provider_data* prov, guint32 num) {
  if (prov->ref != nullptr && prov->ref->num == num) return &prov->ref->abs_ts;
  if (prov->prev_dis != nullptr && prov->prev_dis->num == num) return &prov->prev_dis->abs_ts;
  return nullptr;
}

const packet_provider_funcs provider_funcs = {frame_ts, nullptr, nullptr, nullptr};

// Process-wide libwireshark state: initialised once, never torn down before exit (epan_init
// "must be called only once in a program").
struct library {
  e_prefs* prefs = nullptr;
  column_info cinfo{};
  int info_column = -1;
  std::array<int, fields.size()> hf{};
  int hf_protocols = -1;
  int hf_malformed = -1;
  int hf_retransmission = -1;
  int hf_expert = -1;

  library() {
    ws_log_init("bssap-epan", nullptr);
    ws_log_set_level(LOG_LEVEL_WARNING);  // libwireshark's debug chatter is not ours to print
    init_process_policies();
    timestamp_set_type(TS_RELATIVE);  // as tshark: the Time column needs a type
    timestamp_set_precision(TS_PREC_AUTO);
    timestamp_set_seconds_type(TS_SECONDS_DEFAULT);
    if (char* e = configuration_init("bssap-epan", nullptr); e != nullptr) g_free(e);  // data files: defaults
    wtap_init(FALSE);
    if (!epan_init(nullptr, nullptr, FALSE)) throw std::runtime_error("libwireshark: epan_init failed");
    prefs = epan_load_settings();
    disable_name_resolution();  // tshark -n
    build_column_format_array(&cinfo, prefs->num_cols, TRUE);
    for (int i = 0; i < cinfo.num_cols; ++i)
      if (cinfo.columns[i].col_fmt == COL_INFO) info_column = i;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      hf[i] = proto_registrar_get_id_byname(std::string(fields[i].name).c_str());
      if (hf[i] < 0) throw std::runtime_error("libwireshark: no field " + std::string(fields[i].name));
    }
    hf_protocols = proto_registrar_get_id_byname("frame.protocols");
    hf_malformed = proto_registrar_get_id_byname("_ws.malformed");
    hf_retransmission = proto_registrar_get_id_byname("sctp.retransmission");
    hf_expert = proto_registrar_get_id_byname("_ws.expert.message");
    if (hf_protocols < 0 || hf_malformed < 0 || hf_retransmission < 0 || hf_expert < 0)
      throw std::runtime_error("libwireshark: a frame-wide field is missing");
  }

  static void set_pref(const char* pref) {
    std::string copy = pref;  // prefs_set_pref() edits its argument
    char* error = nullptr;
    if (prefs_set_pref(copy.data(), &error) != PREFS_SET_OK) {
      std::string why = error != nullptr ? error : "unknown";
      g_free(error);
      throw std::runtime_error(std::string("libwireshark: preference ") + pref + ": " + why);
    }
    g_free(error);
  }

  // What tshark-diff passes to tshark with -o (tools/tshark-diff/src/theirs.cpp). The SCTP PPIDs
  // (M3UA 3, SUA 4), the SSNs (BSSAP 254, RANAP 142) and the IPA ports (5000 ...) are
  // Wireshark's defaults, as the tshark run relies on (pcaps/README.md, ../shared/pcaps/real).
  void apply(const options& o) {
    set_pref("sctp.tsn_analysis:TRUE");
    set_pref(o.pc24 ? "mtp3.standard:Chinese ITU" : "mtp3.standard:ITU");
    prefs_apply_all();
  }
};

library& lib() {
  static library l;
  return l;
}

std::string value_text(const field_info* fi, bool numeric) {
  const ftenum_t ft = fvalue_type_ftenum(const_cast<fvalue_t*>(&fi->value));
  if (numeric && IS_FT_UINT32(ft)) return std::to_string(fvalue_get_uinteger(const_cast<fvalue_t*>(&fi->value)));
  if (numeric && IS_FT_UINT64(ft)) return std::to_string(fvalue_get_uinteger64(const_cast<fvalue_t*>(&fi->value)));
  if (numeric && IS_FT_INT32(ft)) return std::to_string(fvalue_get_sinteger(const_cast<fvalue_t*>(&fi->value)));
  // What tshark -T fields prints (print.c get_node_field_value): the display representation.
  char* s = fvalue_to_string_repr(nullptr, &fi->value, FTREPR_DISPLAY, fi->hfinfo->display);
  std::string out = s != nullptr ? s : "";
  wmem_free(nullptr, s);
  return out;
}

template <typename F>
void each_finfo(proto_tree* tree, int hf, F&& f) {
  if (tree == nullptr || hf < 0) return;
  GPtrArray* a = proto_find_finfo(tree, hf);
  if (a == nullptr) return;
  for (guint i = 0; i < a->len; ++i) f(static_cast<const field_info*>(g_ptr_array_index(a, i)));
  g_ptr_array_free(a, TRUE);
}

}  // namespace

struct session::impl {
  library& l;
  epan_t* epan = nullptr;
  epan_dissect_t* edt = nullptr;
  packet_provider_data prov;
  frame_data ref_frame{};
  frame_data prev_dis_frame{};
  nstime_t elapsed{};
  guint32 cum_bytes = 0;
  guint32 number = 0;
  std::vector<std::uint8_t> buffer;  // the frame without its pseudo-header

  explicit impl(const options& o) : l(lib()) {
    l.apply(o);
    open();
  }
  ~impl() { close(); }

  void open() {
    prov = {};
    epan = epan_new(&prov, &provider_funcs);
    edt = epan_dissect_new(epan, TRUE, FALSE);
    number = 0;
    cum_bytes = 0;
    nstime_set_zero(&elapsed);
  }
  // epan_dissect_reset() forgets the primed fields: prime before each frame (as tshark does).
  void prime() {
    for (const int hf : l.hf) epan_dissect_prime_with_hfid(edt, hf);
    epan_dissect_prime_with_hfid(edt, l.hf_protocols);
    epan_dissect_prime_with_hfid(edt, l.hf_malformed);
    epan_dissect_prime_with_hfid(edt, l.hf_retransmission);
    epan_dissect_prime_with_hfid(edt, l.hf_expert);
  }
  void close() {
    if (edt != nullptr) epan_dissect_free(edt);
    if (epan != nullptr) epan_free(epan);
    edt = nullptr;
    epan = nullptr;
  }
};

session::session(const options& o) : p_(std::make_unique<impl>(o)) {}
session::~session() = default;

void session::reset(const options& o) {
  p_->close();
  p_->l.apply(o);
  p_->open();
}

void session::dissect(int dlt, std::span<const std::uint8_t> frame, std::int64_t ts_us, std::uint32_t wire_len,
                      dissection& out) {
  impl& s = *p_;
  out = {};
  wtap_rec rec;
  wtap_rec_init(&rec);
  rec.rec_type = REC_TYPE_PACKET;
  rec.presence_flags = WTAP_HAS_TS | WTAP_HAS_CAP_LEN;
  rec.ts.secs = static_cast<time_t>(ts_us / 1'000'000);
  rec.ts.nsecs = static_cast<int>((ts_us % 1'000'000) * 1000);
  const int encap = wtap_pcap_encap_to_wtap_encap(dlt);
  rec.rec_header.packet_header.pkt_encap = encap;
  std::span<const std::uint8_t> data = frame;
  std::uint32_t len = wire_len == 0 ? static_cast<std::uint32_t>(frame.size()) : wire_len;
  if (encap == WTAP_ENCAP_MTP2_WITH_PHDR) {
    // wiretap (pcap-common.c) moves the 4-octet MTP2 pseudo-header (sent, annex A used, link
    // number big-endian) out of the data into the record; the MTP2 dissector reads it there.
    if (frame.size() < 4) {
      out.malformed = true;  // what wiretap reports as a bad record
      wtap_rec_cleanup(&rec);
      return;
    }
    auto& m = rec.rec_header.packet_header.pseudo_header.mtp2;
    m.sent = frame[0];
    m.annex_a_used = frame[1];
    m.link_number = static_cast<guint16>(frame[2] << 8 | frame[3]);
    data = frame.subspan(4);
    len = len >= 4 ? len - 4 : 0;
  } else if (encap == WTAP_ENCAP_ETHERNET) {
    rec.rec_header.packet_header.pseudo_header.eth.fcs_len = -1;  // pcap: not known
  }
  s.buffer.assign(data.begin(), data.end());
  rec.rec_header.packet_header.caplen = static_cast<guint32>(s.buffer.size());
  rec.rec_header.packet_header.len = std::max<std::uint32_t>(len, static_cast<std::uint32_t>(s.buffer.size()));

  frame_data fd;
  frame_data_init(&fd, ++s.number, &rec, 0, s.cum_bytes);
  const frame_data* ref = s.prov.ref;
  frame_data_set_before_dissect(&fd, &s.elapsed, &ref, s.prov.prev_dis);
  if (ref == &fd) {
    s.ref_frame = fd;
    s.prov.ref = &s.ref_frame;
  }
  tvbuff_t* tvb = tvb_new_real_data(s.buffer.data(), rec.rec_header.packet_header.caplen,
                                    static_cast<gint>(rec.rec_header.packet_header.caplen));
  s.prime();
  epan_dissect_run(s.edt, wtap_pcap_file_type_subtype(), &rec, tvb, &fd, &s.l.cinfo);
  epan_dissect_fill_in_columns(s.edt, FALSE, TRUE);
  proto_tree* tree = s.edt->tree;
  for (std::size_t i = 0; i < fields.size(); ++i)
    each_finfo(tree, s.l.hf[i],
               [&](const field_info* fi) { out.values.values[i].insert(value_text(fi, fields[i].numeric)); });
  each_finfo(tree, s.l.hf_protocols, [&](const field_info* fi) { out.protocols = value_text(fi, false); });
  each_finfo(tree, s.l.hf_malformed, [&](const field_info*) { out.malformed = true; });
  each_finfo(tree, s.l.hf_retransmission, [&](const field_info*) { out.sctp_retransmission = true; });
  each_finfo(tree, s.l.hf_expert, [&](const field_info* fi) { out.expert.push_back(value_text(fi, false)); });
  if (s.l.info_column >= 0 && s.l.cinfo.columns[s.l.info_column].col_data != nullptr)
    out.info = s.l.cinfo.columns[s.l.info_column].col_data;
  out.values.protocols = out.protocols;
  frame_data_set_after_dissect(&fd, &s.cum_bytes);
  s.prev_dis_frame = fd;
  s.prov.prev_dis = &s.prev_dis_frame;
  epan_dissect_reset(s.edt);
  frame_data_destroy(&fd);
  wtap_rec_cleanup(&rec);
}

bool dissect_file(const std::string& file, const options& o, std::vector<dissection>& out, std::string& error) {
  try {
    session s(o);
    return tshark_diff::for_each_frame(
        file,
        [&](int dlt, std::span<const std::uint8_t> frame, std::int64_t ts, std::uint32_t wire_length) {
          out.emplace_back();
          s.dissect(dlt, frame, ts, wire_length, out.back());
        },
        error);
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

}  // namespace bssap::epan

// Under LeakSanitizer (asan preset, fuzz preset): libwireshark keeps process-wide tables from
// epan_init() until exit (it is never torn down: "must be called only once"), and glib's
// allocations go through its own caches; their blocks are not ours to report. Our own code's
// leaks are still reported (a stack without these libraries).
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libwireshark.so\nleak:libwsutil.so\nleak:libwiretap.so\nleak:libglib-2.0.so\nleak:libgmodule-2.0.so\n";
}
