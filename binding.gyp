{
  "targets": [
    {
      "target_name": "zcl",
      "sources": [
        "native/addon.cc",
        "native/engine/checksum.cc",
        "native/engine/datafile.cc",
        "native/engine/ktls.cc",
        "native/engine/net_util.cc",
        "native/engine/sink.cc",
        "native/engine/transfer.cc",
        "native/engine/uring.cc",
        "native/probes/probe_binding.cc",
        "native/probes/probe_host.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native", "bpf", "bpf/.output"],
      "libraries": ["<!@(pkg-config --libs libbpf)", "<!@(pkg-config --libs liburing)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
