// The operator's tables, loaded whole and swapped whole (SIGHUP): subscriber profiles (CSV),
// the do-not-disturb list, the TAC table (CSV) and the named areas (YAML).
// Spec: ../shared/spec/campaigns.md ("Files").
//
// Profiles scale to tens of millions of rows: IMSIs and MSISDNs are kept as packed integers in
// open-addressing indexes, and every other column is dictionary-encoded (each distinct value
// stored once, rows hold small codes), so that ten million rows load in seconds and stay well
// under 2 GiB.
//
// Load errors: a malformed row (wrong field count, bad or duplicate IMSI, bad MSISDN, unbalanced
// quotes) is reported with its line number and skipped; more than 1 % bad rows fails the load.
// A missing file, a missing header or a missing required column fails the load.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bssap::campaign {

// What a load reports besides success: the first bad rows (FILE:LINE: what), and their count.
struct load_report {
  std::uint64_t rows = 0;             // good rows kept
  std::uint64_t bad_rows = 0;         // skipped
  std::vector<std::string> messages;  // at most max_messages lines `FILE:LINE: ...`
  static constexpr std::size_t max_messages = 20;
};

using row_id = std::uint32_t;

class profile_table {
 public:
  // nullptr + error (one line, `FILE:LINE: ...` or `FILE: ...`) on failure.
  static std::shared_ptr<const profile_table> load(const std::string& path, load_report& report, std::string& error);
  static std::shared_ptr<const profile_table> parse(std::string_view csv, const std::string& name, load_report& report,
                                                    std::string& error);

  const std::vector<std::string>& columns() const noexcept;  // header order; includes imsi, msisdn
  std::optional<std::size_t> column(std::string_view name) const noexcept;
  std::optional<row_id> find_imsi(std::string_view imsi) const noexcept;
  std::optional<row_id> find_msisdn(std::string_view msisdn) const noexcept;
  // Prefetching for a find_imsi and value() calls a few events later: `stage` 0 starts loading
  // the index slot; 1, once that is in cache, the row's IMSI and the values of `columns`. Hints
  // only: nothing is read that find_imsi does not read, and nothing changes.
  void prefetch_imsi(std::string_view imsi, int stage, std::span<const std::size_t> columns) const noexcept;
  // The value of a column in a row as written (quotes removed); "" when empty / missing.
  // Views live as long as the table, except for the imsi and msisdn columns, which are stored
  // as numbers: their text is written into a per-thread ring of 16 buffers, so such a view stays
  // valid for the next 15 value() calls of the thread (copy it, or use imsi() / msisdn()).
  std::string_view value(row_id row, std::size_t column) const noexcept;
  std::string imsi(row_id row) const;
  std::string msisdn(row_id row) const;  // "" when the row has none
  std::size_t size() const noexcept;
  std::size_t memory_bytes() const noexcept;  // heap held, for bench/ and the summary

  struct impl;
  explicit profile_table(std::unique_ptr<impl> p);
  ~profile_table();

 private:
  std::unique_ptr<impl> _impl;
};

// One MSISDN or IMSI per line (digits, optional leading '+' ignored); '#' starts a comment
// anywhere on a line; blank lines ignored.
class dnd_list {
 public:
  static std::shared_ptr<const dnd_list> load(const std::string& path, load_report& report, std::string& error);
  static std::shared_ptr<const dnd_list> parse(std::string_view text, const std::string& name, load_report& report,
                                               std::string& error);
  bool contains(std::string_view msisdn_or_imsi) const noexcept;
  std::size_t size() const noexcept;

  struct impl;
  explicit dnd_list(std::unique_ptr<impl> p);
  ~dnd_list();

 private:
  std::unique_ptr<impl> _impl;
};

// Header row with a `tac` column (8 digits); any other columns (brand, model, mms, ...).
class tac_table {
 public:
  static std::shared_ptr<const tac_table> load(const std::string& path, load_report& report, std::string& error);
  static std::shared_ptr<const tac_table> parse(std::string_view csv, const std::string& name, load_report& report,
                                                std::string& error);
  const std::vector<std::string>& columns() const noexcept;
  std::optional<std::size_t> column(std::string_view name) const noexcept;
  // The row of an IMEI's (or a bare TAC's) first 8 digits.
  std::optional<row_id> find(std::string_view imei_or_tac) const noexcept;
  std::string_view value(row_id row, std::size_t column) const noexcept;
  std::size_t size() const noexcept;

  struct impl;
  explicit tac_table(std::unique_ptr<impl> p);
  ~tac_table();

 private:
  std::unique_ptr<impl> _impl;
};

// areas.yaml: `name: [LAC, "LAC:CI", ...]`. An event is inside an area when its LAC is listed,
// or its LAC:CI pair is.
using area_id = std::uint16_t;
class area_table {
 public:
  static std::shared_ptr<const area_table> load(const std::string& path, std::string& error);
  static std::shared_ptr<const area_table> parse(std::string_view yaml, const std::string& name, std::string& error);
  const std::vector<std::string>& names() const noexcept;  // area_id = index, file order
  std::optional<area_id> find(std::string_view name) const noexcept;
  // Appends the areas containing (lac, cell) in ascending id order; no lac: none.
  void areas_of(std::optional<std::uint16_t> lac, std::optional<std::uint32_t> cell, std::vector<area_id>& out) const;
  bool contains(area_id area, std::optional<std::uint16_t> lac, std::optional<std::uint32_t> cell) const noexcept;

  struct impl;
  explicit area_table(std::unique_ptr<impl> p);
  ~area_table();

 private:
  std::unique_ptr<impl> _impl;
};

// Everything swapped together on SIGHUP; any member may be null (file not configured).
struct operator_tables {
  std::shared_ptr<const profile_table> profiles;
  std::shared_ptr<const dnd_list> dnd;
  std::shared_ptr<const tac_table> tac;
  std::shared_ptr<const area_table> areas;
};

}  // namespace bssap::campaign
