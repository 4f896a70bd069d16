// Kernel TLS (kTLS) for the ktls-* sender modes and their sink: the socket's
// upper-layer protocol set to "tls" (TCP_ULP), then the record layer's keys
// (SOL_TLS, TLS_TX on the sender, TLS_RX on the sink) for TLS 1.3 with
// AES-GCM-128. No handshake: the keys are generated per run (getrandom) and
// both ends get the same ones, so the sink's recv() returns the plaintext.
#pragma once
#include <cstdint>
#include <string>

namespace zcl {

// key (16) + iv (8) + salt (4) + rec_seq (8): struct tls12_crypto_info_aes_gcm_128's fields.
struct TlsKeys {
  bool set = false;
  unsigned char key[16];
  unsigned char iv[8];
  unsigned char salt[4];
  unsigned char rec_seq[8];
};
constexpr size_t kTlsKeyMaterial = 36;

// 36 random bytes from getrandom(2), as 72 hex digits.
std::string generate_tls_keys_hex();
// The hex form back (throws EngineError on anything but 72 hex digits).
TlsKeys parse_tls_keys(const std::string& hex);
// TCP_ULP "tls", then TLS_TX (tx) or TLS_RX with the keys, TLS 1.3 AES-GCM-128.
void enable_ktls(int sock, const TlsKeys& keys, bool tx);

}  // namespace zcl
