// Least privilege for a capture: once the capture handles are open nothing the probe does needs a
// capability (reading an open AF_PACKET socket needs none), so it drops them all, from every set
// (effective, permitted, inheritable, ambient: capabilities(7)), and a decoder bug cannot use them.
#pragma once

#include <string>

namespace bssap::probe {

// Clears every capability of the process. False with `error` when the kernel refuses.
bool drop_capabilities(std::string& error);

}  // namespace bssap::probe
