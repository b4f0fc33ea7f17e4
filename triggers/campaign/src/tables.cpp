// The operator's tables (tables.hpp): subscriber profiles and the TAC table (CSV, RFC 4180), the
// do-not-disturb list and the named areas (YAML). Spec: ../shared/spec/campaigns.md ("Files").
#include "bssap/campaign/tables.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <unordered_map>

#include "csv.hpp"

namespace bssap::campaign {

namespace {

using detail::csv_reader;

// Records a bad row: counted always, its message kept while there is room.
void bad_row(load_report& report, const std::string& name, std::uint64_t line, const std::string& what) {
  ++report.bad_rows;
  if (report.messages.size() < load_report::max_messages) {
    report.messages.push_back(name + ":" + std::to_string(line) + ": " + what);
  }
}

// More than 1 % bad rows fails the load.
bool too_many_bad(const load_report& report, const std::string& name, std::string& error) {
  const std::uint64_t total = report.rows + report.bad_rows;
  if (report.bad_rows * 100 <= total) return false;
  error =
      name + ": " + std::to_string(report.bad_rows) + " of " + std::to_string(total) + " rows are bad (more than 1%)";
  if (!report.messages.empty()) error += "; first: " + report.messages.front();
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The header row: column names in order, unique, the required ones present.
bool read_header(csv_reader& reader, const std::string& name, std::vector<std::string>& columns, std::string& error) {
  switch (reader.next()) {
    case csv_reader::status::end:
      error = name + ": no header row";
      return false;
    case csv_reader::status::error:
      error = name + ":" + std::to_string(reader.record_line()) + ": header: " + reader.what();
      return false;
    case csv_reader::status::record:
      break;
  }
  for (const std::string_view f : reader.fields()) {
    if (std::find(columns.begin(), columns.end(), f) != columns.end()) {
      error = name + ":" + std::to_string(reader.record_line()) + ": header: duplicate column " + detail::quoted(f);
      return false;
    }
    columns.emplace_back(f);
  }
  return true;
}

std::optional<std::size_t> find_column(const std::vector<std::string>& columns, std::string_view wanted) {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (lower(columns[i]) == wanted) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> column_named(const std::vector<std::string>& columns, std::string_view name) noexcept {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return i;
  }
  return std::nullopt;
}

std::string field_count_message(std::size_t got, std::size_t want) {
  return std::to_string(got) + " fields, the header has " + std::to_string(want);
}

// Text of a packed number for value(): a small per-thread ring, so that a few views taken one
// after the other stay valid together (the table stores no text for IMSIs and MSISDNs).
std::string_view ring_text(std::uint64_t packed) noexcept {
  thread_local std::array<std::array<char, 16>, 16> ring{};
  thread_local unsigned next = 0;
  auto& slot = ring[next++ % ring.size()];
  return {slot.data(), detail::unpack_digits(packed, slot.data())};
}

std::string packed_text(std::uint64_t packed) {
  std::array<char, 16> buf{};
  return {buf.data(), detail::unpack_digits(packed, buf.data())};
}

}  // namespace

// ---- profile_table ------------------------------------------------------------------------

struct profile_table::impl {
  std::vector<std::string> columns;
  std::size_t imsi_column = 0;
  std::size_t msisdn_column = 0;
  std::vector<std::uint64_t> imsi;    // packed, no '+'
  std::vector<std::uint64_t> msisdn;  // packed, '+' flag kept; 0 = none
  detail::key_index imsi_index;
  detail::key_index msisdn_index;
  std::vector<detail::coded_column> coded;  // one per column; imsi and msisdn ones stay empty
};

profile_table::profile_table(std::unique_ptr<impl> p) : _impl(std::move(p)) {}
profile_table::~profile_table() = default;

std::shared_ptr<const profile_table> profile_table::load(const std::string& path, load_report& report,
                                                         std::string& error) {
  detail::mapped_file file;
  if (!file.open(path, error)) return nullptr;
  return parse(file.text(), path, report, error);
}

std::shared_ptr<const profile_table> profile_table::parse(std::string_view csv, const std::string& name,
                                                          load_report& report, std::string& error) {
  report = load_report{};
  auto t = std::make_unique<impl>();
  csv_reader reader(csv);
  if (!read_header(reader, name, t->columns, error)) return nullptr;
  const auto imsi_col = find_column(t->columns, "imsi");
  const auto msisdn_col = find_column(t->columns, "msisdn");
  if (!imsi_col || !msisdn_col) {
    error = name + ":1: header: missing column " + std::string(!imsi_col ? "imsi" : "msisdn");
    return nullptr;
  }
  t->imsi_column = *imsi_col;
  t->msisdn_column = *msisdn_col;
  const std::size_t ncols = t->columns.size();
  const std::size_t expected = detail::count_lines(csv);
  t->imsi.reserve(expected);
  t->msisdn.reserve(expected);
  detail::advise_huge_pages(t->imsi.data(), expected * sizeof(std::uint64_t));
  detail::advise_huge_pages(t->msisdn.data(), expected * sizeof(std::uint64_t));
  t->imsi_index.init(expected);
  t->msisdn_index.init(expected, ~detail::packed_plus);
  t->coded.resize(ncols);
  for (std::size_t c = 0; c < ncols; ++c) {
    if (c != t->imsi_column && c != t->msisdn_column) t->coded[c].reserve(expected);
  }
  for (;;) {
    const auto st = reader.next();
    if (st == csv_reader::status::end) break;
    if (st == csv_reader::status::error) {
      bad_row(report, name, reader.record_line(), reader.what());
      continue;
    }
    const auto& f = reader.fields();
    if (f.size() != ncols) {
      bad_row(report, name, reader.record_line(), field_count_message(f.size(), ncols));
      continue;
    }
    const auto imsi = detail::pack_digits(f[t->imsi_column], 6, 15, false);
    if (!imsi) {
      bad_row(report, name, reader.record_line(), "bad IMSI " + detail::quoted(f[t->imsi_column]));
      continue;
    }
    std::uint64_t msisdn = 0;
    if (!f[t->msisdn_column].empty()) {
      const auto m = detail::pack_digits(f[t->msisdn_column], 1, 15, true);
      if (!m) {
        bad_row(report, name, reader.record_line(), "bad MSISDN " + detail::quoted(f[t->msisdn_column]));
        continue;
      }
      msisdn = *m;
    }
    if (t->imsi.size() >= 0xFFFFFFFEu) {
      error = name + ":" + std::to_string(reader.record_line()) + ": too many rows";
      return nullptr;
    }
    const auto row = static_cast<row_id>(t->imsi.size());
    t->imsi.push_back(*imsi);
    if (t->imsi_index.insert(t->imsi, *imsi, row)) {
      t->imsi.pop_back();
      bad_row(report, name, reader.record_line(), "duplicate IMSI " + detail::quoted(f[t->imsi_column]));
      continue;
    }
    t->msisdn.push_back(msisdn);
    if (msisdn != 0) (void)t->msisdn_index.insert(t->msisdn, detail::without_plus(msisdn), row);  // first wins
    for (std::size_t c = 0; c < ncols; ++c) {
      if (c != t->imsi_column && c != t->msisdn_column) t->coded[c].push(f[c]);
    }
    ++report.rows;
  }
  if (too_many_bad(report, name, error)) return nullptr;
  if (t->imsi.capacity() - t->imsi.size() > t->imsi.size() / 16) {  // else keep the huge pages: little slack
    t->imsi.shrink_to_fit();
    t->msisdn.shrink_to_fit();
  }
  for (auto& c : t->coded) c.freeze();
  return std::make_shared<const profile_table>(std::move(t));
}

const std::vector<std::string>& profile_table::columns() const noexcept {
  return _impl->columns;
}

std::optional<std::size_t> profile_table::column(std::string_view name) const noexcept {
  return column_named(_impl->columns, name);
}

std::optional<row_id> profile_table::find_imsi(std::string_view imsi) const noexcept {
  const auto key = detail::pack_digits(imsi, 6, 15, false);
  if (!key) return std::nullopt;
  return _impl->imsi_index.find(_impl->imsi, *key);
}

void profile_table::prefetch_imsi(std::string_view imsi, int stage,
                                  std::span<const std::size_t> columns) const noexcept {
  const auto key = detail::pack_digits(imsi, 6, 15, false);
  if (!key) return;
  const impl& t = *_impl;
  if (stage == 0) {
    t.imsi_index.prefetch(*key);
    return;
  }
  const auto row = t.imsi_index.first_row(*key);
  if (!row || *row >= t.imsi.size()) return;
  __builtin_prefetch(&t.imsi[*row]);
  for (const auto c : columns)
    if (c < t.coded.size()) t.coded[c].prefetch(*row);
}

std::optional<row_id> profile_table::find_msisdn(std::string_view msisdn) const noexcept {
  const auto key = detail::pack_digits(msisdn, 1, 15, true);
  if (!key) return std::nullopt;
  return _impl->msisdn_index.find(_impl->msisdn, detail::without_plus(*key));
}

std::string_view profile_table::value(row_id row, std::size_t column) const noexcept {
  if (row >= _impl->imsi.size() || column >= _impl->columns.size()) return {};
  if (column == _impl->imsi_column) return ring_text(_impl->imsi[row]);
  if (column == _impl->msisdn_column) return ring_text(_impl->msisdn[row]);
  return _impl->coded[column].get(row);
}

std::string profile_table::imsi(row_id row) const {
  return row < _impl->imsi.size() ? packed_text(_impl->imsi[row]) : std::string();
}

std::string profile_table::msisdn(row_id row) const {
  return row < _impl->msisdn.size() ? packed_text(_impl->msisdn[row]) : std::string();
}

std::size_t profile_table::size() const noexcept {
  return _impl->imsi.size();
}

std::size_t profile_table::memory_bytes() const noexcept {
  const impl& t = *_impl;
  std::size_t bytes = sizeof(profile_table) + sizeof(impl);
  bytes += (t.imsi.capacity() + t.msisdn.capacity()) * sizeof(std::uint64_t);
  bytes += t.imsi_index.memory_bytes() + t.msisdn_index.memory_bytes();
  for (const auto& c : t.columns) bytes += sizeof(c) + c.capacity();
  for (const auto& c : t.coded) bytes += sizeof(c) + c.memory_bytes();
  return bytes;
}

// ---- dnd_list -----------------------------------------------------------------------------

struct dnd_list::impl {
  std::vector<std::uint64_t> numbers;  // packed without '+', sorted, unique
};

dnd_list::dnd_list(std::unique_ptr<impl> p) : _impl(std::move(p)) {}
dnd_list::~dnd_list() = default;

std::shared_ptr<const dnd_list> dnd_list::load(const std::string& path, load_report& report, std::string& error) {
  detail::mapped_file file;
  if (!file.open(path, error)) return nullptr;
  return parse(file.text(), path, report, error);
}

std::shared_ptr<const dnd_list> dnd_list::parse(std::string_view text, const std::string& name, load_report& report,
                                                std::string& error) {
  report = load_report{};
  auto t = std::make_unique<impl>();
  t->numbers.reserve(detail::count_lines(text));
  std::uint64_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty()) continue;
    const auto key = detail::pack_digits(line, 1, 15, true);
    if (!key) {
      bad_row(report, name, line_no, "not an MSISDN or IMSI: " + detail::quoted(line));
      continue;
    }
    t->numbers.push_back(detail::without_plus(*key));
    ++report.rows;
  }
  if (too_many_bad(report, name, error)) return nullptr;
  std::sort(t->numbers.begin(), t->numbers.end());
  t->numbers.erase(std::unique(t->numbers.begin(), t->numbers.end()), t->numbers.end());
  t->numbers.shrink_to_fit();
  return std::make_shared<const dnd_list>(std::move(t));
}

bool dnd_list::contains(std::string_view msisdn_or_imsi) const noexcept {
  const auto key = detail::pack_digits(msisdn_or_imsi, 1, 15, true);
  return key && std::binary_search(_impl->numbers.begin(), _impl->numbers.end(), detail::without_plus(*key));
}

std::size_t dnd_list::size() const noexcept {
  return _impl->numbers.size();
}

// ---- tac_table ----------------------------------------------------------------------------

struct tac_table::impl {
  std::vector<std::string> columns;
  std::vector<std::uint64_t> tacs;  // packed, per row
  detail::key_index index;
  std::vector<detail::coded_column> coded;
};

tac_table::tac_table(std::unique_ptr<impl> p) : _impl(std::move(p)) {}
tac_table::~tac_table() = default;

std::shared_ptr<const tac_table> tac_table::load(const std::string& path, load_report& report, std::string& error) {
  detail::mapped_file file;
  if (!file.open(path, error)) return nullptr;
  return parse(file.text(), path, report, error);
}

std::shared_ptr<const tac_table> tac_table::parse(std::string_view csv, const std::string& name, load_report& report,
                                                  std::string& error) {
  report = load_report{};
  auto t = std::make_unique<impl>();
  csv_reader reader(csv);
  if (!read_header(reader, name, t->columns, error)) return nullptr;
  const auto tac_col = find_column(t->columns, "tac");
  if (!tac_col) {
    error = name + ":1: header: missing column tac";
    return nullptr;
  }
  const std::size_t ncols = t->columns.size();
  const std::size_t expected = detail::count_lines(csv);
  t->index.init(expected);
  t->coded.resize(ncols);
  for (;;) {
    const auto st = reader.next();
    if (st == csv_reader::status::end) break;
    if (st == csv_reader::status::error) {
      bad_row(report, name, reader.record_line(), reader.what());
      continue;
    }
    const auto& f = reader.fields();
    if (f.size() != ncols) {
      bad_row(report, name, reader.record_line(), field_count_message(f.size(), ncols));
      continue;
    }
    const auto tac = detail::pack_digits(f[*tac_col], 8, 8, false);
    if (!tac) {
      bad_row(report, name, reader.record_line(), "bad TAC " + detail::quoted(f[*tac_col]) + " (8 digits)");
      continue;
    }
    if (t->tacs.size() >= 0xFFFFFFFEu) {
      error = name + ":" + std::to_string(reader.record_line()) + ": too many rows";
      return nullptr;
    }
    const auto row = static_cast<row_id>(t->tacs.size());
    t->tacs.push_back(*tac);
    if (t->index.insert(t->tacs, *tac, row)) {
      t->tacs.pop_back();
      bad_row(report, name, reader.record_line(), "duplicate TAC " + detail::quoted(f[*tac_col]));
      continue;
    }
    for (std::size_t c = 0; c < ncols; ++c) t->coded[c].push(f[c]);
    ++report.rows;
  }
  if (too_many_bad(report, name, error)) return nullptr;
  t->tacs.shrink_to_fit();
  for (auto& c : t->coded) c.freeze();
  return std::make_shared<const tac_table>(std::move(t));
}

const std::vector<std::string>& tac_table::columns() const noexcept {
  return _impl->columns;
}

std::optional<std::size_t> tac_table::column(std::string_view name) const noexcept {
  return column_named(_impl->columns, name);
}

std::optional<row_id> tac_table::find(std::string_view imei_or_tac) const noexcept {
  const std::size_t n = imei_or_tac.size();
  if (n != 8 && (n < 14 || n > 16)) return std::nullopt;
  if (!std::all_of(imei_or_tac.begin(), imei_or_tac.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const auto key = detail::pack_digits(imei_or_tac.substr(0, 8), 8, 8, false);
  if (!key) return std::nullopt;
  return _impl->index.find(_impl->tacs, *key);
}

std::string_view tac_table::value(row_id row, std::size_t column) const noexcept {
  if (row >= _impl->tacs.size() || column >= _impl->coded.size()) return {};
  return _impl->coded[column].get(row);
}

std::size_t tac_table::size() const noexcept {
  return _impl->tacs.size();
}

// ---- area_table ---------------------------------------------------------------------------

struct area_table::impl {
  std::vector<std::string> names;
  std::unordered_map<std::uint16_t, std::vector<area_id>> by_lac;   // ascending ids
  std::unordered_map<std::uint64_t, std::vector<area_id>> by_cell;  // key lac << 32 | ci
};

area_table::area_table(std::unique_ptr<impl> p) : _impl(std::move(p)) {}
area_table::~area_table() = default;

namespace {

constexpr std::uint32_t max_ci = (std::uint32_t{1} << 28) - 1;  // 2G/3G CI is 16 bits, an LTE ECI 28

std::optional<std::uint32_t> parse_number(std::string_view s, std::uint32_t max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

void add_area(std::vector<area_id>& ids, area_id id) {
  if (ids.empty() || ids.back() != id) ids.push_back(id);  // areas are added in id order
}

}  // namespace

std::shared_ptr<const area_table> area_table::load(const std::string& path, std::string& error) {
  detail::mapped_file file;
  if (!file.open(path, error)) return nullptr;
  return parse(file.text(), path, error);
}

std::shared_ptr<const area_table> area_table::parse(std::string_view yaml, const std::string& name,
                                                    std::string& error) {
  auto t = std::make_unique<impl>();
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    error = name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return nullptr;
  }
  const auto at = [&](const YAML::Node& node) { return name + ":" + std::to_string(node.Mark().line + 1) + ": "; };
  if (root.IsNull()) return std::make_shared<const area_table>(std::move(t));
  if (!root.IsMap()) {
    error = at(root) + "expected a map of area names to lists of LAC or \"LAC:CI\"";
    return nullptr;
  }
  try {
    for (const auto& entry : root) {
      const YAML::Node& key = entry.first;
      const YAML::Node& list = entry.second;
      if (!key.IsScalar() || key.Scalar().empty()) {
        error = at(key) + "an area name must be a non-empty string";
        return nullptr;
      }
      const std::string& area = key.Scalar();
      if (std::find(t->names.begin(), t->names.end(), area) != t->names.end()) {
        error = at(key) + area + ": duplicate area";
        return nullptr;
      }
      if (t->names.size() >= 0xFFFF) {
        error = at(key) + area + ": too many areas";
        return nullptr;
      }
      if (!list.IsSequence()) {
        error = at(list.IsDefined() && !list.IsNull() ? list : key) + area + ": expected a list of LAC or \"LAC:CI\"";
        return nullptr;
      }
      const auto id = static_cast<area_id>(t->names.size());
      t->names.push_back(area);
      for (const auto& item : list) {
        if (!item.IsScalar()) {
          error = at(item) + area + ": expected LAC or \"LAC:CI\"";
          return nullptr;
        }
        const std::string& text = item.Scalar();
        const auto colon = text.find(':');
        const auto lac = parse_number(std::string_view(text).substr(0, colon), 0xFFFF);
        if (!lac) {
          error = at(item) + area + ": bad LAC '" + text + "' (0-65535)";
          return nullptr;
        }
        if (colon == std::string::npos) {
          add_area(t->by_lac[static_cast<std::uint16_t>(*lac)], id);
          continue;
        }
        const auto ci = parse_number(std::string_view(text).substr(colon + 1), max_ci);
        if (!ci) {
          error = at(item) + area + ": bad CI in '" + text + "' (0-268435455)";
          return nullptr;
        }
        add_area(t->by_cell[(std::uint64_t{*lac} << 32) | *ci], id);
      }
    }
  } catch (const YAML::Exception& e) {
    error = name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return nullptr;
  }
  return std::make_shared<const area_table>(std::move(t));
}

const std::vector<std::string>& area_table::names() const noexcept {
  return _impl->names;
}

std::optional<area_id> area_table::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < _impl->names.size(); ++i) {
    if (_impl->names[i] == name) return static_cast<area_id>(i);
  }
  return std::nullopt;
}

void area_table::areas_of(std::optional<std::uint16_t> lac, std::optional<std::uint32_t> cell,
                          std::vector<area_id>& out) const {
  if (!lac) return;
  const std::vector<area_id>* by_lac = nullptr;
  const std::vector<area_id>* by_cell = nullptr;
  if (const auto it = _impl->by_lac.find(*lac); it != _impl->by_lac.end()) by_lac = &it->second;
  if (cell) {
    if (const auto it = _impl->by_cell.find((std::uint64_t{*lac} << 32) | *cell); it != _impl->by_cell.end()) {
      by_cell = &it->second;
    }
  }
  if (by_lac && by_cell) {
    std::set_union(by_lac->begin(), by_lac->end(), by_cell->begin(), by_cell->end(), std::back_inserter(out));
  } else if (by_lac) {
    out.insert(out.end(), by_lac->begin(), by_lac->end());
  } else if (by_cell) {
    out.insert(out.end(), by_cell->begin(), by_cell->end());
  }
}

bool area_table::contains(area_id area, std::optional<std::uint16_t> lac,
                          std::optional<std::uint32_t> cell) const noexcept {
  if (!lac) return false;
  if (const auto it = _impl->by_lac.find(*lac);
      it != _impl->by_lac.end() && std::binary_search(it->second.begin(), it->second.end(), area)) {
    return true;
  }
  if (!cell) return false;
  const auto it = _impl->by_cell.find((std::uint64_t{*lac} << 32) | *cell);
  return it != _impl->by_cell.end() && std::binary_search(it->second.begin(), it->second.end(), area);
}

}  // namespace bssap::campaign
