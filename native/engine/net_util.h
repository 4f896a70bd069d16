// Small socket helpers shared by the sender and the sink.
#pragma once
#include <cstdint>
#include <string>

namespace zcl {

// Connects a blocking TCP socket to an IPv4 address; throws SysError.
int tcp_connect(const std::string& host, uint16_t port);
// Binds and listens on an IPv4 address (port 0 = any); returns the fd and the port.
int tcp_listen(const std::string& host, uint16_t port, uint16_t* bound_port);
double monotonic_seconds();
void thread_cpu_seconds(double* user, double* sys);

}  // namespace zcl
