// Dropping capabilities with libcap (see privileges.hpp).
#include "bssap/probe/privileges.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstring>

namespace bssap::probe {

bool drop_capabilities(std::string& error) {
  // Ambient first (PR_CAP_AMBIENT, prctl(2)); capset then clears E, P and I (which would also
  // empty the ambient set, capabilities(7) "Ambient capabilities", but say so explicitly).
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    error = std::string("cannot clear the ambient capabilities: ") + std::strerror(errno);
    return false;
  }
  cap_t none = cap_init();  // every flag of every capability clear
  if (none == nullptr) {
    error = std::string("cap_init: ") + std::strerror(errno);
    return false;
  }
  const int rc = cap_set_proc(none);
  const int saved = errno;
  cap_free(none);
  if (rc != 0) {
    error = std::string("cannot drop the capabilities: ") + std::strerror(saved);
    return false;
  }
  return true;
}

}  // namespace bssap::probe
