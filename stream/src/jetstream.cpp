// The NATS connection and the BSSAP_EVENTS stream (see jetstream.hpp).
#include "bssap/stream/jetstream.hpp"

#include <fmt/format.h>
#include <nats/nats.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

namespace bssap::stream {
namespace {

void on_connected(natsConnection*, void*) {}
void on_disconnected(natsConnection*, void* closure) {
  auto* l = static_cast<link*>(closure);
  if (!l->closing.load()) l->disconnects.fetch_add(1);
}
void on_reconnected(natsConnection*, void* closure) {
  auto* l = static_cast<link*>(closure);
  l->reconnects.fetch_add(1);
  l->reconnected.store(true);
}
// Asynchronous errors (slow consumer, permissions): nothing to do but not to die.
void on_async_error(natsConnection*, natsSubscription*, natsStatus, void*) {}

std::string description_of(std::size_t shards) {
  return fmt::format("bssap shards={}", shards);
}

}  // namespace

std::string check_server_url(const std::string& url) {
  std::string_view rest = url;
  if (rest.starts_with("nats://")) rest.remove_prefix(7);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return fmt::format("{}: expected nats://HOST:PORT", url);
  unsigned port = 0;
  const auto p = rest.substr(colon + 1);
  const auto r = std::from_chars(p.data(), p.data() + p.size(), port);
  if (r.ec != std::errc() || r.ptr != p.data() + p.size() || port == 0 || port > 65535)
    return fmt::format("{}: bad port", url);
  return {};
}

link::~link() {
  close();
}

bool link::open(const std::vector<std::string>& servers, const std::string& name, jsOptions* js_options,
                std::string& error) {
  natsOptions* opts = nullptr;
  std::vector<std::string> urls;
  for (const auto& s : servers) urls.push_back(s.starts_with("nats://") ? s : "nats://" + s);
  std::vector<const char*> c_urls;
  for (const auto& u : urls) c_urls.push_back(u.c_str());
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetServers(opts, c_urls.data(), static_cast<int>(c_urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // forever: the servers come back
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 250);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 2000);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, 2000);  // a dead server noticed in seconds
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts, 2);
  if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, this);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, on_disconnected, this);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, on_reconnected, this);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, on_async_error, this);
  if (s == NATS_OK) {
    s = natsConnection_Connect(&_nc, opts);
    if (s == NATS_NOT_YET_CONNECTED) s = NATS_OK;  // retried in the background
  }
  if (s == NATS_OK) s = natsConnection_JetStream(&_js, _nc, js_options);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    error = fmt::format("nats: {}: {}", urls.empty() ? "" : urls[0], natsStatus_GetText(s));
    close();
    return false;
  }
  return true;
}

bool link::connected() const noexcept {
  return _nc != nullptr && natsConnection_Status(_nc) == NATS_CONN_STATUS_CONNECTED;
}

void link::close() noexcept {
  if (_js != nullptr) jsCtx_Destroy(_js);
  _js = nullptr;
  if (_nc != nullptr) {
    closing.store(true);
    natsConnection_Close(_nc);
    natsConnection_Destroy(_nc);
  }
  _nc = nullptr;
}

bool ensure_stream(link& l, const stream_settings& settings, std::size_t& shards, std::string& error) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, l.js(), settings.name.c_str(), nullptr, &jerr);
  if (s == NATS_OK && si != nullptr) {
    shards = settings.shards;
    const char* d = si->Config != nullptr ? si->Config->Description : nullptr;
    if (d != nullptr && std::strncmp(d, "bssap shards=", 13) == 0) {
      std::size_t n = 0;
      const auto r = std::from_chars(d + 13, d + std::strlen(d), n);
      if (r.ec == std::errc() && n > 0) shards = n;
    }
    jsStreamInfo_Destroy(si);
    return true;
  }
  if (s != NATS_NOT_FOUND) {
    error = fmt::format("stream {}: {}", settings.name, natsStatus_GetText(s));
    return false;
  }
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const std::string subjects = settings.subject_prefix + ".*";
  const char* subject_list[] = {subjects.c_str()};
  const std::string description = description_of(settings.shards);
  cfg.Name = settings.name.c_str();
  cfg.Description = description.c_str();
  cfg.Subjects = subject_list;
  cfg.SubjectsLen = 1;
  cfg.Retention = settings.retention == "workqueue"  ? js_WorkQueuePolicy
                  : settings.retention == "interest" ? js_InterestPolicy
                                                     : js_LimitsPolicy;
  cfg.Storage = js_FileStorage;
  cfg.Replicas = settings.replicas;
  cfg.MaxBytes = settings.max_bytes;
  cfg.MaxAge = settings.max_age_s * 1'000'000'000;  // nanoseconds
  cfg.Duplicates = settings.duplicate_window_s * 1'000'000'000;
  s = js_AddStream(&si, l.js(), &cfg, nullptr, &jerr);
  if (si != nullptr) jsStreamInfo_Destroy(si);
  if (s != NATS_OK) {
    // Another probe created it meanwhile: take its shard count.
    if (jerr == JSStreamNameExistErr) return ensure_stream(l, settings, shards, error);
    error = fmt::format("stream {}: cannot create: {} (JetStream error {})", settings.name, natsStatus_GetText(s),
                        static_cast<int>(jerr));
    return false;
  }
  shards = settings.shards;
  return true;
}

}  // namespace bssap::stream
