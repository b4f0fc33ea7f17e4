// check-config (see check_config.hpp).
#include "check_config.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include "bssap/campaign/runtime.hpp"
#include "bssap/campaign/tables.hpp"
#include "bssap/probe/log.hpp"
#include "bssap/smpp/pdu.hpp"

namespace bssap::probe {

namespace {

namespace fs = std::filesystem;

// The state directory must be writable, or creatable in its nearest existing parent (start()
// creates it).
std::string check_state_dir(const std::string& dir) {
  fs::path p = dir;
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec)) {
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  if (!fs::is_directory(p, ec)) return fmt::format("{}: state_dir: {} is not a directory", dir, p.string());
  if (access(p.c_str(), W_OK | X_OK) != 0)
    return fmt::format("{}: state_dir: {} is not writable: {}", dir, p.string(), std::strerror(errno));
  return {};
}

// A TCP connection to the SMSC within the timeout (non-blocking connect, poll): the socket, or
// -1 with `error`.
int tcp_connect(const std::string& host, std::uint16_t port, double timeout_s, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    error = fmt::format("smpp: {}: {}", host, gai_strerror(rc));
    return -1;
  }
  std::string why = "no address";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, static_cast<int>(timeout_s * 1000));
      if (rc == 0) {
        why = fmt::format("no answer within {} s", timeout_s);
        rc = -1;
      } else if (rc > 0) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        if (err != 0) why = std::strerror(err);
      } else {
        why = std::strerror(errno);
      }
    } else if (rc != 0) {
      why = std::strerror(errno);
    }
    if (rc == 0) {
      freeaddrinfo(res);
      return fd;
    }
    close(fd);
  }
  freeaddrinfo(res);
  error = fmt::format("smpp: cannot connect to {}:{}: {}", host, port, why);
  return -1;
}

// Reads one whole PDU (SMPP 3.4 3.2: 16-octet header, command_length first) before `until`.
bool read_pdu(int fd, std::chrono::steady_clock::time_point until, std::vector<std::uint8_t>& pdu) {
  pdu.clear();
  std::uint8_t buf[4096];
  for (;;) {
    const auto f = smpp::peek_frame(pdu);
    if (f.state == smpp::frame::kind::ready) return true;
    if (f.state == smpp::frame::kind::bad_length) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pdu.insert(pdu.end(), buf, buf + n);
  }
}

// --connect: connect, bind_transceiver with the configured credentials (4.1.5), unbind (4.2).
// "" when the SMSC accepted the bind, else what went wrong.
std::string try_bind(const campaign::smpp_def& s, const std::string& password, double timeout_s) {
  std::string error;
  const int fd = tcp_connect(s.host, s.port, timeout_s, error);
  if (fd < 0) return error;
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000));
  std::vector<std::uint8_t> out;
  smpp::bind_body b;
  b.system_id = s.system_id;
  b.password = password;
  b.system_type = s.system_type;
  smpp::encode_bind(out, smpp::cmd::bind_transceiver, 1, b);
  std::vector<std::uint8_t> in;
  smpp::header h{};
  if (send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
    error = fmt::format("smpp: {}:{}: cannot send bind_transceiver: {}", s.host, s.port, std::strerror(errno));
  } else if (!read_pdu(fd, until, in) || smpp::decode_header(in, h) != smpp::decode_error::none) {
    error = fmt::format("smpp: {}:{}: no answer to bind_transceiver within {} s", s.host, s.port, timeout_s);
  } else if (h.command_id != smpp::cmd::bind_transceiver_resp) {
    error = fmt::format("smpp: {}:{}: answered bind_transceiver with command 0x{:08x}", s.host, s.port, h.command_id);
  } else if (h.command_status != smpp::status::ok) {
    error = fmt::format("smpp: {}:{}: bind refused with status 0x{:08x} (system_id {}: wrong password or system_id?)",
                        s.host, s.port, h.command_status, s.system_id);
  } else {
    out.clear();
    smpp::encode_header_only(out, smpp::cmd::unbind, 0, 2);
    (void)send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    (void)read_pdu(fd, until, in);  // unbind_resp, when it comes in time
  }
  close(fd);
  return error;
}

std::string table_line(const char* key, const std::string& path, std::size_t rows, const char* unit) {
  if (path.empty()) return fmt::format("  {:<12} -\n", key);
  return fmt::format("  {:<12} {} ({} {})\n", key, path, rows, unit);
}

}  // namespace

int check_config(const check_config_options& options, std::FILE* out) {
  std::vector<std::string> warnings;
  std::string error;
  const auto checked = campaign::check_start(options.config, warnings, error);
  for (const auto& w : warnings) log(log_level::warning, "{}", w);
  if (!checked) {
    log(log_level::error, "{}", error);
    return 1;
  }
  const auto& cfg = *checked->inputs->config;
  const auto& tables = checked->inputs->tables;
  if (auto e = check_state_dir(cfg.state_dir); !e.empty()) {
    log(log_level::error, "{}", e);
    return 1;
  }
  if (checked->needs_smpp && options.connect) {
    if (auto e = try_bind(cfg.smpp, checked->smpp_password, options.connect_timeout_s); !e.empty()) {
      log(log_level::error, "{}", e);
      return 1;
    }
  }

  std::string text = fmt::format("configuration {}\n", cfg.file);
  text += fmt::format("  state_dir    {}\n  timezone     {}\n", cfg.state_dir, cfg.timezone);
  if (cfg.home_plmns) {
    std::string plmns;
    for (const auto& p : *cfg.home_plmns) plmns += (plmns.empty() ? "" : ",") + p;
    text += fmt::format("  home_plmns   {}\n", plmns);
  }
  text += table_line("subscribers", cfg.subscribers, tables.profiles ? tables.profiles->size() : 0, "rows");
  text += table_line("dnd", cfg.dnd, tables.dnd ? tables.dnd->size() : 0, "entries");
  text += table_line("tac", cfg.tac, tables.tac ? tables.tac->size() : 0, "rows");
  text += table_line("areas", cfg.areas, tables.areas ? tables.areas->names().size() : 0, "areas");
  std::size_t enabled = 0;
  for (const auto& c : cfg.campaigns) enabled += c.enabled ? 1 : 0;
  text += fmt::format("campaigns {} ({} enabled)\n", cfg.campaigns.size(), enabled);
  for (const auto& c : cfg.campaigns) {
    std::string events;
    for (std::size_t t = 0; t < event_type_count; ++t)
      if (c.triggered_by(static_cast<event_type>(t)))
        events += (events.empty() ? "" : ",") + std::string(to_string(static_cast<event_type>(t)));
    text += fmt::format("  {:<24} {:<9} {:<8} priority {:<4} on {}\n", c.id,
                        !c.enabled ? "disabled" : (c.rehearsal ? "rehearsal" : "live"),
                        campaign::to_string(c.channel.type), c.priority, events);
  }
  if (checked->needs_smpp) {
    const bool from_env = std::getenv(cfg.smpp.password_env.c_str()) != nullptr;
    text +=
        fmt::format("smpp {}:{} system_id {} (password from {}){}\n", cfg.smpp.host, cfg.smpp.port, cfg.smpp.system_id,
                    from_env ? "$" + cfg.smpp.password_env : std::string("the credential smpp-password"),
                    options.connect ? ", bound" : "");
  } else {
    text += "smpp not needed (no live sms campaign)\n";
  }
  text += "configuration OK\n";
  std::fputs(text.c_str(), out);
  return 0;
}

}  // namespace bssap::probe
