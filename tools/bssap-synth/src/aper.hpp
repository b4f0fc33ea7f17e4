// A small ITU-T X.691 aligned PER (APER) writer: exactly the pieces the RANAP messages of
// ranap.cpp need, written independently of the probe's reader (decoders/src/aper.hpp); tshark's
// RANAP dissector is the oracle. Bits go most significant first (X.691 10.1); "aligned" means the
// writer pads with zero bits to the next octet first.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model.hpp"

namespace bssap::synth::aper {

class writer {
 public:
  explicit writer(wbuf& out) noexcept : _out(out) {}
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;
  ~writer() { align(); }

  // `n` bits of `v` (n <= 24), most significant first, not aligned.
  void bits(std::uint32_t v, unsigned n) noexcept {
    for (unsigned i = n; i-- > 0;) {
      _acc = static_cast<std::uint8_t>(_acc << 1 | ((v >> i) & 1u));
      if (++_used == 8) {
        _out.u8(_acc);
        _acc = 0;
        _used = 0;
      }
    }
  }
  void bit(bool b) noexcept { bits(b ? 1u : 0u, 1); }
  // Pads with zero bits to the octet boundary (X.691 10.9.3.x "octet-aligned").
  void align() noexcept {
    if (_used != 0) bits(0, 8 - _used);
  }

  // X.691 10.5.7 (aligned variant): a whole number in [lo, hi]. Range 1 adds nothing; up to 255
  // the minimal bit-field; 256 one aligned octet; up to 64K two aligned octets.
  void constrained(std::uint32_t v, std::uint32_t lo, std::uint32_t hi) noexcept {
    const std::uint32_t range = hi - lo + 1;
    const std::uint32_t x = v - lo;
    if (range == 1) return;
    if (range <= 255) {
      unsigned n = 0;
      while ((1u << n) < range) ++n;
      bits(x, n);
    } else if (range == 256) {
      align();
      bits(x, 8);
    } else {
      align();
      bits(x, 16);
    }
  }
  // X.691 13 ENUMERATED / 22 CHOICE index: the extension bit when the type is extensible, then
  // the root index as a constrained number in [0, roots - 1].
  void index(std::uint32_t i, std::uint32_t roots, bool extensible) noexcept {
    if (extensible) bit(false);
    constrained(i, 0, roots - 1);
  }
  // X.691 10.9.3.5-10.9.3.7: an unconstrained length determinant, aligned: one octet below 128,
  // two (10xxxxxx) below 16K. Longer ones (fragments) are never needed here.
  void length(std::size_t n) noexcept {
    align();
    if (n < 128) {
      bits(static_cast<std::uint32_t>(n), 8);
    } else {
      bits(static_cast<std::uint32_t>(0x8000 | (n & 0x3FFF)), 16);
    }
  }
  // X.691 17: a fixed-size OCTET STRING (sizes 3..64K are octet-aligned, 1 and 2 are not).
  void fixed_octets(const std::uint8_t* p, std::size_t n) noexcept {
    if (n > 2) align();
    for (std::size_t i = 0; i < n; ++i) bits(p[i], 8);
  }
  // X.691 17.8: an unconstrained OCTET STRING: length determinant and the octets.
  void octets(const std::uint8_t* p, std::size_t n) noexcept {
    length(n);
    for (std::size_t i = 0; i < n; ++i) bits(p[i], 8);
  }

 private:
  wbuf& _out;
  std::uint8_t _acc = 0;
  unsigned _used = 0;
};

// X.691 10.2 open type: `f(writer&)` encodes the value into scratch space, which is then written
// as an unconstrained OCTET STRING (length determinant + octets, the value padded to whole
// octets: 10.2.2).
template <class F>
void open_type(writer& w, F&& f) noexcept {
  std::uint8_t scratch[1024];
  wbuf tmp(scratch, sizeof scratch);
  {
    writer inner(tmp);
    f(inner);
  }  // the inner writer's destructor pads the last octet
  if (tmp.n == 0) {
    tmp.u8(0);  // 10.2.2: an empty encoding becomes one zero octet
  }
  w.octets(scratch, tmp.n);
}

}  // namespace bssap::synth::aper
