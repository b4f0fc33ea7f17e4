// bssap-probe check-config probe.yaml [--connect]: everything a start with --config would check
// (campaign::check_start: the configuration, each campaign, each table, the SMPP section and its
// password), plus the state directory's permissions and, with --connect, that the SMSC accepts a
// bind_transceiver with the configured system_id and password (SMPP 3.4 4.1.5; then unbind). Prints what the probe
// would run; captures nothing. The program's part only: it links the campaign engine, which bssap_probe_core does not.
#pragma once

#include <cstdio>
#include <string>

namespace bssap::probe {

struct check_config_options {
  std::string config;
  bool connect = false;
  double connect_timeout_s = 5;
};

// 0 when a start would succeed (the summary on `out`), 1 with the start's error on stderr.
int check_config(const check_config_options& options, std::FILE* out);

}  // namespace bssap::probe
