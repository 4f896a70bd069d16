#include "ktls.h"

#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "sys_error.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

namespace zcl {

std::string generate_tls_keys_hex() {
  unsigned char b[kTlsKeyMaterial];
  size_t have = 0;
  while (have < sizeof b) {
    ssize_t n = getrandom(b + have, sizeof b - have, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("getrandom", errno, "kTLS keys");
    }
    have += static_cast<size_t>(n);
  }
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

TlsKeys parse_tls_keys(const std::string& hex) {
  if (hex.size() != 2 * kTlsKeyMaterial) throw EngineError("tls keys must be " + std::to_string(2 * kTlsKeyMaterial) + " hex digits");
  unsigned char b[kTlsKeyMaterial];
  for (size_t i = 0; i < kTlsKeyMaterial; i++) {
    auto nib = [&](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      throw EngineError("tls keys must be hex digits");
    };
    b[i] = static_cast<unsigned char>(nib(hex[2 * i]) << 4 | nib(hex[2 * i + 1]));
  }
  TlsKeys k;
  k.set = true;
  std::memcpy(k.key, b, 16);
  std::memcpy(k.iv, b + 16, 8);
  std::memcpy(k.salt, b + 24, 4);
  std::memcpy(k.rec_seq, b + 28, 8);
  return k;
}

void enable_ktls(int sock, const TlsKeys& keys, bool tx) {
  if (setsockopt(sock, IPPROTO_TCP, TCP_ULP, "tls", 3) != 0)
    throw SysError("setsockopt", errno, "TCP_ULP \"tls\" (the kernel's tls module: modprobe tls)");
  tls12_crypto_info_aes_gcm_128 ci{};
  ci.info.version = TLS_1_3_VERSION;
  ci.info.cipher_type = TLS_CIPHER_AES_GCM_128;
  std::memcpy(ci.iv, keys.iv, sizeof ci.iv);
  std::memcpy(ci.key, keys.key, sizeof ci.key);
  std::memcpy(ci.salt, keys.salt, sizeof ci.salt);
  std::memcpy(ci.rec_seq, keys.rec_seq, sizeof ci.rec_seq);
  if (setsockopt(sock, SOL_TLS, tx ? TLS_TX : TLS_RX, &ci, sizeof ci) != 0)
    throw SysError("setsockopt", errno, tx ? "SOL_TLS TLS_TX (TLS 1.3, AES-GCM-128)" : "SOL_TLS TLS_RX (TLS 1.3, AES-GCM-128)");
}

}  // namespace zcl
